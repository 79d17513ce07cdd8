// The SDK's public types: options, events, subscriptions, and the slice of the WebSocket API the
// client needs (so the browser's class and the `ws` package's both fit).
import type { BackoffOptions } from './backoff.js';
import type { SiteClientError } from './errors.js';

/** Credentials for one subscription, computed by the site's backend (the secret never leaves it). */
export interface SiteAuth {
  /** From `GET /token?site=NAME`. */
  token: string;
  /** base64(hmac256(secret, channel + token)). */
  auth: string;
}

/** Called before every (re)subscribe of `channel`: fetch fresh credentials from your backend. */
export type GetAuth = (channel: string) => SiteAuth | Promise<SiteAuth>;

/** The part of the WebSocket API the client uses: the browser's class and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  // biome-ignore lint/suspicious/noExplicitAny: event types differ between browsers and `ws`.
  onopen: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: see onopen.
  onmessage: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: see onopen.
  onclose: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: see onopen.
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SiteClientOptions {
  /** `ws://host:port/ws?site=NAME` (or `wss://`). */
  url: string;
  getAuth: GetAuth;
  /** Defaults to `globalThis.WebSocket`; on Node 20 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  backoff?: Partial<BackoffOptions>;
  /** A socket not open after this long is abandoned and retried. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** A request unanswered this long means a dead connection: it is dropped and retried. Default 15,000 ms. */
  requestTimeoutMs?: number;
  /** Decide whether a close the client did not ask for is followed by a reconnect. Default: always. */
  shouldReconnect?: (close: { code: number; reason: string }) => boolean;
  /** Source of jitter, 0..1 (tests make it deterministic). Default `Math.random`. */
  random?: () => number;
}

export const ConnectionState = {
  idle: 'idle',
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

export interface StateChange {
  state: ConnectionState;
  /** `reconnecting`: failed attempts in a row, 1 for the first retry. */
  attempt?: number;
  /** `reconnecting`: how long until the next attempt. */
  delayMs?: number;
  /** `reconnecting`/`closed`: the close that caused it (1006 when the socket just went away). */
  code?: number;
  reason?: string;
}

export interface MessageMeta {
  channel: string;
  ord: number;
}
export type MessageHandler<T = unknown> = (body: T, meta: MessageMeta) => void;

/** Ords jumped: messages between `after` and `ord` were not delivered (see docs/client-sdk.md). */
export interface GapInfo {
  channel: string;
  after: number;
  ord: number;
}

export interface SiteClientEvents {
  state: (change: StateChange) => void;
  error: (error: SiteClientError) => void;
  gap: (gap: GapInfo) => void;
  /** A frame in neither site shape (a backend's `send` to this connection); binary as ArrayBuffer. */
  raw: (data: string | ArrayBuffer) => void;
}

export interface SubscribeOptions {
  /** 0 (default): only new messages; -1: the newest buffered one first; N: every buffered one after ord N. */
  after?: number;
}

export interface Subscription {
  readonly channel: string;
  /** The ord of the last message delivered to the handler (or the `after` given), 0 if none. */
  readonly lastOrd: number;
  /** Subscribed on the current connection right now. */
  readonly active: boolean;
  /** Stop delivery at once; resolves when the server confirmed (or there is no connection). */
  unsubscribe(): Promise<void>;
}
