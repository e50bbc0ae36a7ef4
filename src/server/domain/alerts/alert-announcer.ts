/**
 * Publishes alert changes on `alerts` and makes sure none is lost with the process that decided
 * it. The store marks each change it decides as pending; the deciding process publishes it and
 * then confirms it (in batches). A process killed between the two leaves the change pending, and
 * after `UNANNOUNCED_GRACE_MS` whichever process looks first takes it and publishes the alert as
 * it is then — a duplicate frame at worst (the same alert, the same state), never a lost one.
 */
import { Channel, type Alert } from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID } from '../../auth.js';
import type { Broker } from '../../broker/index.js';
import type { Logger } from '../../logger.js';
import type { AlertStore } from '../../state/index.js';

/** A change decided but not confirmed published for this long is published by another process. */
export const UNANNOUNCED_GRACE_MS = 5000;
/** Left-behind changes taken per look. */
const UNANNOUNCED_PER_LOOK = 200;

export interface AlertAnnouncerOptions {
  readonly broker: Broker;
  readonly store: AlertStore;
  readonly logger: Logger;
  /** Whether other processes share the store (alone, there is nobody to take over). */
  readonly shared: boolean;
}

export class AlertAnnouncer {
  readonly #confirming: string[] = [];

  constructor(private readonly options: AlertAnnouncerOptions) {}

  /** Publishes the alert (a broadcast from `nexus`), then confirms it to the store. */
  publish(alert: Alert): void {
    this.options.broker
      .publish({ channel: Channel.Alerts, kind: 'broadcast', from: SERVER_USER_ID, data: alert })
      .then(() => this.#confirm(alert.id))
      .catch((error: unknown) => this.options.logger.warn({ err: error, alertId: alert.id }, 'alert not published'));
  }

  /** Publishes the changes of processes that decided them and died before publishing. */
  async publishLeftBehind(): Promise<void> {
    try {
      const left = await this.options.store.unannounced(UNANNOUNCED_GRACE_MS, UNANNOUNCED_PER_LOOK);
      for (const alert of left) this.publish(alert);
      if (left.length > 0)
        this.options.logger.info({ alerts: left.length }, 'alerts: published changes left unpublished');
    } catch (error) {
      this.options.logger.debug({ err: (error as Error).message }, 'alerts: left-behind changes not read');
    }
  }

  #confirm(id: string): void {
    if (!this.options.shared) return;
    this.#confirming.push(id);
    if (this.#confirming.length > 1) return;
    setImmediate(() => {
      const ids = this.#confirming.splice(0);
      // Not confirmed: left pending, so another process publishes them again after the grace.
      this.options.store.announced(ids).catch((error: Error) => {
        this.options.logger.debug({ err: error.message, alerts: ids.length }, 'alerts: publishes not confirmed');
      });
    });
  }
}
