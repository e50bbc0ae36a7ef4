/**
 * Messages: the `Broker` interface (seq, history, delivery to every process's hub) and its two
 * implementations, one process (`MemoryBroker`) and Redis (`RedisBroker`).
 */
export {
  BrokerUnavailableError,
  HistoryTrimmedError,
  NO_PAGES,
  collectPages,
  pagesOf,
  replayRecent,
  type Broker,
  type BrokerHealth,
  type BrokerListener,
  type BrokerMessage,
  type ChannelHistory,
  type ChannelPosition,
  type MessageKind,
  type PublishRequest,
  type Replay,
} from './broker.js';
export { frameOf, payloadBytes } from './delivery-frame.js';
export { Deque } from './deque.js';
export { MemoryBroker, type ChannelStats, type MemoryBrokerOptions } from './memory.js';
export { RedisBroker, type BrokerGap, type RedisBrokerOptions } from './redis.js';
export { StoredMessage } from './stored-message.js';
