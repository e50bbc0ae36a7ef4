/**
 * `telemetry.fleet`: each closed second's fleet summary, published as a `broadcast` from the
 * server, once per deployment: every process closes the same second and the one that wins the
 * second's claim publishes it (alone, the claim is always won).
 */
import { Channel } from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID } from '../../auth.js';
import { BrokerUnavailableError, type Broker } from '../../broker/index.js';
import type { Logger } from '../../logger.js';
import type { SharedState } from '../../state/index.js';
import type { FleetSecond } from './bucket-closer.js';
import type { RollupEngine } from './rollup-engine.js';

/** A second's claim outlives any clock skew between processes that could make one claim it late. */
export const FLEET_CLAIM_TTL_MS = 60_000;

/** Publishes the engine's summary of each second; returns the function that stops it. */
export function createFleetPublisher(engine: RollupEngine, broker: Broker, state: SharedState, logger: Logger) {
  let claimsUnanswered = false;
  // Shared state unreachable (Redis down): nobody can be asked who publishes, and this process's
  // messages reach only its own clients anyway, so it publishes its own summary — live charts go on.
  const mayPublish = async (second: FleetSecond): Promise<boolean> => {
    try {
      const won = await state.claimOnce(`telemetry-fleet:${second.t / 1000}`, FLEET_CLAIM_TTL_MS);
      if (claimsUnanswered) logger.info('telemetry.fleet claims answered again');
      claimsUnanswered = false;
      return won;
    } catch (error) {
      if (!claimsUnanswered) logger.warn({ err: error }, 'telemetry.fleet claims unanswered: publishing locally');
      claimsUnanswered = true;
      return true;
    }
  };
  const publish = async (second: FleetSecond) => {
    if (!(await mayPublish(second))) return;
    try {
      await broker.publish({ channel: Channel.TelemetryFleet, kind: 'broadcast', from: SERVER_USER_ID, data: second });
    } catch (error) {
      // Nobody here to deliver to while the broker cannot share it: nothing is lost.
      if (!(error instanceof BrokerUnavailableError)) throw error;
    }
  };
  return engine.onSecond((second) => {
    publish(second).catch((error: unknown) =>
      logger.warn({ err: error, t: second.t }, 'telemetry.fleet not published'),
    );
  });
}
