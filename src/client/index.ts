// The client SDK's public surface: importable on its own (`switchboard/client`) so a browser
// bundle never pulls in the server.
export { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
export { SiteClientError, type SiteClientErrorInit, SiteClientErrorKind } from './errors.js';
export { SiteClient } from './site-client.js';
export {
  ConnectionState,
  type GapInfo,
  type GetAuth,
  type MessageHandler,
  type MessageMeta,
  type SiteAuth,
  type SiteClientEvents,
  type SiteClientOptions,
  type StateChange,
  type SubscribeOptions,
  type Subscription,
  type WebSocketConstructor,
  type WebSocketLike,
} from './types.js';
export { ServerErrorCode } from './wire.js';
