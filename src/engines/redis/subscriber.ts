import type { Redis } from 'ioredis';
import { unavailable } from './errors.js';
import { type TopicHandler, type Topics, TopicTable } from './topic-table.js';

export type { TopicHandler, Topics } from './topic-table.js';

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
export class Subscriber extends TopicTable implements Topics {
  private syncedConnection = false;

  constructor(
    private readonly redis: Redis,
    onError: (err: unknown, what: string) => void,
  ) {
    super(onError);
    redis.on('message', this.dispatch);
    redis.on('ready', () => void this.resync());
    redis.on('close', () => {
      this.syncedConnection = false;
    });
  }

  /** Connected, and every topic subscribed again after the last reconnect. */
  get synced(): boolean {
    return this.syncedConnection && this.redis.status === 'ready';
  }

  async add(topic: string, handler: TopicHandler): Promise<void> {
    this.handlers.set(topic, handler);
    try {
      await this.redis.subscribe(topic);
    } catch (err) {
      this.forget(topic, handler);
      throw unavailable('subscribe', err);
    }
  }

  /**
   * Drop a topic. With `handler`, only if that handler still owns it (a newer owner that re-added
   * the topic meanwhile keeps it). Never throws: a connection that is down has no subscriptions
   * left, and the next resync only restores topics that still have a handler.
   */
  async remove(topic: string, handler?: TopicHandler): Promise<void> {
    if (!this.forget(topic, handler)) return;
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
    this.notifyResync();
  }
}
