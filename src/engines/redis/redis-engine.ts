import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { ClusterChannelLog } from '../cluster/cluster-channel-log.js';
import { ControlBus } from '../cluster/control-bus.js';
import type { Engine, EngineHandlers, NodeRegistry, OnceStore } from '../engine.js';
import { RedisChannelTransport } from './channel-transport.js';
import { RedisClientLedger } from './client-ledger.js';
import { ClusterHealth } from './cluster-health.js';
import {
  type Client,
  client,
  DEFAULT_COMMAND_TIMEOUT_MS,
  describeTarget,
  quit,
  withTimeout,
} from './connection.js';
import { unavailable } from './errors.js';
import { RedisClock, RedisProbe } from './health.js';
import { Keys } from './keys.js';
import { MasterGuard } from './master-guard.js';
import { RedisNodeBus } from './node-bus.js';
import { NodeLease } from './node-lease.js';
import { RedisPresence } from './presence.js';
import { RedisQueues } from './queues.js';
import { ShardSubscriber } from './shard-subscriber.js';
import { ShardChannelTransport } from './shard-transport.js';
import { Subscriber } from './subscriber.js';
import type { Topics } from './topic-table.js';

export interface RedisEngineOptions {
  /** redis:// or rediss:// URL (with `sentinels`: only credentials, database and TLS). */
  url: string;
  /** Sentinels (`host:port`) to ask for the master named `sentinelName`, instead of `url`'s host. */
  sentinels?: string[];
  sentinelName?: string;
  /**
   * Redis Cluster nodes (`host:port`, any of the cluster's nodes), instead of `url`'s host:
   * hash-tagged keys and sharded pub/sub (docs/cluster.md "Redis Cluster").
   */
  cluster?: string[];
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
  /** How often this node removes dead nodes' presence members. Default a third of leaseTtlMs. */
  presenceSweepMs?: number;
  /** Every Redis command fails after this long without an answer. Default 1500. */
  commandTimeoutMs?: number;
  /** The readiness probe's period. Default 1000. */
  pingIntervalMs?: number;
  /** Not ready while a probe takes longer than this. Default 1000. */
  pingThresholdMs?: number;
  /** Publications in one script call at most (publish-batcher.ts); 1: no batching. Default 64. */
  publishBatchMax?: number;
}

/**
 * The cluster engine (docs/cluster.md): any number of nodes share channels, history, queues and routing
 * through one Redis. Two connections per node: `cmd` for commands and scripts, `sub` for pub/sub.
 * What is Redis here is the transport (channel-transport.ts, node-bus.ts), the queues, the node
 * lease and the scripts; ordering, gap repair, control requests and delivery counts come from the
 * shared cluster layer (src/engines/cluster/). See docs/cluster.md for the guarantees and the
 * failure behaviour, keys.ts for the data layout.
 */
export class RedisEngine implements Engine {
  readonly kind = 'redis';
  readonly nodeId: number;
  readonly log: ClusterChannelLog;
  readonly control: ControlBus;
  readonly queues: RedisQueues;
  readonly registry: NodeRegistry;
  readonly once: OnceStore;
  private readonly keys: Keys;
  private readonly cmd: Client;
  private readonly subConn: Client;
  private readonly sub: Topics;
  /** Redis Cluster only: every master answers and all slots are served. */
  private readonly health: ClusterHealth | undefined;
  private readonly channelTransport: RedisChannelTransport;
  private readonly lease: NodeLease;
  readonly presence: RedisPresence;
  /** One Redis / Sentinel only: on Redis Cluster the publish script guards ords per channel. */
  private readonly master: MasterGuard | undefined;
  readonly clients: RedisClientLedger;
  private readonly clock = new RedisClock();
  private readonly probe: RedisProbe;
  private readonly token: string;
  private readonly logger: Logger | undefined;
  /** Set while the command connection is down after having been up (for one log line each way). */
  private lostAt: number | undefined;
  private readonly o: Required<
    Omit<RedisEngineOptions, 'nodeId' | 'logger' | 'sentinels' | 'sentinelName' | 'cluster'>
  >;
  private readonly where: string;
  private handlers: EngineHandlers | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;

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
      presenceSweepMs: options.presenceSweepMs ?? Math.floor((options.leaseTtlMs ?? 15_000) / 3),
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      pingIntervalMs: options.pingIntervalMs ?? 1000,
      pingThresholdMs: options.pingThresholdMs ?? 1000,
      publishBatchMax: options.publishBatchMax ?? 64,
    };
    this.logger = options.logger;
    const cluster = options.cluster !== undefined;
    this.keys = new Keys(options.prefix, cluster);
    this.token = leased?.token ?? randomBytes(8).toString('hex');
    this.where = describeTarget(options);
    this.cmd = leased?.cmd ?? client(options, `switchboard-${this.nodeId}`);
    this.subConn = client(options, `switchboard-${this.nodeId}-sub`, true);
    const onError = (err: unknown, what: string) =>
      this.logger?.warn({ err, node: this.nodeId }, `redis engine: ${what}`);
    if (cluster) {
      const commands = this.cmd as unknown as Cluster;
      const shards = new ShardSubscriber(
        this.subConn as unknown as Cluster,
        onError,
        () => commands.slots,
        this.o.commandTimeoutMs,
      );
      this.sub = shards;
      this.health = new ClusterHealth(
        commands,
        (ok) => {
          this.logger?.[ok ? 'info' : 'warn'](
            { node: this.nodeId, redis: this.where },
            ok
              ? 'redis engine: every Redis Cluster master answers again; repairing what pub/sub missed'
              : 'redis engine: a Redis Cluster master is unreachable or slots are not served; not ready',
          );
          if (ok) shards.resync();
        },
        () => shards.follow(),
      );
    } else {
      this.master = new MasterGuard(
        this.cmd,
        this.keys,
        (replid) =>
          this.logger?.warn(
            { node: this.nodeId, replid },
            'redis engine: a new master (failover); ords continue above a raised floor',
          ),
        onError,
      );
      this.sub = new Subscriber(this.subConn, onError);
    }
    this.control = new ControlBus(
      new RedisNodeBus(this.cmd, this.sub, this.keys, this.nodeId),
      this.nodeId,
      () => this.handlers,
      { controlMs: this.o.controlTimeoutMs, countMs: this.o.countTimeoutMs },
    );
    const Transport = cluster ? ShardChannelTransport : RedisChannelTransport;
    this.channelTransport = new Transport(
      this.cmd,
      this.sub,
      this.keys,
      { historySeconds: this.o.historyTtlSeconds, ordSeconds: this.o.ordTtlSeconds },
      this.master ?? { ok: true },
      {
        // On Redis Cluster one script call serves one channel's slot: no batches across channels.
        max: cluster ? 1 : this.o.publishBatchMax,
        timeoutMs: this.o.commandTimeoutMs,
        redisNow: () => this.clock.now(),
      },
    );
    this.probe = new RedisProbe(this.cmd, this.clock, {
      intervalMs: this.o.pingIntervalMs,
      thresholdMs: this.o.pingThresholdMs,
      nodeId: this.nodeId,
      logger: this.logger,
    });
    this.log = new ClusterChannelLog({
      transport: this.channelTransport,
      control: this.control,
      deliver: (ns, p) => this.handlers?.onPublication(ns, p) ?? { delivered: 0, failed: 0 },
      onError,
    });
    // A pop's answer is needed before the command timeout: half of it leaves room for the reply.
    const popDeadline = () => Math.floor(this.clock.now() + this.o.commandTimeoutMs / 2);
    this.queues = new RedisQueues(
      this.cmd,
      this.sub,
      this.keys,
      this.nodeId,
      this.o.leaseTtlMs,
      onError,
      popDeadline,
    );
    this.lease = new NodeLease(
      this.cmd,
      this.keys,
      this.nodeId,
      this.token,
      this.o.leaseTtlMs,
      !leased,
      (why) => this.logger?.error({ node: this.nodeId }, `redis engine: ${why}`),
    );
    this.presence = new RedisPresence(this.cmd, {
      prefix: options.prefix,
      nodeId: this.nodeId,
      liveNodes: () => this.clusterNodes(),
      onError,
      cluster,
    });
    this.clients = new RedisClientLedger(this.cmd, this.keys, this.nodeId);
    this.registry = { nodes: () => this.nodes() };
    this.once = { claim: (key, ttlMs) => this.claimOnce(key, ttlMs) };
    this.sub.onResync(() => this.queues.pullAll());
    // Errors are reported through commands and readiness; without a listener ioredis would print.
    this.cmd.on('error', (err) => this.logger?.debug({ err }, 'redis command connection'));
    this.subConn.on('error', (err) => this.logger?.debug({ err }, 'redis pub/sub connection'));
    this.cmd.on('ready', () => {
      if (!this.handlers) return;
      if (this.lostAt !== undefined) {
        this.logger?.info(
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
      this.logger?.warn(
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
      if (this.master && !this.master.ok) await this.master.check();
      await this.clock.sync(this.cmd);
      if (!this.leased) {
        const holder = await this.lease.holder();
        if (holder !== null && holder !== this.token) {
          this.logger?.warn(
            { node: this.nodeId },
            'redis engine: this node id was registered by another process (a node restarting, or two nodes configured with the same node_id)',
          );
        }
      }
      await this.lease.renew();
      if (!this.keys.cluster) {
        await this.cmd.set(this.keys.epoch(), this.token, 'NX');
        this.channelTransport.epoch = (await this.cmd.get(this.keys.epoch())) ?? this.token;
      }
      if (this.health) {
        await this.health.probe();
        this.health.start();
      }
      // Before any gateway client is held by this process: its predecessor's are orphans.
      await this.clients.start();
      this.handlers = handlers;
      await this.control.start();
    } catch (err) {
      this.cmd.disconnect();
      this.subConn.disconnect();
      throw new Error(`cannot start the redis engine at ${this.where}: ${(err as Error).message}`);
    }
    this.lease.keepAlive();
    this.probe.start();
    // Presence entries left by this node id's previous process, and by nodes that died.
    await this.presence.sweep(true);
    const presenceSweep = setInterval(() => void this.presence.sweep(), this.o.presenceSweepMs);
    const beat = setInterval(() => void this.heartbeat(), Math.floor(this.o.leaseTtlMs / 3));
    const poll = setInterval(() => this.queues.pullAll(), 1000);
    const sweep = setInterval(() => this.log.sweep(), 60_000);
    this.timers = [beat, poll, sweep, presenceSweep];
    for (const timer of this.timers) timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.health?.stop();
    if (this.sub instanceof ShardSubscriber) this.sub.close();
    this.probe.stop();
    await this.queues.close();
    await this.control.stop();
    await this.clients.close();
    await this.lease.release();
    this.handlers = undefined;
    await Promise.all([quit(this.cmd), quit(this.subConn)]);
  }

  ready(): boolean {
    const master = this.master ? this.master.ok : this.health?.ok === true;
    return !this.closed && master && this.sub.synced && this.probe.healthy;
  }

  private async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    try {
      const reply = await this.cmd.set(this.keys.once(key), '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      return reply === 'OK';
    } catch (err) {
      throw unavailable('claimOnce', err);
    }
  }

  /** Node ids with a live registry entry (for /stats and operators). */
  clusterNodes(): Promise<number[]> {
    return NodeLease.liveNodes(this.cmd, this.keys);
  }

  /** The registry's live nodes, plus this one even if its lease renewal is late. */
  private async nodes(): Promise<number[]> {
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
