/** Thin React bindings over the vanilla stores; components pick what they need with selectors. */
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { connectionStore, type ConnectionSlice } from '../store/connection-store';
import { messageLogStore, type MessageLogSlice } from '../store/message-log-store';
import { subscriptionsStore } from '../store/subscriptions-store';
import { telemetryStore, type TelemetrySlice } from '../store/telemetry-store';

export function useConnection<T>(selector: (s: ConnectionSlice) => T): T {
  return useStore(connectionStore, useShallow(selector));
}

export function useTelemetry<T>(selector: (s: TelemetrySlice) => T): T {
  return useStore(telemetryStore, useShallow(selector));
}

export function useMessageLog<T>(selector: (s: MessageLogSlice) => T): T {
  return useStore(messageLogStore, useShallow(selector));
}

export function useSubscriptions() {
  return useStore(subscriptionsStore, (s) => s.subscriptions);
}
