import type { Cluster } from 'ioredis';
import { unavailable } from './errors.js';
import type { TopicHandler, Topics } from './subscriber.js';

/** Wait this long after ioredis re-subscribed before repairing: its SSUBSCRIBEs are not awaited. */
const SETTLE_MS = 250;

/**
 * Pub/sub on Redis Cluster: sharded topics (SSUBSCRIBE), so a publication crosses only the shard
 * of its slot, never the cluster bus. The cluster client (connection.ts, `sharded`) keeps one
 * subscriber connection per master and routes each topic to the master of its slot. After a
 * failover, a reshard that moves a subscribed slot (the old master sends an unsolicited
 * SUNSUBSCRIBE) or a lost subscriber connection, ioredis refreshes the slot map and subscribes the
 * topics again on their slot's master; it then reports "subscribersReady", and this class tells the
 * `onResync` listeners (gap repair from history, queue pulls), as Subscriber does after a reconnect.
 *
 * `synced` is false from the loss of any subscriber connection until that re-subscription; the
 * engine's cluster health probe (cluster-health.ts) covers the rest of "ready" and calls
 * `resync()` when the cluster comes back, in case a loss went unnoticed here.
 */
export class ShardSubscriber implements Topics {
  private readonly handlers = new Map<string, TopicHandler>();
  private readonly resyncListeners: (() => void)[] = [];
  private lost = false;
  private settle: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly onError: (err: unknown, what: string) => void,
  ) {
    cluster.on('smessage', (topic: string, message: string) => {
      const handler = this.handlers.get(topic);
      if (!handler) return;
      try {
        handler(message);
      } catch (err) {
        this.onError(err, `handling a message on ${topic}`);
      }
    });
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
    return !this.lost && this.cluster.status === 'ready';
  }

  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  has(topic: string): boolean {
    return this.handlers.has(topic);
  }

  async add(topic: string, handler: TopicHandler): Promise<void> {
    this.handlers.set(topic, handler);
    try {
      await this.cluster.ssubscribe(topic);
    } catch (err) {
      if (this.handlers.get(topic) === handler) this.handlers.delete(topic);
      throw unavailable('subscribe', err);
    }
  }

  async remove(topic: string, handler?: TopicHandler): Promise<void> {
    if (handler !== undefined && this.handlers.get(topic) !== handler) return;
    if (!this.handlers.delete(topic)) return;
    if (this.cluster.status !== 'ready') return;
    await this.cluster.sunsubscribe(topic).catch(() => undefined);
  }

  /** Repair what may have been missed (debounced: several losses in a row repair once). */
  resync(): void {
    if (this.settle) clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      this.settle = undefined;
      for (const listener of this.resyncListeners) {
        try {
          listener();
        } catch (err) {
          this.onError(err, 'resync listener');
        }
      }
    }, SETTLE_MS);
    this.settle.unref();
  }

  close(): void {
    if (this.settle) clearTimeout(this.settle);
  }
}
