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
  /** Called after a remote call changed `context` (the gateway records it for its close item). */
  onContextChange: (() => void) | undefined;
  /** Receives every publication of its namespace (chat clients). */
  watchingAll = false;
  closed = false;
  // Both Maps are created on first use: an empty Map costs ~190 B of heap and most idle
  // connections never subscribe or consume (docs/benchmarks.md, "Memory per idle connection").
  private subscriptionMap: Map<string, SubscriptionState> | undefined;
  private consumingMap: Map<string, () => Promise<void>> | undefined;

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

  /**
   * Channel → subscription state. Reading this creates the Map; code that only asks "how many"
   * or "which" of every connection (scans, close) uses the methods below, which allocate nothing.
   */
  get subscriptions(): Map<string, SubscriptionState> {
    this.subscriptionMap ??= new Map();
    return this.subscriptionMap;
  }

  /** Topics this connection consumes, with their detach functions (created on first read). */
  get consuming(): Map<string, () => Promise<void>> {
    this.consumingMap ??= new Map();
    return this.consumingMap;
  }

  get subscriptionCount(): number {
    return this.subscriptionMap?.size ?? 0;
  }

  hasSubscription(channel: string): boolean {
    return this.subscriptionMap?.has(channel) ?? false;
  }

  /** The subscribed channels, as a copy (safe to unsubscribe while iterating). */
  subscribedChannels(): string[] {
    return this.subscriptionMap ? [...this.subscriptionMap.keys()] : [];
  }

  /** Removes and returns every consumed topic's detach function. */
  takeConsumers(): (() => Promise<void>)[] {
    if (!this.consumingMap) return [];
    const detaches = [...this.consumingMap.values()];
    this.consumingMap.clear();
    return detaches;
  }
}
