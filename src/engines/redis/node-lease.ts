import type { Redis } from 'ioredis';
import { MAX_NODE_ID } from '../../core/snowflake.js';
import type { Keys } from './keys.js';

/** How the engine's lease scripts are called (ioredis custom commands, see redis-engine.ts). */
export interface LeaseScripts {
  leaseRenew(key: string, token: string, ttlMs: number, force: string): Promise<number>;
  leaseRelease(key: string, token: string): Promise<number>;
  leaseList(routeKey: string, nodePrefix: string, maxId: number): Promise<number[]>;
  leaseAcquire(
    numKeys: 1,
    routeKey: string,
    nodePrefix: string,
    token: string,
    ttlMs: number,
    start: number,
    maxId: number,
  ): Promise<number>;
}

/**
 * A node's entry in the cluster registry: the key `node:<id>` holding this process's random token,
 * expiring `ttlMs` after the last renewal. It tells other nodes (and operators: `SCAN node:*`)
 * which node ids are alive, and it is the lease behind an automatically chosen node id. A node
 * that dies simply stops renewing: its entry is gone after the TTL, blocking nobody.
 *
 * A configured node id is authoritative (`force`): the entry is taken even if another token holds
 * it, e.g. the previous process of this node killed a few seconds ago. `conflict` reports when a
 * renewal found someone else's token, which with configured ids means two live nodes share an id.
 */
export class NodeLease {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cmd: Redis & LeaseScripts,
    private readonly keys: Keys,
    readonly nodeId: number,
    readonly token: string,
    private readonly ttlMs: number,
    private readonly force: boolean,
    private readonly onLost: (why: string) => void,
  ) {}

  /** Lease the first free node id (0..1023), or throw if all are taken. */
  static async acquire(cmd: Redis & LeaseScripts, keys: Keys, token: string, ttlMs: number): Promise<number> {
    const start = Math.floor(Math.random() * (MAX_NODE_ID + 1));
    // The first node key only routes the script on Redis Cluster (every node key shares its slot).
    const id = await cmd.leaseAcquire(1, keys.node(0), keys.nodePrefix(), token, ttlMs, start, MAX_NODE_ID);
    if (id < 0) throw new Error(`every node id 0..${MAX_NODE_ID} is leased: cannot join the cluster`);
    return id;
  }

  /** Who holds the id now (another token means another live node or a recently stopped one). */
  async holder(): Promise<string | null> {
    return this.cmd.get(this.keys.node(this.nodeId));
  }

  /** Renew now; false if another live token holds the id and this lease may not take it. */
  async renew(): Promise<boolean> {
    const held = await this.cmd.leaseRenew(
      this.keys.node(this.nodeId),
      this.token,
      this.ttlMs,
      this.force ? '1' : '0',
    );
    return held === 1;
  }

  /** Renew every third of the TTL until stopped. Failures while Redis is down are retried. */
  keepAlive(): void {
    this.timer = setInterval(
      () => {
        this.renew().then(
          (held) => {
            if (!held) this.onLost(`node id ${this.nodeId} is now leased by another node`);
          },
          () => undefined, // Redis away: the lease may lapse; the next renewal takes it back
        );
      },
      Math.max(100, Math.floor(this.ttlMs / 3)),
    );
    this.timer.unref();
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.cmd.leaseRelease(this.keys.node(this.nodeId), this.token).catch(() => undefined);
  }

  /** Node ids with a live registry entry. */
  static async liveNodes(cmd: Redis & LeaseScripts, keys: Keys): Promise<number[]> {
    // On Redis Cluster SCAN sees one server only; the registry's one slot is read by a script.
    if (keys.cluster) return (await cmd.leaseList(keys.node(0), keys.nodePrefix(), MAX_NODE_ID)).map(Number);
    const ids: number[] = [];
    let cursor = '0';
    do {
      const [next, found] = await cmd.scan(cursor, 'MATCH', keys.nodePattern(), 'COUNT', 1000);
      cursor = next;
      for (const k of found) ids.push(Number(k.slice(keys.prefix.length + 'node:'.length)));
    } while (cursor !== '0');
    return ids.filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
  }
}
