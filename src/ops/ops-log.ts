// Log lines an operator acts on, kept off the hot path: authentication failures and fired limits
// are summed over an interval (log.summary_interval_ms) so that a flood is a handful of lines with
// counts, never a line per attempt. Contract: docs/operations.md "Logs".
import type { Logger } from 'pino';
import type { Config } from '../app/config-schema.js';
import type { AuthFailure } from '../core/hub.js';
import { limitCounts } from '../core/limit-counters.js';
import type { TransportCounters } from '../transport/transport-state.js';

interface Pending {
  count: number;
  address: string | undefined;
  namespace: string | undefined;
}

/** What the listener's counters and `limitCounts()` say, as one flat record of counts. */
function firedCounts(transport: TransportCounters): Map<string, number> {
  const counts = new Map<string, number>([
    ['slow_consumer_closes', transport.slowConsumers],
    ['rate_limited_closes', transport.rateLimited],
    ['refused_max_connections', transport.refusedTotal],
    ['refused_max_connections_per_ip', transport.refusedPerIp],
  ]);
  for (const [limit, n] of limitCounts()) counts.set(`limit_${limit}`, n);
  return counts;
}

export class OpsLog {
  /** `dialect/reason` keys already logged in full during this interval. */
  private readonly seen = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private fired: Map<string, number>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    /** The listener's counters, whose growth each summary reports. */
    private readonly transport: TransportCounters,
  ) {
    this.fired = firedCounts(transport);
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** The first failure of a kind in an interval is logged in full; the rest are counted. */
  readonly authFailed = (f: AuthFailure): void => {
    const key = `${f.dialect}/${f.reason}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.logger.warn(
        { dialect: f.dialect, reason: f.reason, namespace: f.namespace, address: f.address },
        'authentication failed',
      );
      return;
    }
    const p = this.pending.get(key) ?? { count: 0, address: undefined, namespace: undefined };
    p.count++;
    p.address = f.address;
    p.namespace = f.namespace;
    this.pending.set(key, p);
  };

  /** Writes the interval's summaries (also at shutdown, so that no count is lost). */
  flush(): void {
    const seconds = this.intervalMs / 1000;
    for (const [key, p] of this.pending) {
      const [dialect, reason] = key.split(/\/(.*)/s) as [string, string];
      this.logger.warn(
        {
          dialect,
          reason,
          count: p.count,
          interval_s: seconds,
          last_namespace: p.namespace,
          last_address: p.address,
        },
        `authentication failed ${p.count} more times in ${seconds} s`,
      );
    }
    this.pending.clear();
    this.seen.clear();

    const now = firedCounts(this.transport);
    const delta: Record<string, number> = {};
    for (const [name, n] of now) {
      const d = n - (this.fired.get(name) ?? 0);
      if (d > 0) delta[name] = d;
    }
    this.fired = now;
    if (Object.keys(delta).length > 0) {
      this.logger.warn({ ...delta, interval_s: seconds }, `limits fired in the last ${seconds} s`);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

/** The effective configuration at a glance, without a secret: logged once at start. */
export function configSummary(config: Config, source: string): Record<string, unknown> {
  const namespaces = Object.entries(config.namespaces).map(([name, ns]) => {
    const dialects: string[] = [];
    if (ns.secret !== undefined || ns.post_secret !== undefined) dialects.push('site');
    if (ns.api_keys.length > 0 || ns.trusted_networks.length > 0) dialects.push('mesh');
    if (ns.rocket) dialects.push(`rocket ${ns.rocket.path}`);
    if (config.chat.namespace === name) dialects.push('chat');
    return `${name} (${dialects.join(', ') || 'no dialect'})`;
  });
  const { engine } = config;
  return {
    source,
    listen: `${config.listen.host}:${config.listen.port}`,
    tls: config.tls !== undefined,
    engine: engine.type === 'redis' ? `redis ${redactUrl(engine.url)} prefix ${engine.prefix}` : engine.type,
    node_id: config.node_id,
    admin_key: config.admin.key !== undefined,
    namespaces,
    chat_namespace: config.chat.namespace,
    limits: config.limits,
    log_level: config.log.level,
  };
}

/** A Redis URL without its password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
