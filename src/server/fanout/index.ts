/** Fan-out: the hub's channel index, filter matching, and frames encoded once per fan-out. */
export { encodeFrame } from './frames.js';
export { FilterIndex, planIndex } from './filter-index.js';
export { Hub, createSubscription, type FanOutObserver, type Subscriber, type Subscription } from './hub.js';
