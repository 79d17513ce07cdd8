// The backend SDK (`switchboard/backend`, Node only): what a team's servers use to talk to
// Switchboard. Reference: docs/client-sdk.md.
export type { BackoffOptions } from '../client/backoff.js';
export { ConnectionState, type StateChange } from '../client/types.js';
export { ServerErrorCode } from '../client/wire.js';
export {
  type ConnFunction,
  type Consumer,
  MeshBackend,
  type MeshBackendEvents,
  type MeshBackendOptions,
  type PublishResult,
} from './mesh-backend.js';
export { MeshBackendError, MeshBackendErrorKind, MeshErrorCode } from './mesh-error.js';
export { MeshHttp, type MeshHttpOptions } from './mesh-http.js';
export type { QueueHandler, QueueItem } from './mesh-queue.js';
export { type SiteAuthPair, SiteBackend, SiteBackendError, type SiteBackendOptions } from './site-backend.js';
