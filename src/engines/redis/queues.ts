import type { Redis } from 'ioredis';
import type { JsonValue, QueueItem } from '../../core/types.js';
import type { PushResult, QueueConsumer, QueueLimits, QueueStore, TopicStats } from '../queue-store.js';
import { unavailable } from './errors.js';
import type { Keys } from './keys.js';
import { redisStats } from './redis-stats.js';
import type { Topics } from './topic-table.js';

/** Local state of a topic this node has consumers for. */
interface LocalTopic {
  ns: string;
  topic: string;
  key: string;
  /** The namespace's topic → bytes hash (queue-push.lua bounds a topic by it). */
  bytesKey: string;
  wake: string;
  consumers: QueueConsumer[];
  cursor: number;
  pulling: boolean;
  again: boolean;
  /** Items popped but neither delivered nor yet put back (Redis went away meanwhile). */
  held: string[];
  /** Every local consumer refused: wait before offering again. */
  blocked: NodeJS.Timeout | undefined;
  backoffMs: number;
  onWake: (message: string) => void;
}

/** How the engine's scripts are called (ioredis custom commands, see redis-engine.ts). */
export interface QueueScripts {
  queuePush(
    list: string,
    topics: string,
    dropped: string,
    bytes: string,
    ...args: (string | number)[]
  ): Promise<number[]>;
  /** null: skipped, Redis reached it after the deadline (queue-pop.lua). */
  queuePop(
    list: string,
    bytes: string,
    topic: string,
    count: number,
    deadline: number,
  ): Promise<string[] | null>;
  queueUnpop(
    list: string,
    bytes: string,
    wakeTopic: string,
    topic: string,
    ...items: string[]
  ): Promise<number>;
  queueStats(
    topics: string,
    dropped: string,
    bytes: string,
    queuePrefix: string,
    consumersPrefix: string,
  ): Promise<unknown[]>;
  consumersRegister(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  consumersLive(consumers: string): Promise<number>;
}

/** A queue item as stored in Redis: short keys, the form 0.1.0 wrote, so queued items survive an upgrade. */
type StoredItem = { n: number; c: string; t: string; d: JsonValue };

function encodeItem(item: QueueItem): string {
  const stored: StoredItem = { n: item.node, c: item.client, t: item.topic, d: item.data };
  return JSON.stringify(stored);
}

function decodeItem(raw: string): QueueItem {
  const s = JSON.parse(raw) as StoredItem;
  return { node: s.n, client: s.c, topic: s.t, data: s.d };
}

/** Items popped per round trip: a few per round, so two consuming nodes take turns. */
const BATCH = 16;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 2000;

/**
 * Cluster-wide queue topics. Each topic is a Redis list (oldest first). A node that has local
 * consumers of a topic pops items (LPOP is atomic, so each item leaves Redis once: exactly one
 * node gets it) and hands each to its local consumers round-robin. An item that every local
 * consumer refuses goes back to the head of the list, so nothing is lost and order is kept for the
 * next taker; the node then backs off before offering again.
 *
 * Nodes learn about new items from a wake-up message published on `qw:<ns,topic>` (subscribed
 * only while the node consumes the topic) when a push finds the topic empty or a node puts items
 * back; a woken node pops until the topic is empty. A slow poll covers wake-ups lost while the
 * pub/sub connection was down. Consumers are registered cluster-wide in a sorted set
 * with expiring heartbeats, so `hasConsumer` sees consumers on every node and a dead node's
 * consumers vanish by themselves.
 *
 * Round-robin across nodes is best effort (whichever node pops first); within a node it is exact.
 * An item popped by a node that dies before writing it to a socket is lost (at-most-once there).
 */
export class RedisQueues implements QueueStore {
  private readonly local = new Map<string, LocalTopic>();

  constructor(
    private readonly cmd: Redis & QueueScripts,
    private readonly sub: Topics,
    private readonly keys: Keys,
    private readonly nodeId: number,
    private readonly consumerTtlMs: number,
    private readonly onError: (err: unknown, what: string) => void,
    /** Redis' clock (ms) by which a pop sent now must have started, or never run (queue-pop.lua). */
    private readonly popDeadline: () => number = () => 0,
  ) {}

  async push(ns: string, topic: string, item: QueueItem, limits: QueueLimits): Promise<PushResult> {
    try {
      const [dropped, droppedForBytes] = await this.cmd.queuePush(
        this.keys.queue(ns, topic),
        this.keys.queueTopics(ns),
        this.keys.queueDropped(ns),
        this.keys.queueBytes(ns),
        topic,
        encodeItem(item),
        limits.topicSize,
        limits.maxTopics,
        this.keys.queuePrefix(ns),
        this.keys.consumersPrefix(ns),
        this.keys.wakeTopic(ns, topic),
        limits.topicBytes,
      );
      return { dropped: dropped ?? 0, droppedForBytes: droppedForBytes ?? 0 };
    } catch (err) {
      throw unavailable('queue push', err);
    }
  }

  async consume(ns: string, topic: string, consumer: QueueConsumer): Promise<() => Promise<void>> {
    const mapKey = `${ns}\0${topic}`;
    let t = this.local.get(mapKey);
    if (!t) {
      const fresh: LocalTopic = {
        ns,
        topic,
        key: this.keys.queue(ns, topic),
        bytesKey: this.keys.queueBytes(ns),
        wake: this.keys.wakeTopic(ns, topic),
        consumers: [],
        cursor: 0,
        pulling: false,
        again: false,
        held: [],
        blocked: undefined,
        backoffMs: FIRST_BACKOFF_MS,
        onWake: () => void this.pull(fresh),
      };
      t = fresh;
      this.local.set(mapKey, t);
      // Best effort while Redis is down: the poll and the resync catch up.
      await this.sub.add(t.wake, t.onWake).catch((err) => this.onError(err, 'queue wake-up subscribe'));
    }
    t.consumers.push(consumer);
    try {
      await this.register([[t, consumer]]);
    } catch (err) {
      this.onError(err, 'registering a queue consumer'); // the heartbeat registers it later
    }
    this.unblock(t);
    void this.pull(t);
    const topicState = t;
    return async () => {
      const i = topicState.consumers.indexOf(consumer);
      if (i < 0) return;
      topicState.consumers.splice(i, 1);
      await this.cmd.zrem(this.keys.consumers(ns, topic), this.member(consumer)).catch(() => undefined);
      if (topicState.consumers.length === 0 && this.local.get(mapKey) === topicState) {
        this.local.delete(mapKey);
        this.unblock(topicState, false);
        await this.sub.remove(topicState.wake, topicState.onWake);
        if (topicState.held.length > 0) await this.putBack(topicState, topicState.held.splice(0));
      }
    };
  }

  async hasConsumer(ns: string, topic: string): Promise<boolean> {
    try {
      return (await this.cmd.consumersLive(this.keys.consumers(ns, topic))) > 0;
    } catch (err) {
      throw unavailable('queue consumer lookup', err);
    }
  }

  async stats(ns: string): Promise<TopicStats[]> {
    let flat: unknown[];
    try {
      flat = await this.cmd.queueStats(
        this.keys.queueTopics(ns),
        this.keys.queueDropped(ns),
        this.keys.queueBytes(ns),
        this.keys.queuePrefix(ns),
        this.keys.consumersPrefix(ns),
      );
    } catch (err) {
      throw unavailable('queue stats', err);
    }
    const out: TopicStats[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      out.push({
        topic: String(flat[i]),
        depth: Number(flat[i + 1]),
        consumers: Number(flat[i + 2]),
        dropped: Number(flat[i + 3]),
        bytes: Number(flat[i + 4]),
      });
    }
    return out;
  }

  /** Re-register every local consumer (heartbeat, and after a reconnect). */
  async heartbeat(): Promise<void> {
    const pairs: [LocalTopic, QueueConsumer][] = [];
    for (const t of this.local.values()) for (const c of t.consumers) pairs.push([t, c]);
    if (pairs.length > 0) await this.register(pairs);
  }

  /** Offer whatever waits in every locally consumed topic (poll, and after a reconnect). */
  pullAll(): void {
    for (const t of this.local.values()) if (!t.blocked) void this.pull(t);
  }

  /** Deregister every local consumer and put back anything held (shutdown). */
  async close(): Promise<void> {
    const topics = [...this.local.values()];
    this.local.clear();
    for (const t of topics) {
      this.unblock(t, false);
      const members = t.consumers.map((c) => this.member(c));
      t.consumers = [];
      await this.sub.remove(t.wake, t.onWake);
      if (members.length > 0)
        await this.cmd.zrem(this.keys.consumers(t.ns, t.topic), ...members).catch(() => undefined);
      if (t.held.length > 0) await this.putBack(t, t.held.splice(0));
    }
  }

  private member(consumer: QueueConsumer): string {
    return `${this.nodeId}/${consumer.id}`;
  }

  /** One script per namespace: a namespace's queue keys share a slot on Redis Cluster. */
  private async register(pairs: [LocalTopic, QueueConsumer][]): Promise<void> {
    const byNs = new Map<string, [LocalTopic, QueueConsumer][]>();
    for (const p of pairs) byNs.set(p[0].ns, [...(byNs.get(p[0].ns) ?? []), p]);
    for (const group of byNs.values()) {
      const keys = group.map(([t]) => this.keys.consumers(t.ns, t.topic));
      const members = group.map(([, c]) => this.member(c));
      await this.cmd.consumersRegister(keys.length, ...keys, this.consumerTtlMs, ...members);
    }
  }

  private async pull(t: LocalTopic): Promise<void> {
    if (t.pulling) {
      t.again = true;
      return;
    }
    t.pulling = true;
    try {
      do {
        t.again = false;
        while (t.consumers.length > 0 && !t.blocked) {
          let batch: string[];
          if (t.held.length > 0) batch = t.held.splice(0);
          else {
            const reply = await this.cmd.queuePop(t.key, t.bytesKey, t.topic, BATCH, this.popDeadline());
            if (reply === null) redisStats.popsExpired++; // nothing taken; the next pull retries
            batch = reply ?? [];
          }
          if (batch.length === 0) break;
          const left = this.handOut(t, batch);
          if (left.length > 0) {
            this.block(t);
            await this.putBack(t, left);
          }
        }
      } while (t.again && t.consumers.length > 0 && !t.blocked);
    } catch (err) {
      this.onError(err, `pulling queue topic "${t.topic}"`); // retried by the poll / resync
    } finally {
      t.pulling = false;
    }
  }

  /** Round-robin over local consumers; returns the items nobody took (from the first refused). */
  private handOut(t: LocalTopic, batch: string[]): string[] {
    for (let i = 0; i < batch.length; i++) {
      let item: QueueItem;
      try {
        item = decodeItem(batch[i]!);
      } catch (err) {
        this.onError(err, `dropping an unreadable item of queue topic "${t.topic}"`);
        continue;
      }
      const n = t.consumers.length;
      let taken = false;
      for (let k = 0; k < n && !taken; k++) {
        const idx = (t.cursor + k) % n;
        if (t.consumers[idx]!.deliver(item)) {
          t.cursor = (idx + 1) % n;
          taken = true;
        }
      }
      if (!taken) return batch.slice(i);
      t.backoffMs = FIRST_BACKOFF_MS;
    }
    return [];
  }

  private async putBack(t: LocalTopic, items: string[]): Promise<void> {
    try {
      await this.cmd.queueUnpop(t.key, t.bytesKey, t.wake, t.topic, ...items);
    } catch (err) {
      t.held.unshift(...items); // offered again (or put back) on the next pull
      this.onError(err, `putting items back into queue topic "${t.topic}"`);
    }
  }

  private block(t: LocalTopic): void {
    if (t.blocked) return;
    t.blocked = setTimeout(() => {
      t.blocked = undefined;
      t.backoffMs = Math.min(t.backoffMs * 2, MAX_BACKOFF_MS);
      void this.pull(t);
    }, t.backoffMs);
    t.blocked.unref();
  }

  private unblock(t: LocalTopic, resetBackoff = true): void {
    if (t.blocked) clearTimeout(t.blocked);
    t.blocked = undefined;
    if (resetBackoff) t.backoffMs = FIRST_BACKOFF_MS;
  }
}
