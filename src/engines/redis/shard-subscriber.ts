import type { Cluster } from 'ioredis';
import { unavailable } from './errors.js';
import { whileSlotMoves } from './slot-retry.js';
import { type TopicHandler, type Topics, TopicTable } from './topic-table.js';

/** Wait this long after ioredis re-subscribed before repairing: its SSUBSCRIBEs are not awaited. */
const SETTLE_MS = 250;
/**
 * The parts of ioredis' sharded subscriber group (ioredis 6, cluster/ClusterSubscriberGroup.js)
 * that say whether a slot's subscription is live: the group's own slot map, the topics it holds
 * per slot, and one subscriber connection per master. Not public API, so read defensively: when
 * the shape is not there, readiness rests on ioredis' events alone.
 */
interface SubscriberGroupView {
  clusterSlots: string[][];
  channels: Map<number, string[]>;
  shardedSubscribers: Map<string, { getInstance(): { status: string } | null }>;
}

function groupOf(cluster: Cluster): SubscriberGroupView | undefined {
  const g = (cluster as unknown as { shardedSubscribers?: Partial<SubscriberGroupView> }).shardedSubscribers;
  if (!g || !Array.isArray(g.clusterSlots) || !(g.channels instanceof Map)) return undefined;
  if (!(g.shardedSubscribers instanceof Map)) return undefined;
  return g as SubscriberGroupView;
}

/**
 * Pub/sub on Redis Cluster: sharded topics (SSUBSCRIBE), so a publication crosses only the shard
 * of its slot, never the cluster bus. The cluster client (connection.ts, `sharded`) keeps one
 * subscriber connection per master and routes each topic to the master of its slot. After a
 * failover, a reshard that moves a subscribed slot (the old master sends an unsolicited
 * SUNSUBSCRIBE) or a lost subscriber connection, ioredis refreshes the slot map and subscribes the
 * topics again on their slot's master; it then reports "subscribersReady", and this class tells the
 * `onResync` listeners (gap repair from history, queue pulls), as Subscriber does after a reconnect.
 *
 * `synced` is true only while every slot holding a topic is routed, in the subscriber client, to
 * the master the command client's slot map names for it (`owners`, the map the cluster health
 * probe checks: every master there answers and says `cluster_state:ok`) over a connection that is
 * up, and no re-subscription is still settling. The two clients refresh their slot maps on their
 * own, so after a promotion the command client may already write to the new master while the
 * subscriber client still listens on the dead one: that moment is "not ready", and `follow()`
 * (called by each health probe) makes the lagging client refresh.
 *
 * A subscribe refused while the slot's master changes is tried again (every 100 ms, the client
 * refreshing its slot map meanwhile) for up to `waitMs` (engine.command_timeout_ms), then fails
 * with the "Redis is unreachable" error every engine call gives; the client may retry.
 */
export class ShardSubscriber extends TopicTable implements Topics {
  private lost = false;
  private settle: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: Cluster,
    onError: (err: unknown, what: string) => void,
    /** The command client's slot owners (`host:port` per slot). */
    private readonly owners: () => readonly (readonly string[] | undefined)[],
    private readonly waitMs: number,
  ) {
    super(onError);
    cluster.on('smessage', this.dispatch);
    // A subscriber connection that ends (its master died) is reported as '-node' with that
    // connection; ioredis then replaces it and reports "subscribersReady". Other '-node' events
    // (any node, a replica too, leaving the command pool) are followed by no such report.
    cluster.on('-node', (redis: { options?: { connectionName?: string } } | undefined) => {
      if (redis?.options?.connectionName?.startsWith('ioredis-cluster(ssubscriber)')) this.lost = true;
    });
    cluster.on('-subscriber', () => {
      this.lost = true;
    });
    cluster.on('subscribersReady', () => {
      this.lost = false;
      this.resync();
    });
  }

  get synced(): boolean {
    return !this.lost && this.settle === undefined && this.cluster.status === 'ready' && this.routed();
  }

  /** Every slot with a topic listens, over a live connection, on the master that serves it. */
  private routed(): boolean {
    const group = groupOf(this.cluster);
    if (!group) return true;
    const owners = this.owners();
    for (const [slot, topics] of group.channels) {
      if (topics.length === 0) continue;
      const key = group.clusterSlots[slot]?.[0];
      if (key === undefined || key !== owners[slot]?.[0]) return false;
      if (group.shardedSubscribers.get(key)?.getInstance()?.status !== 'ready') return false;
    }
    return true;
  }

  /** Called by the health probe: a subscriber client lagging behind the slot map refreshes now. */
  follow(): void {
    if (this.cluster.status === 'ready' && !this.routed()) this.cluster.refreshSlotsCache();
  }

  async add(topic: string, handler: TopicHandler): Promise<void> {
    this.handlers.set(topic, handler);
    try {
      await whileSlotMoves(
        this.cluster,
        this.waitMs,
        () => this.cluster.ssubscribe(topic),
        () => this.owns(topic, handler),
      );
    } catch (err) {
      if (!this.owns(topic, handler)) return; // removed meanwhile: nothing to wait for
      this.forget(topic, handler);
      // ioredis keeps a refused topic in its list and would subscribe it after recovery.
      await this.cluster.sunsubscribe(topic).catch(() => undefined);
      throw unavailable('subscribe', err);
    }
  }

  async remove(topic: string, handler?: TopicHandler): Promise<void> {
    if (!this.forget(topic, handler)) return;
    if (this.cluster.status !== 'ready') return;
    await this.cluster.sunsubscribe(topic).catch(() => undefined);
  }

  /**
   * Repair what may have been missed (debounced: several losses in a row repair once). Not
   * synced until then: ioredis' SSUBSCRIBEs on the new master are sent, not yet confirmed.
   */
  resync(): void {
    if (this.settle) clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      this.settle = undefined;
      this.notifyResync();
    }, SETTLE_MS);
    this.settle.unref();
  }

  close(): void {
    if (this.settle) clearTimeout(this.settle);
    this.settle = undefined;
  }
}
