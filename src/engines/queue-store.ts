/**
 * QueueStore: work queues with one consumer per item across the cluster (mesh queue.push/pop,
 * rocket trigger). One piece of the engine (engine.ts); its conformance suite is
 * test/conformance/queue-store-suite.ts.
 *
 * Each pushed item is handed to exactly one consumer across the cluster, round-robin over the
 * topic's consumers. A consumer's `deliver` returning false means "not written": the store offers
 * the item to another consumer or keeps it at the head of the topic. With no consumer, items wait
 * (at most `topicSize` items and `topicBytes` bytes per topic, `maxTopics` topics per namespace;
 * past that the oldest items are dropped and reported in `dropped`). The same topic name in two
 * namespaces is two topics.
 *
 * The size of an item is the byte length of its JSON text (what the Redis engine stores). Past
 * `topicBytes` the oldest items go, as past `topicSize`: a producer (a gateway client, a rocket
 * trigger) is never told "full", and what waits is the most recent traffic, the part a consumer
 * that comes back can still act on (RabbitMQ's default overflow for a length-bounded queue,
 * drop-head, does the same). One item larger than `topicBytes` on its own can never fit: it is
 * dropped itself and the topic is left as it was.
 */
import type { QueueItem } from '../core/types.js';

/** A local queue consumer: one backend connection that called `queue.pop`. */
export interface QueueConsumer {
  /** Stable id of the consuming connection (its client_id). */
  readonly id: string;
  /**
   * Write the item to the consumer now. Return false if it could not be written (connection
   * closing or too far behind); the store then gives the item to someone else or keeps it.
   */
  deliver(item: QueueItem): boolean;
}

export interface QueueLimits {
  topicSize: number;
  topicBytes: number;
  maxTopics: number;
}

export interface PushResult {
  /** Items dropped by this push, for any bound (the pushed one included when it was). */
  dropped: number;
  /** Of those, the items dropped because the topic was over `topicBytes`. */
  droppedForBytes: number;
}

export interface TopicStats {
  topic: string;
  /** Items waiting for a consumer. */
  depth: number;
  /** Consumers attached on the whole cluster (best effort for remote ones). */
  consumers: number;
  /** Items dropped because the topic or the namespace was full, since start. */
  dropped: number;
  /** Bytes of the waiting items (their JSON text). */
  bytes: number;
}

export interface QueueStore {
  push(namespace: string, topic: string, item: QueueItem, limits: QueueLimits): Promise<PushResult>;
  /** Attach a consumer to a topic; resolves with a detach function. */
  consume(namespace: string, topic: string, consumer: QueueConsumer): Promise<() => Promise<void>>;
  /** Is any consumer attached to the topic anywhere in the cluster? (rocket ASSIGNATION_FAILED) */
  hasConsumer(namespace: string, topic: string): Promise<boolean>;
  stats(namespace: string): Promise<TopicStats[]>;
}
