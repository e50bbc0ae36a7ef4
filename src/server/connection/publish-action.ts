/**
 * A client's `publish`: checked against the policy and the domain rules (who may update which
 * task), published through the broker, acknowledged with its seq when the frame carried an id.
 */
import {
  Channel,
  ErrorCode,
  FrameType,
  type ErrorCode as ErrorCodeType,
  type PublishFrame,
  type RequestId,
  type ServerFrame,
} from '@nexus-realtime/client/protocol';
import type { Principal } from '../auth.js';
import { BrokerUnavailableError, type Broker, type BrokerMessage } from '../broker/index.js';
import {
  checkDomainPublish,
  publishAudit,
  readsPayload,
  type AuditRecorder,
  type PublishActor,
} from '../domain/index.js';
import { payloadJsonOf } from './large-publish.js';
import type { DropReason, Metrics } from '../metrics.js';
import type { Policy } from '../policy.js';

/** What a publish needs from its session. */
export interface PublishHost {
  readonly policy: Policy;
  readonly broker: Broker;
  readonly metrics: Metrics;
  /** The task state that publishes on domain channels are checked against. */
  readonly tasks: PublishActor['tasks'];
  /** Where commands and refusals are recorded (absent: no audit log). */
  readonly audit?: AuditRecorder;
  principal(): Principal;
  drop(reason: DropReason): void;
  send(frame: ServerFrame): void;
  sendError(code: ErrorCodeType, message: string, id?: RequestId): void;
  /** The message went out (the domain modules observe it). */
  published(message: BrokerMessage): void;
}

export async function publishAction(host: PublishHost, frame: PublishFrame): Promise<void> {
  const { channel, id } = frame;
  // A payload still in text (a large publish) is parsed only where a domain rule must read it.
  const payloadJson = payloadJsonOf(frame);
  const carried = payloadJson !== undefined && !readsPayload(channel);
  const payload = payloadJson === undefined || carried ? frame.payload : (JSON.parse(payloadJson) as unknown);
  const principal = host.principal();
  if (!host.policy.allows(principal.role, 'publish', channel)) {
    host.drop('forbidden');
    const message = `role ${principal.role} may not publish to ${channel}`;
    refused(host, principal, channel, payload, ErrorCode.Forbidden, message);
    return host.sendError(ErrorCode.Forbidden, message, id);
  }
  const check = checkDomainPublish(channel, payload, { principal, tasks: host.tasks });
  if (!check.ok) {
    host.drop(check.code === ErrorCode.Forbidden ? 'forbidden' : 'invalid');
    refused(host, principal, channel, payload, check.code, check.message);
    return host.sendError(check.code, check.message, id);
  }
  let message: BrokerMessage;
  try {
    const request = { channel, kind: 'message', from: principal.userId, data: payload } as const;
    message = await host.broker.publish(carried ? { ...request, dataJson: payloadJson } : request);
  } catch (error) {
    if (!(error instanceof BrokerUnavailableError)) throw error;
    return host.sendError(ErrorCode.Unavailable, `${channel}: ${error.message}; nothing was delivered`, id);
  }
  host.metrics.countChannelMessage(channel);
  host.published(message);
  // Commands are recorded; other publishes over WebSocket are the traffic itself, not actions.
  if (channel === Channel.Commands && host.audit) {
    const { action, details } = publishAudit(channel, payload);
    host.audit.record(principal, action, details);
  }
  if (id !== undefined) host.send({ type: FrameType.Ack, id, channel, seq: message.seq, epoch: message.epoch });
}

/** Records a refused publish (folded per user and action: one map update on a flood). */
function refused(
  host: PublishHost,
  principal: Principal,
  channel: string,
  payload: unknown,
  code: ErrorCodeType,
  detail: string,
): void {
  if (!host.audit) return;
  const { action, details } = publishAudit(channel, payload);
  host.audit.refused(principal, action, code, { ...details, detail });
}
