/** The data plane as admins see it: connections and channels across processes, and closing one. */
export { decodeCursor, encodeCursor, type ConnectionCursor } from './connection-pages.js';
export {
  DataPlane,
  type ConnectionFilter,
  type DataPlaneOptions,
  type Gathered,
  type GatheredPage,
  type PageRequest,
} from './data-plane.js';
export { processAddress } from './process-address.js';
