import type { Cluster } from 'ioredis';

const PROBE_EVERY_MS = 500;
const PROBE_TIMEOUT_MS = 1000;

/**
 * Whether this node can serve every channel on Redis Cluster right now: each master of the slot
 * map answers, and says `cluster_state:ok` (all 16384 slots served). A killed master makes it
 * false at once: its connection's end removes it from the client's pool ('-node'), which marks
 * the cluster unhealthy before the next probe, and no probe that started before that can mark it
 * healthy again. It stays false (its slots' channels cannot publish) until a replica took over and
 * the client's slot map names it; then `onChange(true)` runs (the engine repairs what pub/sub lost
 * meanwhile). A replica that dies changes nothing. Probed every 500 ms: `CLUSTER INFO` on each
 * master, a few microseconds of Redis time. A failed probe refreshes the slot map at once, and
 * each probe runs `follow` (the subscriber client refreshes its slot map if it lags behind this
 * one).
 */
export class ClusterHealth {
  private healthy = false;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  /** Bumped by every loss seen between probes: a probe started before it cannot report healthy. */
  private generation = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly onChange: (ok: boolean) => void,
    private readonly follow: () => void = () => undefined,
  ) {
    cluster.on('-node', (redis: { options?: { host?: string; port?: number } } | undefined) => {
      const key = `${redis?.options?.host}:${redis?.options?.port}`;
      if (!this.cluster.slots.some((nodes) => nodes?.[0] === key)) return; // not a slot's master
      this.generation++;
      this.set(false);
    });
  }

  get ok(): boolean {
    return this.healthy && this.cluster.status === 'ready';
  }

  start(): void {
    this.timer = setInterval(() => void this.probe(), PROBE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async probe(): Promise<boolean> {
    if (this.probing) return this.healthy;
    this.probing = true;
    const generation = this.generation;
    try {
      const ok = (await this.check()) && generation === this.generation;
      this.set(ok);
      // A dead master in the map: ask the cluster again now rather than at the client's next
      // periodic refresh (2 s), so the node follows a promotion within one probe.
      if (!ok && this.cluster.status === 'ready') this.cluster.refreshSlotsCache();
      this.follow();
      return ok;
    } finally {
      this.probing = false;
    }
  }

  private async check(): Promise<boolean> {
    if (this.cluster.status !== 'ready') return false;
    const owners = new Set<string>();
    for (const nodes of this.cluster.slots) {
      if (!nodes?.[0]) return false; // a slot nobody serves in the client's map
      owners.add(nodes[0]);
    }
    const masters = this.cluster.nodes('master');
    const byKey = new Map(masters.map((m) => [`${m.options.host}:${m.options.port}`, m]));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
    });
    try {
      const answers = Promise.all(
        [...owners].map(async (key) => {
          const m = byKey.get(key);
          if (!m) return false; // its connection ended: a dead master the map still names
          const info = String(await m.call('CLUSTER', 'INFO'));
          return info.includes('cluster_state:ok');
        }),
      ).then(
        (all) => all.every(Boolean),
        () => false,
      );
      return await Promise.race([answers, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private set(ok: boolean): void {
    if (ok === this.healthy) return;
    this.healthy = ok;
    this.onChange(ok);
  }
}
