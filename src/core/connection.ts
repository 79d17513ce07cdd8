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

/** The context of every connection no backend gave one: shared, so it must never be written. */
const NO_CONTEXT: Record<string, JsonValue> = Object.freeze({});

/** One WebSocket connection of any dialect, as the hub sees it. */
export class Connection {
  readonly namespace: string;
  readonly dialect: string;
  readonly sink: ConnectionSink;
  readonly remoteAddress: string | undefined;
  readonly connectedAt = Date.now();
  user: string | undefined;
  /** Receives every publication of its namespace (chat clients). */
  watchingAll = false;
  closed = false;
  // Memory per connection (docs/benchmarks.md, "Memory per connection"): most connections hold
  // one subscription or none, no context and no queue. The first subscription is held in two
  // fields; a Map (~190 B of heap even when empty) only once there is a second one. The context
  // and the consumer Map are created on first write.
  private soleChannel: string | undefined;
  private soleState: SubscriptionState | undefined;
  private subscriptionMap: Map<string, SubscriptionState> | undefined;
  private consumingMap: Map<string, () => Promise<void>> | undefined;
  private ownContext: Record<string, JsonValue> | undefined;

  constructor(
    readonly id: string,
    init: ConnectionInit,
  ) {
    this.namespace = init.namespace;
    this.dialect = init.dialect;
    this.sink = init.sink;
    this.remoteAddress = init.remoteAddress;
    this.user = init.user;
    this.ownContext = init.context;
  }

  /** What a backend attached to this connection (mesh set_context); read-only when never set. */
  get context(): Record<string, JsonValue> {
    return this.ownContext ?? NO_CONTEXT;
  }

  set context(context: Record<string, JsonValue>) {
    this.ownContext = context;
  }

  setContextValue(key: string, value: JsonValue): void {
    this.ownContext ??= {};
    this.ownContext[key] = value;
  }

  /**
   * Channel → subscription state, as a Map (tests, rare paths). Reading this creates the Map;
   * the hub uses the methods below, which allocate nothing for a connection's only subscription.
   */
  get subscriptions(): Map<string, SubscriptionState> {
    if (this.subscriptionMap === undefined) {
      this.subscriptionMap = new Map();
      if (this.soleChannel !== undefined) this.subscriptionMap.set(this.soleChannel, this.soleState!);
      this.soleChannel = undefined;
      this.soleState = undefined;
    }
    return this.subscriptionMap;
  }

  /** The state of the subscription to `channel`, if there is one (the fan-out's lookup). */
  subscription(channel: string): SubscriptionState | undefined {
    if (this.subscriptionMap !== undefined) return this.subscriptionMap.get(channel);
    return channel === this.soleChannel ? this.soleState : undefined;
  }

  /** Records a subscription (the caller checked there is none to `channel` yet). */
  addSubscription(channel: string, state: SubscriptionState): void {
    if (this.subscriptionMap === undefined && this.soleChannel === undefined) {
      this.soleChannel = channel;
      this.soleState = state;
      return;
    }
    this.subscriptions.set(channel, state);
  }

  /** Forgets the subscription to `channel`: false when there was none. */
  removeSubscription(channel: string): boolean {
    if (this.subscriptionMap !== undefined) return this.subscriptionMap.delete(channel);
    if (channel !== this.soleChannel) return false;
    this.soleChannel = undefined;
    this.soleState = undefined;
    return true;
  }

  /** Topics this connection consumes, with their detach functions (created on first read). */
  get consuming(): Map<string, () => Promise<void>> {
    this.consumingMap ??= new Map();
    return this.consumingMap;
  }

  get subscriptionCount(): number {
    return this.subscriptionMap?.size ?? (this.soleChannel === undefined ? 0 : 1);
  }

  hasSubscription(channel: string): boolean {
    return this.subscription(channel) !== undefined;
  }

  /** The subscribed channels, as a copy (safe to unsubscribe while iterating). */
  subscribedChannels(): string[] {
    if (this.subscriptionMap !== undefined) return [...this.subscriptionMap.keys()];
    return this.soleChannel === undefined ? [] : [this.soleChannel];
  }

  /** Removes and returns every consumed topic's detach function. */
  takeConsumers(): (() => Promise<void>)[] {
    if (!this.consumingMap) return [];
    const detaches = [...this.consumingMap.values()];
    this.consumingMap.clear();
    return detaches;
  }
}
