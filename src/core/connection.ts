import type { JsonValue, Publication } from './types.js';

/**
 * What the hub needs from a dialect's connection. Implementations write to the socket
 * synchronously and never throw: a write that cannot happen returns false.
 */
export interface ConnectionSink {
  /** Render and write a publication of a channel this connection is subscribed to. */
  deliver(publication: Publication): boolean;
  /** Write raw data from a backend (mesh.send): a text frame, or a binary frame when `binary`. */
  sendRaw(data: string | Buffer, binary: boolean): boolean;
  /** Close the connection on the server's behalf (kick, shutdown). */
  close(code: number, reason: string): void;
}

export interface SubscriptionState {
  /** The newest ord written to this connection for the channel. */
  lastOrd: number;
  /** Live publications held back while the backlog is being read; null once live. */
  pending: Publication[] | null;
}

export interface ConnectionInit {
  namespace: string;
  dialect: string;
  sink: ConnectionSink;
  remoteAddress?: string;
  /** Authenticated user (rocket) or username (chat). */
  user?: string;
  context?: Record<string, JsonValue>;
}

/** One WebSocket connection of any dialect, as the hub sees it. */
export class Connection {
  readonly namespace: string;
  readonly dialect: string;
  readonly sink: ConnectionSink;
  readonly remoteAddress: string | undefined;
  readonly connectedAt = Date.now();
  user: string | undefined;
  context: Record<string, JsonValue>;
  readonly subscriptions = new Map<string, SubscriptionState>();
  /** Receives every publication of its namespace (chat clients). */
  watchingAll = false;
  /** Topics this connection consumes, with their detach functions. */
  readonly consuming = new Map<string, () => Promise<void>>();
  closed = false;

  constructor(
    readonly id: string,
    init: ConnectionInit,
  ) {
    this.namespace = init.namespace;
    this.dialect = init.dialect;
    this.sink = init.sink;
    this.remoteAddress = init.remoteAddress;
    this.user = init.user;
    this.context = init.context ?? {};
  }
}
