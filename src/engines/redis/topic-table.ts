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
 * The part both subscribers share: which handler owns each topic, handing a message to it, and
 * the listeners told after every loss once the topics are subscribed again.
 */
export class TopicTable {
  protected readonly handlers = new Map<string, TopicHandler>();
  private readonly resyncListeners: (() => void)[] = [];

  constructor(protected readonly onError: (err: unknown, what: string) => void) {}

  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  has(topic: string): boolean {
    return this.handlers.has(topic);
  }

  /** A message from Redis: to the topic's handler, if it still has one (unsubscribed meanwhile). */
  protected readonly dispatch = (topic: string, message: string): void => {
    const handler = this.handlers.get(topic);
    if (!handler) return;
    try {
      handler(message);
    } catch (err) {
      this.onError(err, `handling a message on ${topic}`);
    }
  };

  /** Claim `topic` for `handler`; false if a newer owner took it meanwhile. */
  protected owns(topic: string, handler: TopicHandler): boolean {
    return this.handlers.get(topic) === handler;
  }

  /**
   * Forget `topic` (with `handler`: only if that handler still owns it). True if it was dropped,
   * so the caller unsubscribes it in Redis.
   */
  protected forget(topic: string, handler?: TopicHandler): boolean {
    if (handler !== undefined && this.handlers.get(topic) !== handler) return false;
    return this.handlers.delete(topic);
  }

  /** Every topic is subscribed again: the listeners repair what was missed meanwhile. */
  protected notifyResync(): void {
    for (const listener of this.resyncListeners) {
      try {
        listener();
      } catch (err) {
        this.onError(err, 'resync listener');
      }
    }
  }
}
