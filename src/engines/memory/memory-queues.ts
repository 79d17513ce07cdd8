import type { QueueItem } from '../../core/types.js';
import type { PushResult, QueueConsumer, QueueLimits, QueueStore, TopicStats } from '../queue-store.js';

interface Waiting {
  item: QueueItem;
  /** Byte length of the item's JSON text, as the Redis engine would store it. */
  size: number;
}

interface Topic {
  items: Waiting[];
  /** Sum of the waiting items' sizes. */
  bytes: number;
  consumers: QueueConsumer[];
  cursor: number;
  dropped: number;
}

const newTopic = (): Topic => ({ items: [], bytes: 0, consumers: [], cursor: 0, dropped: 0 });

/** The queue topics of one node (memory engine): FIFO per topic, round-robin over consumers. */
export class MemoryQueues implements QueueStore {
  private readonly namespaces = new Map<string, Map<string, Topic>>();

  async push(ns: string, name: string, item: QueueItem, limits: QueueLimits): Promise<PushResult> {
    const topics = this.topics(ns);
    let topic = topics.get(name);
    let dropped = 0;
    if (!topic) {
      if (topics.size >= limits.maxTopics) dropped += this.evictIdleTopic(topics);
      if (topics.size >= limits.maxTopics) return { dropped: dropped + 1, droppedForBytes: 0 }; // every topic is in use
      topic = newTopic();
      topics.set(name, topic);
    }
    // Items already waiting go first: FIFO holds even when consumers were busy.
    if (topic.items.length === 0 && this.offer(topic, item)) return { dropped, droppedForBytes: 0 };
    const size = Buffer.byteLength(JSON.stringify(item));
    if (size > limits.topicBytes) {
      topic.dropped++;
      return { dropped: dropped + 1, droppedForBytes: 1 };
    }
    topic.items.push({ item, size });
    topic.bytes += size;
    if (topic.items.length > limits.topicSize) {
      this.dropOldest(topic);
      dropped++;
    }
    let droppedForBytes = 0;
    while (topic.bytes > limits.topicBytes) {
      this.dropOldest(topic);
      droppedForBytes++;
    }
    this.drain(topic);
    return { dropped: dropped + droppedForBytes, droppedForBytes };
  }

  async consume(ns: string, name: string, consumer: QueueConsumer): Promise<() => Promise<void>> {
    const topics = this.topics(ns);
    let topic = topics.get(name);
    if (!topic) {
      topic = newTopic();
      topics.set(name, topic);
    }
    topic.consumers.push(consumer);
    this.drain(topic);
    const t = topic;
    return async () => {
      const i = t.consumers.indexOf(consumer);
      if (i >= 0) t.consumers.splice(i, 1);
    };
  }

  async hasConsumer(ns: string, name: string): Promise<boolean> {
    return (this.namespaces.get(ns)?.get(name)?.consumers.length ?? 0) > 0;
  }

  async stats(ns: string): Promise<TopicStats[]> {
    return [...(this.namespaces.get(ns) ?? new Map<string, Topic>()).entries()].map(([topic, t]) => ({
      topic,
      depth: t.items.length,
      consumers: t.consumers.length,
      dropped: t.dropped,
      bytes: t.bytes,
    }));
  }

  private topics(ns: string): Map<string, Topic> {
    let topics = this.namespaces.get(ns);
    if (!topics) {
      topics = new Map();
      this.namespaces.set(ns, topics);
    }
    return topics;
  }

  private dropOldest(topic: Topic): void {
    const gone = topic.items.shift();
    if (!gone) return;
    topic.bytes -= gone.size;
    topic.dropped++;
  }

  /** Round-robin: each consumer in turn, starting after the one served last. */
  private offer(topic: Topic, item: QueueItem): boolean {
    const n = topic.consumers.length;
    for (let k = 0; k < n; k++) {
      const i = (topic.cursor + k) % n;
      const consumer = topic.consumers[i]!;
      if (consumer.deliver(item)) {
        topic.cursor = (i + 1) % n;
        return true;
      }
    }
    return false;
  }

  private drain(topic: Topic): void {
    while (topic.items.length > 0 && this.offer(topic, topic.items[0]!.item)) {
      topic.bytes -= topic.items.shift()!.size;
    }
  }

  /** Make room for a new topic: drop the unconsumed topic whose waiting items are oldest. */
  private evictIdleTopic(topics: Map<string, Topic>): number {
    for (const [name, t] of topics) {
      // Map order is creation order: the first idle topic is the oldest one.
      if (t.consumers.length === 0) {
        topics.delete(name);
        return t.items.length;
      }
    }
    return 0;
  }
}
