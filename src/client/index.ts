// The client SDK's public surface: importable on its own (`switchboard/client`) so a browser
// bundle never pulls in the server. Also the entry of the served bundle (`/sdk/switchboard.js`).
export { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
export {
  ChatClient,
  type ChatClientEvents,
  type ChatClientOptions,
  type ChatMessage,
  type ChatRoom,
  type ChatSettings,
} from './chat-client.js';
export { ClientError, type ClientErrorInit, ClientErrorKind } from './client-error.js';
export { SiteClientError, type SiteClientErrorInit, SiteClientErrorKind } from './errors.js';
export { GatewayClient, type GatewayClientEvents, type GatewayClientOptions } from './gateway-client.js';
export type { SocketEvents, SocketOptions } from './reconnecting-socket.js';
export {
  RocketClient,
  type RocketClientEvents,
  type RocketClientOptions,
  type RocketCredentials,
  type RocketEvent,
  type RocketEventHandler,
  type RocketSubscription,
} from './rocket-client.js';
export { RocketErrorId } from './rocket-wire.js';
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
