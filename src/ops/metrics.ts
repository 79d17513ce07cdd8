// Prometheus metrics for one server instance. Each server gets its own Registry (never prom-client's
// global one) so several servers in one process, as in the tests, never collide. Almost every figure
// is read from the hub at scrape time (collect callbacks), so nothing on the hot path pays for them.
// Reference of every metric: docs/operations.md "Metrics".
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Hub } from '../core/hub.js';
import { limitCounts } from '../core/limit-counters.js';
import type { DialectContext } from '../dialects/context.js';
import { gatewayStats } from '../dialects/mesh/gateway-outage.js';
import { redisStats } from '../engines/redis/redis-stats.js';

/** The metrics of one server. */
export interface OpsMetrics {
  readonly registry: Registry;
  /** Prometheus text exposition of every metric. */
  render(): Promise<string>;
  /** The same figures as prom-client JSON (what `serve --workers` merges across workers). */
  json(): ReturnType<Registry['getMetricsAsJSON']>;
}

/** Count an error answered to a client of `hub`'s server, by dialect and the dialect's own code. */
export function countError(hub: Hub, dialect: string, code: string): void {
  hub.errors.count(dialect, code);
}

/** Every namespace the server serves: the configured ones and the chat namespace. */
export function namespaceNames(ctx: DialectContext): string[] {
  return [...new Set([...Object.keys(ctx.config.namespaces), ctx.config.chat.namespace])].sort();
}

export function createMetrics(ctx: DialectContext): OpsMetrics {
  const { hub } = ctx;
  const registry = new Registry();
  registry.setDefaultLabels({ node: String(hub.nodeId) });
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'switchboard_connections',
    help: 'WebSocket connections held by this node',
    labelNames: ['dialect', 'namespace'],
    registers: [registry],
    collect() {
      this.reset();
      for (const conn of hub.localConnections()) {
        this.inc({ dialect: conn.dialect, namespace: conn.namespace });
      }
    },
  });

  new Gauge({
    name: 'switchboard_subscriptions',
    help: 'Channel subscriptions of the connections held by this node',
    labelNames: ['namespace'],
    registers: [registry],
    collect() {
      this.reset();
      for (const conn of hub.localConnections()) {
        if (conn.subscriptionCount > 0) this.inc({ namespace: conn.namespace }, conn.subscriptionCount);
      }
    },
  });

  // Monotonic counts kept elsewhere (hub, transport): reset and re-set at scrape time.
  const mirroredCounter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  mirroredCounter(
    'switchboard_publications_accepted_total',
    'Publications made through this node (any dialect or API) and stored by the engine',
    () => hub.counters.published,
  );
  mirroredCounter(
    'switchboard_publications_fanned_out_total',
    'Publications handed to this node for fan-out (with a shared engine: channels it watches)',
    () => hub.counters.publications,
  );
  mirroredCounter(
    'switchboard_deliveries_total',
    'Publications written to a local connection',
    () => hub.counters.deliveries,
  );
  mirroredCounter(
    'switchboard_failed_deliveries_total',
    'Publications that could not be written to a local connection (closing or too far behind)',
    () => hub.counters.failedDeliveries,
  );

  // Queue figures come from the engine (cluster-wide for a shared engine): read them once per scrape.
  const queueGauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['namespace', 'topic'], registers: [registry] });
  const depth = queueGauge('switchboard_queue_depth', 'Items waiting in a queue topic for a consumer');
  const consumers = queueGauge('switchboard_queue_consumers', 'Consumers attached to a queue topic');
  const bytes = queueGauge('switchboard_queue_bytes', 'Bytes (JSON) of the items waiting in a queue topic');
  const dropped = new Counter({
    name: 'switchboard_queue_dropped_total',
    help: 'Items dropped because a topic or its namespace was full',
    labelNames: ['namespace', 'topic'],
    registers: [registry],
  });
  const readQueues = async () => {
    depth.reset();
    consumers.reset();
    bytes.reset();
    dropped.reset();
    for (const ns of namespaceNames(ctx)) {
      let stats: Awaited<ReturnType<typeof hub.queueStats>>;
      try {
        stats = await hub.queueStats(ns);
      } catch {
        continue; // engine unreachable: switchboard_ready says so; keep the rest of the scrape
      }
      for (const t of stats) {
        const labels = { namespace: ns, topic: t.topic };
        depth.set(labels, t.depth);
        consumers.set(labels, t.consumers);
        bytes.set(labels, t.bytes);
        dropped.inc(labels, t.dropped);
      }
    }
  };

  // Counted by the hub (core/error-counts.ts) where each dialect answers an error; read here.
  new Counter({
    name: 'switchboard_errors_total',
    help: 'Errors answered to clients, by dialect and error code',
    labelNames: ['dialect', 'code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [dialect, code, n] of hub.errors.entries()) this.inc({ dialect, code }, n);
    },
  });
  // The gateway's losses are process-wide counts; the transport's refusals, cuts and flushes are
  // this server's listener's own.
  const transport = ctx.transport;
  mirroredCounter(
    'switchboard_gateway_items_lost_total',
    'Gateway client items (handshake, frames, close) the engine could not store: lost (process-wide)',
    () => gatewayStats.itemsLost,
  );
  mirroredCounter(
    'switchboard_gateway_outage_closes_total',
    'Gateway clients closed with 1013 because the engine could not store their items (process-wide)',
    () => gatewayStats.outageCloses,
  );
  mirroredCounter(
    'switchboard_slow_consumer_closes_total',
    'Connections closed with 1013 because they fell too far behind',
    () => transport.counters.slowConsumers,
  );
  mirroredCounter(
    'switchboard_rate_limited_closes_total',
    'Connections closed with 1008 for sending frames too fast',
    () => transport.counters.rateLimited,
  );
  new Counter({
    name: 'switchboard_socket_flushes_total',
    help: 'Socket write-outs: one per socket per event-loop turn or coalescing window that wrote to it, by hold',
    labelNames: ['hold'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ hold: 'turn' }, transport.batcher.counters.turnFlushes);
      this.inc({ hold: 'window' }, transport.batcher.counters.windowFlushes);
    },
  });
  new Counter({
    name: 'switchboard_connections_refused_total',
    help: 'WebSocket upgrades refused with 503 by a connection cap',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'max_connections' }, transport.counters.refusedTotal);
      this.inc({ reason: 'max_connections_per_ip' }, transport.counters.refusedPerIp);
    },
  });

  new Counter({
    name: 'switchboard_limit_hits_total',
    help: 'Times a configured bound refused, evicted, dropped or cut something, by limit (process-wide)',
    labelNames: ['limit'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [limit, n] of limitCounts()) this.inc({ limit }, n);
    },
  });

  // The Redis engine's safety nets (all zero on the memory engine; process-wide like the above).
  mirroredCounter(
    'switchboard_redis_command_timeouts_total',
    'Redis commands given up after engine.command_timeout_ms without an answer (process-wide)',
    () => redisStats.commandTimeouts,
  );
  mirroredCounter(
    'switchboard_redis_publishes_expired_total',
    'Publications Redis reached after their deadline and skipped: never published (process-wide)',
    () => redisStats.publishesExpired,
  );
  mirroredCounter(
    'switchboard_redis_pops_expired_total',
    'Queue pops Redis reached after their deadline and skipped: nothing taken (process-wide)',
    () => redisStats.popsExpired,
  );
  mirroredCounter(
    'switchboard_redis_slow_total',
    'Times Redis started answering slower than engine.ping_threshold_ms (node not ready meanwhile; process-wide)',
    () => redisStats.slowProbes,
  );
  new Gauge({
    name: 'switchboard_redis_probe_seconds',
    help: 'Round trip of the latest readiness probe to Redis that answered (process-wide)',
    registers: [registry],
    collect() {
      this.set(redisStats.lastProbeMs / 1000);
    },
  });
  mirroredCounter(
    'switchboard_redis_publish_calls_total',
    'Publish script calls to Redis (one per batch; process-wide)',
    () => redisStats.publishCalls,
  );
  mirroredCounter(
    'switchboard_redis_publish_call_publications_total',
    'Publications sent to Redis by those calls (÷ calls = mean batch size; process-wide)',
    () => redisStats.publications,
  );

  new Gauge({
    name: 'switchboard_uptime_seconds',
    help: 'Seconds since this server started',
    registers: [registry],
    collect() {
      this.set((Date.now() - ctx.startedAt) / 1000);
    },
  });
  new Gauge({
    name: 'switchboard_ready',
    help: '1 when the engine is reachable and the node serves everything, else 0',
    registers: [registry],
    collect() {
      this.set(ctx.ready() ? 1 : 0);
    },
  });

  const metrics: OpsMetrics = {
    registry,
    async render() {
      await readQueues();
      return registry.metrics();
    },
    async json() {
      await readQueues();
      return registry.getMetricsAsJSON();
    },
  };
  return metrics;
}
