import type { Logger } from 'pino';
import type { HeldClient } from '../engines/client-ledger.js';
import type { Engine, HistoryQuery, HistoryResult, PresenceStore, PublishResult } from '../engines/engine.js';
import type { PushResult } from '../engines/queue-store.js';
import { channelNameProblem, MAX_CHANNELS_PER_CONNECTION } from './channel-name.js';
import { Connection, type ConnectionInit, type SubscriptionState } from './connection.js';
import { ErrorCounts } from './error-counts.js';
import { HubError, HubErrorCode } from './errors.js';
import {
  type AuthFailure,
  type Done,
  type HubCounters,
  type HubOptions,
  historyFrom,
  type SubscribeOptions,
} from './hub-options.js';
import { HubQueues } from './hub-queues.js';
import type { ClusterInspection, InspectResult, InspectSource, InspectWhat } from './inspect.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';
import { chain } from './key-chain.js';
import type { NamespaceSettings } from './namespace.js';
import { NodeRequests } from './node-requests.js';
import type { RemoteCall } from './remote-call.js';
import { SnowflakeGenerator } from './snowflake.js';
import type { ChannelInfo, DeliveryCount, Publication, PublishInput, QueueItem } from './types.js';

/**
 * The node-local heart of Switchboard: connections, their subscriptions, fan-out of publications
 * to sockets, queues and routing by client id. It never mentions a dialect or an engine kind.
 */
export class Hub {
  private readonly connections = new Map<string, Connection>();
  readonly counters: HubCounters = { publications: 0, deliveries: 0, failedDeliveries: 0, published: 0 };
  /** When this hub was built (ms): a node's uptime in cluster views. */
  readonly startedAt = Date.now();
  private advertised: string | null = null;
  /** Every error a dialect answered to a client, by dialect and code (read by /metrics). */
  readonly errors = new ErrorCounts();
  /** Told of every refused credential (HubOptions.authFailed); a no-op without one. */
  readonly authFailed: (failure: AuthFailure) => void;
  /**
   * The deepest `data` publish accepts (limits.max_json_depth). The dialects refuse deeper values
   * where they enter; this is the last guard before the engine stores data that no renderer could
   * encode (core/json-depth.ts).
   */
  readonly maxJsonDepth: number;
  /** Subscriptions one connection may hold (limits.max_channels_per_connection). */
  readonly maxChannelsPerConnection: number;
  private readonly log: Logger | undefined;
  /** Requests to one node or all of them: routing by client id, cluster views. */
  private readonly requests: NodeRequests;
  private readonly queues: HubQueues;
  private readonly ids: SnowflakeGenerator;
  /** namespace → channel → local subscribers. */
  private readonly channelSubs = new Map<string, Map<string, Set<Connection>>>();
  /** namespace → connections watching every channel. */
  private readonly allSubs = new Map<string, Set<Connection>>();
  /** Namespaces watched as a whole for a dialect (pinNamespace) → how many pins hold them. */
  private readonly pinnedAll = new Map<string, number>();
  /** Serialises watch/unwatch per channel so the engine sees them in order. */
  private readonly watchChains = new Map<string, Promise<void>>();
  /**
   * The same for whole-namespace watches, keyed by namespace alone: a separate map, so no channel
   * name (`*` included) can stand for or disturb a namespace watch.
   */
  private readonly namespaceChains = new Map<string, Promise<void>>();

  /** The engine is the hub's alone: dialects, ops and metrics ask the hub. */
  constructor(
    private readonly engine: Engine,
    private readonly namespaces: Map<string, NamespaceSettings>,
    options: HubOptions = {},
  ) {
    this.ids = new SnowflakeGenerator(engine.nodeId);
    this.log = options.logger;
    this.maxJsonDepth = options.maxJsonDepth ?? MAX_JSON_DEPTH;
    this.maxChannelsPerConnection = options.maxChannelsPerConnection ?? MAX_CHANNELS_PER_CONNECTION;
    this.authFailed = options.authFailed ?? (() => undefined);
    const hub = this;
    const inspectSource: InspectSource = {
      nodeId: engine.nodeId,
      get advertisedAddress() {
        return hub.advertised;
      },
      engine,
      counters: this.counters,
      startedAt: this.startedAt,
      localConnections: () => this.connections.values(),
    };
    this.requests = new NodeRequests(this, engine, this.connections, inspectSource);
    this.queues = new HubQueues(engine, (name) => this.requireNamespace(name));
  }

  get nodeId(): number {
    return this.engine.nodeId;
  }

  /** The engine's name for logs and /stats ("memory", "redis"). */
  get engineKind(): string {
    return this.engine.kind;
  }

  /** False while the engine cannot reach shared state (readiness). */
  ready(): boolean {
    return this.engine.ready();
  }

  /** The engine's presence store, on engines that keep one (a dialect that needs it checks at start). */
  get presence(): PresenceStore | undefined {
    return this.engine.presence;
  }

  /** `host:port` where backends reach this node (mesh node discovery); null until listening. */
  get advertisedAddress(): string | null {
    return this.advertised;
  }

  /** Record where this node listens, once the listener knows (null for a wildcard bind). */
  listeningAt(address: string | null): void {
    this.advertised = address;
  }

  /** Stop the engine: leases, consumers and connections to shared state. */
  closeEngine(): Promise<void> {
    return this.engine.close();
  }

  /** Wire the hub to its engine. Call once, before serving. */
  async start(): Promise<void> {
    await this.engine.start({
      onPublication: (ns, p) => this.fanOut(ns, p),
      onControl: (m) => this.requests.handleControl(m),
    });
  }

  namespace(name: string): NamespaceSettings | undefined {
    return this.namespaces.get(name);
  }

  private requireNamespace(name: string): NamespaceSettings {
    const ns = this.namespaces.get(name);
    if (!ns) throw new HubError(HubErrorCode.unknownNamespace, `unknown namespace "${name}"`);
    return ns;
  }

  // ---- connections -------------------------------------------------------------------------

  register(init: ConnectionInit): Connection {
    this.requireNamespace(init.namespace);
    const conn = new Connection(this.ids.next(), init);
    this.connections.set(conn.id, conn);
    this.log?.debug(
      { client: conn.id, dialect: conn.dialect, namespace: conn.namespace, address: conn.remoteAddress },
      'connection open',
    );
    return conn;
  }

  /** Forget a connection: its subscriptions, namespace watch and queue consumption. */
  async unregister(conn: Connection): Promise<void> {
    if (conn.closed) return;
    conn.closed = true;
    this.connections.delete(conn.id);
    this.log?.debug(
      { client: conn.id, dialect: conn.dialect, namespace: conn.namespace },
      'connection closed',
    );
    const work: Promise<unknown>[] = [];
    for (const channel of conn.subscribedChannels()) work.push(this.unsubscribe(conn, channel));
    if (conn.watchingAll) work.push(this.unwatchAll(conn));
    work.push(this.queueStop(conn));
    await Promise.allSettled(work);
  }

  // ---- subscriptions -----------------------------------------------------------------------

  /**
   * Subscribe with resume semantics. Live publications that race the backlog read are held and
   * merged by ord, so the connection sees each ord once, in order, with no gap.
   */
  async subscribe(conn: Connection, channel: string, options: SubscribeOptions = {}): Promise<void> {
    if (conn.closed) throw new HubError(HubErrorCode.connectionClosed, 'connection is closed');
    const badName = channelNameProblem(channel);
    if (badName !== undefined) throw new HubError(HubErrorCode.invalidChannel, badName);
    if (conn.hasSubscription(channel)) {
      throw new HubError(HubErrorCode.alreadySubscribed, `already subscribed to channel "${channel}"`);
    }
    if (conn.subscriptionCount >= this.maxChannelsPerConnection) {
      throw new HubError(
        HubErrorCode.tooManyChannels,
        `too many channels: at most ${this.maxChannelsPerConnection} per connection`,
      );
    }
    const state: SubscriptionState = { lastOrd: 0, pending: [] };
    conn.addSubscription(channel, state);
    let subs = this.channelSubs.get(conn.namespace);
    if (!subs) {
      subs = new Map();
      this.channelSubs.set(conn.namespace, subs);
    }
    let set = subs.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      subs.set(channel, set);
    }
    set.add(conn);
    try {
      if (first) await this.chainWatch(conn.namespace, channel, true);
      else await this.watchChains.get(`${conn.namespace}\0${channel}`);
      const history = await this.engine.log.history(conn.namespace, channel, historyFrom(options.from));
      if (conn.subscription(channel) !== state) return; // unsubscribed meanwhile
      options.onReady?.();
      this.replay(conn, state, history);
    } catch (err) {
      if (conn.subscription(channel) === state) await this.unsubscribe(conn, channel);
      throw err;
    }
  }

  private replay(conn: Connection, state: SubscriptionState, history: HistoryResult): void {
    for (const p of history.publications) this.deliverInOrder(conn, state, p);
    if (history.top > state.lastOrd) state.lastOrd = history.top;
    const pending = state.pending ?? [];
    state.pending = null;
    for (const p of pending) this.deliverInOrder(conn, state, p);
  }

  private deliverInOrder(conn: Connection, state: SubscriptionState, p: Publication): boolean {
    if (p.ord <= state.lastOrd) return true;
    state.lastOrd = p.ord;
    if (p.except === conn.id) return true;
    return this.write(conn, p);
  }

  async unsubscribe(conn: Connection, channel: string): Promise<boolean> {
    if (!conn.removeSubscription(channel)) return false;
    const subs = this.channelSubs.get(conn.namespace);
    const set = subs?.get(channel);
    if (set) {
      set.delete(conn);
      if (set.size === 0) {
        subs!.delete(channel);
        await this.chainWatch(conn.namespace, channel, false);
      }
    }
    return true;
  }

  /** Receive every publication of the connection's namespace (chat clients). */
  async watchAll(conn: Connection): Promise<void> {
    if (conn.watchingAll) return;
    conn.watchingAll = true;
    let set = this.allSubs.get(conn.namespace);
    const first = !set;
    if (!set) {
      set = new Set();
      this.allSubs.set(conn.namespace, set);
    }
    set.add(conn);
    if (first && !this.pinnedAll.has(conn.namespace)) await this.chainNamespaceWatch(conn.namespace, true);
  }

  private async unwatchAll(conn: Connection): Promise<void> {
    conn.watchingAll = false;
    const set = this.allSubs.get(conn.namespace);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.allSubs.delete(conn.namespace);
      if (!this.pinnedAll.has(conn.namespace)) await this.chainNamespaceWatch(conn.namespace, false);
    }
  }

  /**
   * Keep the engine watching all of `namespace` for this node whether or not a connection watches
   * it, until `unpinNamespace`. For a dialect whose clients are subscribed by connecting (chat):
   * with the watch already in place when a client's connection opens, it hears everything
   * published from then on, on any node, instead of missing what is published while its node's
   * first watch is still being set up. Resolves once the engine watch is active.
   */
  async pinNamespace(namespace: string): Promise<void> {
    const pins = this.pinnedAll.get(namespace) ?? 0;
    this.pinnedAll.set(namespace, pins + 1);
    // Always asked of the engine (its watch is idempotent): chained after any watch or unwatch
    // already under way for the key, this resolves only once the watch is really in place, and it
    // retries one that failed.
    return this.chainNamespaceWatch(namespace, true);
  }

  /** Ask the engine again for a pinned namespace's watch (after `pinNamespace`'s failed). */
  watchPinned(namespace: string): Promise<void> {
    if (!this.pinnedAll.has(namespace)) return Promise.reject(new Error(`${namespace} is not pinned`));
    return this.chainNamespaceWatch(namespace, true);
  }

  async unpinNamespace(namespace: string): Promise<void> {
    const pins = this.pinnedAll.get(namespace);
    if (pins === undefined) return;
    if (pins > 1) {
      this.pinnedAll.set(namespace, pins - 1);
      return;
    }
    this.pinnedAll.delete(namespace);
    if (!this.allSubs.has(namespace)) await this.chainNamespaceWatch(namespace, false);
  }

  private chainWatch(ns: string, channel: string, on: boolean): Promise<void> {
    return chain(this.watchChains, `${ns}\0${channel}`, () =>
      on ? this.engine.log.watch(ns, channel) : this.engine.log.unwatch(ns, channel),
    );
  }

  private chainNamespaceWatch(ns: string, on: boolean): Promise<void> {
    return chain(this.namespaceChains, ns, () =>
      on ? this.engine.log.watchNamespace(ns) : this.engine.log.unwatchNamespace(ns),
    );
  }

  // ---- publications ------------------------------------------------------------------------

  /** Throws HubError `invalid_data` for data nested deeper than `maxJsonDepth`. */
  async publish(
    namespace: string,
    channel: string,
    input: PublishInput,
    options: { count?: boolean } = {},
  ): Promise<PublishResult> {
    const ns = this.requireNamespace(namespace);
    if (jsonDepthExceeds(input.data, this.maxJsonDepth)) {
      throw new HubError(
        HubErrorCode.invalidData,
        `data is nested too deeply (max ${this.maxJsonDepth} levels)`,
      );
    }
    const result = await this.engine.log.publish(namespace, channel, input, {
      historySize: ns.historySize,
      count: options.count,
    });
    this.counters.published++;
    return result;
  }

  /**
   * Claim `key` of `namespace` once until `ttlMs` passes (one-use tokens): true for the first
   * claim across the cluster, false after. Rejects when the engine cannot reach shared state.
   */
  claimOnce(namespace: string, key: string, ttlMs: number): Promise<boolean> {
    const scoped = `${namespace.length}:${namespace}:${key}`;
    return this.engine.once.claim(scoped, ttlMs);
  }

  history(namespace: string, channel: string, query: HistoryQuery): Promise<HistoryResult> {
    this.requireNamespace(namespace);
    return this.engine.log.history(namespace, channel, query);
  }

  channels(namespace: string): Promise<ChannelInfo[]> {
    this.requireNamespace(namespace);
    return this.engine.log.channels(namespace);
  }

  dropChannel(namespace: string, channel: string): Promise<void> {
    this.requireNamespace(namespace);
    return this.engine.log.dropChannel(namespace, channel);
  }

  /** Does any connection on this node (of any dialect) subscribe to the channel right now? */
  hasLocalSubscribers(namespace: string, channel: string): boolean {
    return (this.channelSubs.get(namespace)?.get(channel)?.size ?? 0) > 0;
  }

  /** The fan-out hot path: called by the engine once per publication, in ord order per channel. */
  private fanOut(namespace: string, p: Publication): DeliveryCount {
    this.counters.publications++;
    let delivered = 0;
    let failed = 0;
    // A publication may name one connection that must not receive it (Pusher's socket_id).
    const except = p.except;
    const set = this.channelSubs.get(namespace)?.get(p.channel);
    if (set !== undefined) {
      for (const conn of set) {
        if (conn.watchingAll) continue; // receives it below, once
        if (conn.id === except) continue;
        const state = conn.subscription(p.channel);
        if (state === undefined) continue;
        if (state.pending !== null) {
          state.pending.push(p);
          delivered++;
          continue;
        }
        if (p.ord <= state.lastOrd) continue;
        state.lastOrd = p.ord;
        if (this.write(conn, p)) delivered++;
        else failed++;
      }
    }
    const all = this.allSubs.get(namespace);
    if (all !== undefined) {
      for (const conn of all) {
        if (conn.id === except) continue;
        if (this.write(conn, p)) delivered++;
        else failed++;
      }
    }
    return { delivered, failed };
  }

  private write(conn: Connection, p: Publication): boolean {
    let ok = false;
    try {
      ok = conn.sink.deliver(p);
    } catch (err) {
      // A sink must not throw; if one does, that connection fails, never the fan-out.
      this.log?.error({ err, client: conn.id }, 'sink threw during delivery');
    }
    if (ok) this.counters.deliveries++;
    else this.counters.failedDeliveries++;
    return ok;
  }

  // ---- routing by client id and cluster views (node-requests.ts) ---------------------------

  /**
   * Write raw data to a connection on whatever node holds it (mesh.send). With `namespace`, only
   * a connection of that namespace is reached (others answer unknown_client).
   */
  sendTo(client: string, data: string | Buffer, binary: boolean, namespace?: string): Promise<Done> {
    return this.requests.sendTo(client, data, binary, namespace);
  }

  /** Call a function on a connection anywhere (mesh conn.call); `namespace` as for sendTo. */
  call(client: string, call: RemoteCall, namespace?: string): Promise<Done> {
    return this.requests.call(client, call, namespace);
  }

  /** Close a connection anywhere; with `namespace`, only a connection of that namespace. */
  disconnect(
    client: string,
    code = 1000,
    reason = 'disconnected by server',
    namespace?: string,
  ): Promise<Done> {
    return this.requests.disconnect(client, code, reason, namespace);
  }

  /**
   * Ask every node of the cluster for its figures, its connection list or its per-namespace or
   * per-channel counts (src/core/inspect.ts; `channels` needs `namespace`): per-node answers plus
   * the nodes that did not answer within the engine's control timeout.
   */
  inspectCluster<W extends InspectWhat>(
    what: W,
    namespace?: string,
  ): Promise<ClusterInspection<InspectResult<W>>> {
    return this.requests.inspectCluster(what, namespace);
  }

  /** This node's own answer to `inspect` (what a node tells the others about itself). */
  inspectLocal<W extends InspectWhat>(what: W, namespace?: string): InspectResult<W> {
    return this.requests.inspectLocal(what, namespace);
  }

  /** The ids of the cluster's live nodes (the engine's registry). */
  clusterNodes(): Promise<number[]> {
    return this.engine.registry.nodes();
  }

  /**
   * Ask one node about itself (`inspect`, src/core/inspect.ts); this node answers locally. Throws
   * HubError when the node does not answer in time.
   */
  inspectNode<W extends InspectWhat>(node: number, what: W, namespace?: string): Promise<InspectResult<W>> {
    return this.requests.inspectNode(node, what, namespace);
  }

  // ---- queues and held gateway clients (hub-queues.ts) -------------------------------------

  queuePush(namespace: string, topic: string, item: QueueItem): Promise<PushResult> {
    return this.queues.push(namespace, topic, item);
  }

  /**
   * Make the connection a consumer of the topics. `deliver` writes one item to it and returns
   * false if it could not. Refused as a whole if it already consumes one of them (mesh 202).
   */
  queueConsume(conn: Connection, topics: string[], deliver: (item: QueueItem) => boolean): Promise<void> {
    return this.queues.consume(conn, topics, deliver);
  }

  /** Stop consuming every topic (mesh queue.unpop); items not yet written stay in their topic. */
  queueStop(conn: Connection): Promise<void> {
    return this.queues.stop(conn);
  }

  /** Depth, consumers and drops of every queue topic of a namespace. */
  queueStats(namespace: string): ReturnType<Engine['queues']['stats']> {
    return this.queues.stats(namespace);
  }

  queueHasConsumer(namespace: string, topic: string): Promise<boolean> {
    return this.queues.hasConsumer(namespace, topic);
  }

  /** Record that this node holds a gateway client whose items go to `topic` (again after a context change). */
  holdClient(conn: Connection, topic: string): Promise<void> {
    return this.queues.hold(conn, topic);
  }

  releaseClient(conn: Connection): Promise<void> {
    return this.queues.release(conn);
  }

  /** Gateway clients of nodes that died, each handed to one node of the cluster (engine.clients). */
  claimOrphanClients(): Promise<HeldClient[]> {
    return this.queues.claimOrphans();
  }

  /** Per dialect: told when a remote call changed a connection's context (no field per connection). */
  private readonly contextWatchers = new Map<string, (conn: Connection) => void>();

  watchContext(dialect: string, onChange: (conn: Connection) => void): void {
    this.contextWatchers.set(dialect, onChange);
  }

  contextChanged(conn: Connection): void {
    this.contextWatchers.get(conn.dialect)?.(conn);
  }

  /**
   * Has `conn`'s copy of publication `ord` of `channel` been handed to its sink (or is it not
   * subscribed there)? For a dialect that must write a sender's own copy before its reply.
   */
  wrote(conn: Connection, channel: string, ord: number): boolean {
    const state = conn.subscription(channel);
    return state === undefined || (state.pending === null && state.lastOrd >= ord);
  }

  /** Every local connection, e.g. to close them all on shutdown. */
  localConnections(): IterableIterator<Connection> {
    return this.connections.values();
  }

  /** The local connection with this client id, if this node holds it. */
  connection(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  /** How many connections this node holds. */
  get connectionCount(): number {
    return this.connections.size;
  }
}

export type { AuthFailure, Done, HubCounters, HubOptions, SubscribeOptions } from './hub-options.js';
