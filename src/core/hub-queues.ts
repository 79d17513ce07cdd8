/**
 * The hub's queues (mesh queue.pop, gateway client items, rocket triggers) and the gateway clients
 * this node holds, whose close items a survivor pushes should the node die (engine.clients).
 */
import type { HeldClient } from '../engines/client-ledger.js';
import type { Engine } from '../engines/engine.js';
import type { PushResult } from '../engines/queue-store.js';
import type { Connection } from './connection.js';
import { HubError, HubErrorCode } from './errors.js';
import { countLimit } from './limit-counters.js';
import type { NamespaceSettings } from './namespace.js';
import type { QueueItem } from './types.js';

export class HubQueues {
  constructor(
    private readonly engine: Engine,
    private readonly requireNamespace: (name: string) => NamespaceSettings,
  ) {}

  async push(namespace: string, topic: string, item: QueueItem): Promise<PushResult> {
    const ns = this.requireNamespace(namespace);
    const result = await this.engine.queues.push(namespace, topic, item, {
      topicSize: ns.topicSize,
      topicBytes: ns.topicBytes,
      maxTopics: ns.maxTopics,
    });
    if (result.droppedForBytes > 0) countLimit('topic_bytes', result.droppedForBytes);
    return result;
  }

  async consume(conn: Connection, topics: string[], deliver: (item: QueueItem) => boolean): Promise<void> {
    for (const t of topics) {
      if (conn.consuming.has(t))
        throw new HubError(HubErrorCode.duplicateConsumer, `already consuming topic "${t}"`);
    }
    const consumer = { id: conn.id, deliver: (item: QueueItem) => !conn.closed && deliver(item) };
    for (const t of new Set(topics)) {
      const detach = await this.engine.queues.consume(conn.namespace, t, consumer);
      if (conn.closed) {
        await detach();
        return;
      }
      conn.consuming.set(t, detach);
    }
  }

  async stop(conn: Connection): Promise<void> {
    const detaches = conn.takeConsumers();
    await Promise.all(detaches.map((d) => d()));
  }

  stats(namespace: string): ReturnType<Engine['queues']['stats']> {
    this.requireNamespace(namespace);
    return this.engine.queues.stats(namespace);
  }

  hasConsumer(namespace: string, topic: string): Promise<boolean> {
    this.requireNamespace(namespace);
    return this.engine.queues.hasConsumer(namespace, topic);
  }

  hold(conn: Connection, topic: string): Promise<void> {
    return this.engine.clients.hold({
      client: conn.id,
      namespace: conn.namespace,
      topic,
      context: conn.context,
    });
  }

  release(conn: Connection): Promise<void> {
    return this.engine.clients.release(conn.id);
  }

  claimOrphans(): Promise<HeldClient[]> {
    return this.engine.clients.claimOrphans();
  }
}
