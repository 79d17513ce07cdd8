import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChannelInfo, Publication, PublishInput, QueueItem } from '../../core/types.js';
import type {
  ControlMessage,
  ControlReply,
  Engine,
  EngineHandlers,
  HistoryQuery,
  HistoryResult,
  PublishOptions,
  PublishResult,
  QueueConsumer,
  QueueLimits,
  TopicStats,
} from '../engine.js';
import { ChannelStreams } from './channel-streams.js';
import { decodeEntry, decodeEnvelope, entryBody, envelopeHead } from './codec.js';
import { type Client, client, describeTarget, quit, withTimeout } from './connection.js';
import { ControlBus } from './control.js';
import { unavailable } from './errors.js';
import { Keys } from './keys.js';
import { MasterGuard } from './master-guard.js';
import { NodeLease } from './node-lease.js';
import { RedisPresence } from './presence.js';
import { RedisQueues } from './queues.js';
import { Subscriber } from './subscriber.js';

export interface RedisEngineOptions {
  /** redis:// or rediss:// URL (with `sentinels`: only credentials, database and TLS). */
  url: string;
  /** Sentinels (`host:port`) to ask for the master named `sentinelName`, instead of `url`'s host. */
  sentinels?: string[];
  sentinelName?: string;
  /** Key prefix shared by the nodes of one cluster (a ':' is appended if missing). */
  prefix: string;
  /** This node's id; omit to lease a free one from Redis (use `RedisEngine.connect`). */
  nodeId?: number;
  logger?: Logger;
  /** Idle channels' history expires this long after their last publication. Default 24 h. */
  historyTtlSeconds?: number;
  /**
   * A channel's ord counter expires this long after its last publication (default 30 days). Kept
   * longer than history so a client resuming with an old ord never sees ords start again at 1.
   */
  ordTtlSeconds?: number;
  /** control() gives up on a silent node after this long. Default 2000. */
  controlTimeoutMs?: number;
  /** publish({count}) stops waiting for node answers after this long. Default 500. */
  countTimeoutMs?: number;
  /** start() fails if Redis is not reachable within this long. Default 10000. */
  connectTimeoutMs?: number;
  /** Node registry entries and queue consumers expire this long after their last heartbeat. */
  leaseTtlMs?: number;
}

/**
 * The cluster engine (SPEC §8): any number of nodes share channels, history, queues and routing
 * through one Redis. Two connections per node: `cmd` for commands and scripts, `sub` for pub/sub.
 * See docs/cluster.md for the guarantees and the failure behaviour, keys.ts for the data layout.
 */
export class RedisEngine implements Engine {
  readonly kind = 'redis';
  readonly nodeId: number;
  private readonly keys: Keys;
  private readonly cmd: Client;
  private readonly subConn: Client;
  private readonly sub: Subscriber;
  private readonly streams: ChannelStreams;
  private readonly control_: ControlBus;
  private readonly queues: RedisQueues;
  private readonly lease: NodeLease;
  readonly presence: RedisPresence;
  private readonly master: MasterGuard;
  private readonly token: string;
  private readonly log: Logger | undefined;
  /** Set while the command connection is down after having been up (for one log line each way). */
  private lostAt: number | undefined;
  private readonly o: Required<Omit<RedisEngineOptions, 'nodeId' | 'logger' | 'sentinels' | 'sentinelName'>>;
  private readonly where: string;
  private handlers: EngineHandlers | undefined;
  /** Channels watched by name, `<ns>\0<channel>`. */
  private readonly watched = new Set<string>();
  /** Namespaces watched as a whole (a separate set: no channel name can stand for one). */
  private readonly watchedNamespaces = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  /** The cluster's data epoch as this node knows it (see the publish script). */
  private epoch = '';

  constructor(
    options: RedisEngineOptions,
    private readonly leased?: { token: string; cmd: Client },
  ) {
    if (options.nodeId === undefined)
      throw new Error('RedisEngine needs a nodeId; use RedisEngine.connect to lease one');
    this.nodeId = options.nodeId;
    this.o = {
      url: options.url,
      prefix: options.prefix,
      historyTtlSeconds: options.historyTtlSeconds ?? 86_400,
      ordTtlSeconds: options.ordTtlSeconds ?? 30 * 86_400,
      controlTimeoutMs: options.controlTimeoutMs ?? 2000,
      countTimeoutMs: options.countTimeoutMs ?? 500,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      leaseTtlMs: options.leaseTtlMs ?? 15_000,
    };
    this.log = options.logger;
    this.keys = new Keys(options.prefix);
    this.token = leased?.token ?? randomBytes(8).toString('hex');
    this.where = describeTarget(options);
    this.cmd = leased?.cmd ?? client(options, `switchboard-${this.nodeId}`);
    this.subConn = client(options, `switchboard-${this.nodeId}-sub`);
    const onError = (err: unknown, what: string) =>
      this.log?.warn({ err, node: this.nodeId }, `redis engine: ${what}`);
    this.master = new MasterGuard(
      this.cmd,
      this.keys,
      (replid) =>
        this.log?.warn(
          { node: this.nodeId, replid },
          'redis engine: a new master (failover); ords continue above a raised floor',
        ),
      onError,
    );
    this.sub = new Subscriber(this.subConn, onError);
    this.control_ = new ControlBus(this.cmd, this.sub, this.keys, this.nodeId, () => this.handlers, {
      controlMs: this.o.controlTimeoutMs,
      countMs: this.o.countTimeoutMs,
    });
    this.streams = new ChannelStreams({
      deliver: (ns, p) => this.handlers?.onPublication(ns, p) ?? { s: 0, f: 0 },
      answerCount: (req, counts) => this.control_.answerCount(req, counts),
      historyAfter: async (ns, ch, after) => (await this.history(ns, ch, { after })).publications,
      channelsSince: (ns, since) => this.cmd.zrangebyscore(this.keys.channels(ns), since, '+inf'),
      onError,
    });
    this.queues = new RedisQueues(this.cmd, this.sub, this.keys, this.nodeId, this.o.leaseTtlMs, onError);
    this.lease = new NodeLease(
      this.cmd,
      this.keys,
      this.nodeId,
      this.token,
      this.o.leaseTtlMs,
      !leased,
      (why) => this.log?.error({ node: this.nodeId }, `redis engine: ${why}`),
    );
    this.presence = new RedisPresence(this.cmd, {
      prefix: options.prefix,
      nodeId: this.nodeId,
      liveNodes: () => this.clusterNodes(),
      onError,
    });
    this.sub.onResync(() => {
      this.streams.resync();
      this.queues.pullAll();
    });
    // Errors are reported through commands and readiness; without a listener ioredis would print.
    this.cmd.on('error', (err) => this.log?.debug({ err }, 'redis command connection'));
    this.subConn.on('error', (err) => this.log?.debug({ err }, 'redis pub/sub connection'));
    this.cmd.on('ready', () => {
      if (!this.handlers) return;
      if (this.lostAt !== undefined) {
        this.log?.info(
          { node: this.nodeId, down_ms: Date.now() - this.lostAt },
          'redis engine: Redis is back',
        );
        this.lostAt = undefined;
      }
      void this.heartbeat();
    });
    this.cmd.on('close', () => {
      if (!this.handlers || this.closed || this.lostAt !== undefined) return;
      this.lostAt = Date.now();
      this.log?.warn(
        { node: this.nodeId, redis: this.where },
        'redis engine: lost the connection to Redis; not ready, reconnecting (local traffic continues)',
      );
    });
  }

  /**
   * An engine for a node without a configured id: leases the first free node id from Redis
   * (unique, expiring, renewed while the node runs) before the hub is built around it.
   */
  static async connect(options: RedisEngineOptions): Promise<RedisEngine> {
    if (options.nodeId !== undefined) return new RedisEngine(options);
    const cmd = client(options, 'switchboard-lease');
    const keys = new Keys(options.prefix);
    const token = randomBytes(8).toString('hex');
    try {
      await withTimeout(cmd.connect(), options.connectTimeoutMs ?? 10_000, describeTarget(options));
      const nodeId = await NodeLease.acquire(cmd, keys, token, options.leaseTtlMs ?? 15_000);
      return new RedisEngine({ ...options, nodeId }, { token, cmd });
    } catch (err) {
      cmd.disconnect();
      throw err;
    }
  }

  async start(handlers: EngineHandlers): Promise<void> {
    const t = this.o.connectTimeoutMs;
    try {
      await Promise.all([
        this.cmd.status === 'ready' ? undefined : withTimeout(this.cmd.connect(), t, this.where),
        withTimeout(this.subConn.connect(), t, this.where),
      ]);
      if (!this.master.ok) await this.master.check();
      if (!this.leased) {
        const holder = await this.lease.holder();
        if (holder !== null && holder !== this.token) {
          this.log?.warn(
            { node: this.nodeId },
            'redis engine: this node id was registered by another process (a node restarting, or two nodes configured with the same node_id)',
          );
        }
      }
      await this.lease.renew();
      await this.cmd.set(this.keys.epoch(), this.token, 'NX');
      this.epoch = (await this.cmd.get(this.keys.epoch())) ?? this.token;
      this.handlers = handlers;
      await this.control_.start();
    } catch (err) {
      this.cmd.disconnect();
      this.subConn.disconnect();
      throw new Error(`cannot start the redis engine at ${this.where}: ${(err as Error).message}`);
    }
    this.lease.keepAlive();
    // Presence entries left by this node id's previous process, and by nodes that died.
    await this.presence.sweep(true);
    const presenceSweep = setInterval(() => void this.presence.sweep(), Math.floor(this.o.leaseTtlMs / 3));
    const beat = setInterval(() => void this.heartbeat(), Math.floor(this.o.leaseTtlMs / 3));
    const poll = setInterval(() => this.queues.pullAll(), 1000);
    const sweep = setInterval(() => this.streams.sweep(), 60_000);
    this.timers = [beat, poll, sweep, presenceSweep];
    for (const timer of this.timers) timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.queues.close();
    await this.control_.stop();
    await this.lease.release();
    this.handlers = undefined;
    await Promise.all([quit(this.cmd), quit(this.subConn)]);
  }

  ready(): boolean {
    return !this.closed && this.master.ok && this.sub.synced;
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    try {
      const reply = await this.cmd.set(this.keys.once(key), '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      return reply === 'OK';
    } catch (err) {
      throw unavailable('claimOnce', err);
    }
  }

  async publish(
    ns: string,
    channel: string,
    input: PublishInput,
    options: PublishOptions,
  ): Promise<PublishResult> {
    const countId = options.count ? this.control_.nextId() : undefined;
    const gather = countId ? this.control_.gatherCounts(countId) : undefined;
    let reply: [number, number, number, string];
    try {
      if (!this.master.ok) throw new Error('the Redis master is not checked yet (reconnecting)');
      reply = await this.cmd.sbPublish(
        this.keys.ord(ns, channel),
        this.keys.history(ns, channel),
        this.keys.channels(ns),
        this.keys.epoch(),
        this.keys.ordBase(),
        this.keys.cut(ns, channel),
        entryBody(channel, input),
        envelopeHead(ns, countId ? { id: countId, node: this.nodeId } : undefined),
        options.historySize,
        this.o.historyTtlSeconds,
        this.o.ordTtlSeconds,
        channel,
        this.keys.channelTopic(ns, channel),
        this.keys.namespaceTopic(ns),
        this.epoch,
      );
    } catch (err) {
      gather?.cancel();
      throw unavailable('publish', err);
    }
    const [ord, time, receivers, epoch] = reply;
    this.epoch = epoch; // changed only after a data loss, once per cluster
    const publication: Publication = { ...input, channel, ord, time };
    if (!gather) return { publication };
    return { publication, delivered: await gather.wait(receivers) };
  }

  async history(ns: string, channel: string, query: HistoryQuery): Promise<HistoryResult> {
    let reply: (string | number)[];
    try {
      reply =
        'last' in query
          ? await this.cmd.sbHistory(
              this.keys.ord(ns, channel),
              this.keys.history(ns, channel),
              this.keys.cut(ns, channel),
              'last',
              query.last,
              -1,
            )
          : await this.cmd.sbHistory(
              this.keys.ord(ns, channel),
              this.keys.history(ns, channel),
              this.keys.cut(ns, channel),
              'after',
              query.after,
              query.limit ?? -1,
            );
    } catch (err) {
      throw unavailable('history read', err);
    }
    const [top, ...entries] = reply;
    return { publications: entries.map((e) => decodeEntry(String(e))), top: Number(top) };
  }

  async channels(ns: string): Promise<ChannelInfo[]> {
    let flat: unknown[];
    try {
      flat = await this.cmd.sbChannels(
        this.keys.channels(ns),
        this.keys.ordPrefix(ns),
        this.keys.historyPrefix(ns),
        this.o.ordTtlSeconds * 1000,
      );
    } catch (err) {
      throw unavailable('channel list', err);
    }
    const out: ChannelInfo[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const name = String(flat[i]);
      const top = Number(flat[i + 1]);
      const last = String(flat[i + 2]);
      out.push(last ? { name, top, last: decodeEntry(last) } : { name, top });
    }
    return out;
  }

  async watch(ns: string, channel: string): Promise<void> {
    const key = `${ns}\0${channel}`;
    if (this.watched.has(key)) return;
    this.watched.add(key);
    try {
      const needsBaseline = this.streams.open(ns, channel);
      await this.sub.add(this.keys.channelTopic(ns, channel), this.onPublicationMessage);
      if (needsBaseline) {
        // After the SUBSCRIBE is confirmed: every ord above this top arrives live.
        const top = await this.cmd.get(this.keys.ord(ns, channel));
        this.streams.setBaseline(ns, channel, Number(top ?? 0));
      }
    } catch (err) {
      this.watched.delete(key);
      await this.dropWatch(ns, channel);
      throw unavailable('watch', err);
    }
  }

  async unwatch(ns: string, channel: string): Promise<void> {
    if (!this.watched.delete(`${ns}\0${channel}`)) return;
    await this.dropWatch(ns, channel);
  }

  private async dropWatch(ns: string, channel: string): Promise<void> {
    this.streams.close(ns, channel);
    await this.sub.remove(this.keys.channelTopic(ns, channel), this.onPublicationMessage);
  }

  async watchNamespace(ns: string): Promise<void> {
    if (this.watchedNamespaces.has(ns)) return;
    this.watchedNamespaces.add(ns);
    try {
      const [seconds, micros] = await this.cmd.time();
      this.streams.watchNamespace(ns, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
      await this.sub.add(this.keys.namespaceTopic(ns), this.onPublicationMessage);
      await this.streams.namespaceSubscribed(ns);
    } catch (err) {
      this.watchedNamespaces.delete(ns);
      await this.dropNamespaceWatch(ns);
      throw unavailable('watch', err);
    }
  }

  async unwatchNamespace(ns: string): Promise<void> {
    if (!this.watchedNamespaces.delete(ns)) return;
    await this.dropNamespaceWatch(ns);
  }

  private async dropNamespaceWatch(ns: string): Promise<void> {
    this.streams.unwatchNamespace(ns);
    await this.sub.remove(this.keys.namespaceTopic(ns), this.onPublicationMessage);
  }

  private readonly onPublicationMessage = (raw: string): void => {
    this.streams.onMessage(decodeEnvelope(raw));
  };

  async control(nodeId: number, message: ControlMessage): Promise<ControlReply> {
    if (nodeId === this.nodeId) {
      if (!this.handlers) return { ok: false, error: 'node is not started' };
      return this.handlers.onControl(message);
    }
    return this.control_.request(nodeId, message);
  }

  queuePush(ns: string, topic: string, item: QueueItem, limits: QueueLimits): Promise<{ dropped: number }> {
    return this.queues.push(ns, topic, item, limits);
  }

  queueConsume(ns: string, topic: string, consumer: QueueConsumer): Promise<() => Promise<void>> {
    return this.queues.consume(ns, topic, consumer);
  }

  queueHasConsumer(ns: string, topic: string): Promise<boolean> {
    return this.queues.hasConsumer(ns, topic);
  }

  queueStats(ns: string): Promise<TopicStats[]> {
    return this.queues.stats(ns);
  }

  /** Node ids with a live registry entry (for /stats and operators). */
  clusterNodes(): Promise<number[]> {
    return NodeLease.liveNodes(this.cmd, this.keys);
  }

  /** The registry's live nodes, plus this one even if its lease renewal is late. */
  async nodes(): Promise<number[]> {
    let live: number[];
    try {
      live = await this.clusterNodes();
    } catch (err) {
      throw unavailable('node list', err);
    }
    if (!this.closed && !live.includes(this.nodeId)) live.push(this.nodeId);
    return live.sort((a, b) => a - b);
  }

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    try {
      await this.lease.renew();
      await this.queues.heartbeat();
    } catch {
      // Redis away: ready() already says so; the next beat after the reconnect catches up.
    }
  }
}
