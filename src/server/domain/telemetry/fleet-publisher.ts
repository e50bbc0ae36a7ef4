/**
 * `telemetry.fleet`: each closed second's fleet summary, published as a `broadcast` from the
 * server, once per deployment: every process closes the same second and the one that wins the
 * second's claim publishes it (alone, the claim is always won).
 */
import { Channel } from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID } from '../../auth.js';
import type { Broker } from '../../broker/index.js';
import type { Logger } from '../../logger.js';
import type { SharedState } from '../../state/index.js';
import type { FleetSecond } from './bucket-closer.js';
import type { RollupEngine } from './rollup-engine.js';

/** A second's claim outlives any clock skew between processes that could make one claim it late. */
export const FLEET_CLAIM_TTL_MS = 60_000;

/** Publishes the engine's summary of each second; returns the function that stops it. */
export function createFleetPublisher(engine: RollupEngine, broker: Broker, state: SharedState, logger: Logger) {
  const publish = async (second: FleetSecond) => {
    if (!(await state.claimOnce(`telemetry-fleet:${second.t / 1000}`, FLEET_CLAIM_TTL_MS))) return;
    await broker.publish({ channel: Channel.TelemetryFleet, kind: 'broadcast', from: SERVER_USER_ID, data: second });
  };
  return engine.onSecond((second) => {
    publish(second).catch((error: unknown) =>
      logger.warn({ err: error, t: second.t }, 'telemetry.fleet not published'),
    );
  });
}
