import type { Redis } from 'ioredis';
import { unavailable } from './errors.js';

export type TopicHandler = (message: string) => void;

/**
 * What the engine's parts need from pub/sub: topics with handlers, and a signal after every loss
 * once the topics are back. `Subscriber` (one Redis, SUBSCRIBE) and `ShardSubscriber` (Redis
 * Cluster, SSUBSCRIBE) provide it.
 */
export interface Topics {
  readonly synced: boolean;
  onResync(listener: () => void): void;
  has(topic: string): boolean;
  add(topic: string, handler: TopicHandler): Promise<void>;
  remove(topic: string, handler?: TopicHandler): Promise<void>;
}

/**
 * The node's one dedicated pub/sub connection. Owners add a topic with its handler; `add`
 * resolves once Redis has confirmed the SUBSCRIBE, which is what lets `watch` promise delivery of
 * everything published after it resolves.
 *
 * ioredis' own auto-resubscribe is off: after a reconnect this class re-subscribes every topic
 * itself, then tells the `onResync` listeners, which repair what was published while the
 * connection was down (history reads, queue pulls). Until that has happened `synced` is false and
 * the node reports not ready.
 */
export class Subscriber implements Topics {
  private readonly handlers = new Map<string, TopicHandler>();
  private readonly resyncListeners: (() => void)[] = [];
  private syncedConnection = false;

  constructor(
    private readonly redis: Redis,
    private readonly onError: (err: unknown, what: string) => void,
  ) {
    redis.on('message', (topic: string, message: string) => {
      const handler = this.handlers.get(topic);
      if (!handler) return; // unsubscribed meanwhile
      try {
        handler(message);
      } catch (err) {
        this.onError(err, `handling a message on ${topic}`);
      }
    });
    redis.on('ready', () => void this.resync());
    redis.on('close', () => {
      this.syncedConnection = false;
    });
  }

  /** Connected, and every topic subscribed again after the last reconnect. */
  get synced(): boolean {
    return this.syncedConnection && this.redis.status === 'ready';
  }

  /** Called after every (re)connect once all topics are subscribed again. */
  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  has(topic: string): boolean {
    return this.handlers.has(topic);
  }

  async add(topic: string, handler: TopicHandler): Promise<void> {
    this.handlers.set(topic, handler);
    try {
      await this.redis.subscribe(topic);
    } catch (err) {
      if (this.handlers.get(topic) === handler) this.handlers.delete(topic);
      throw unavailable('subscribe', err);
    }
  }

  /**
   * Drop a topic. With `handler`, only if that handler still owns it (a newer owner that re-added
   * the topic meanwhile keeps it). Never throws: a connection that is down has no subscriptions
   * left, and the next resync only restores topics that still have a handler.
   */
  async remove(topic: string, handler?: TopicHandler): Promise<void> {
    if (handler !== undefined && this.handlers.get(topic) !== handler) return;
    if (!this.handlers.delete(topic)) return;
    if (this.redis.status !== 'ready') return;
    await this.redis.unsubscribe(topic).catch(() => undefined);
  }

  private async resync(): Promise<void> {
    const topics = [...this.handlers.keys()];
    try {
      for (let i = 0; i < topics.length; i += 500) await this.redis.subscribe(...topics.slice(i, i + 500));
    } catch (err) {
      // The connection dropped again; the next 'ready' starts over.
      this.onError(err, 'resubscribing after a reconnect');
      return;
    }
    this.syncedConnection = true;
    for (const listener of this.resyncListeners) {
      try {
        listener();
      } catch (err) {
        this.onError(err, 'resync listener');
      }
    }
  }
}
