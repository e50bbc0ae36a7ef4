/** Shared permessage-deflate: negotiation, one compression per fan-out, synchronous inflating. */
export { DeflateNegotiatingServer, acceptableDeflateOffers, deflateServerOptions } from './negotiation.js';
export { SharedFrames, sharedDeflateStats, sharedFramesOf, textFrame, textFrameHeader } from './shared-deflate.js';
export { deflateWindowBitsOf, perMessageDeflateOf, type PerMessageDeflateInternals } from './ws-extension.js';
