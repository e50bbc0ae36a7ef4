/** Public surface of the simulated fleet. */
export { SimulatedAgent, type SimulatedAgentOptions, type AgentLogger } from './agent.js';
export { startFleet, agentIdAt, DEFAULT_FLEET_SEED, type Fleet, type FleetOptions } from './fleet.js';
export { TelemetryGenerator, TICKS_PER_DAY, type TelemetrySample } from './telemetry.js';
export { seededRandom, deriveSeed } from './random.js';
