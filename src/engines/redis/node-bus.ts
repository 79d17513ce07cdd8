import type { Redis } from 'ioredis';
import type { NodeBus } from '../cluster/node-bus.js';
import { unavailable } from './errors.js';
import type { Keys } from './keys.js';
import type { Topics } from './topic-table.js';

/**
 * Node-addressed messages on Redis pub/sub: node `id` listens on topic `ctl:<id>` (on Redis
 * Cluster the sharded topic `{ctl:<id>}`). PUBLISH / SPUBLISH answers how many connections
 * received the message, which is what NodeBus.send reports.
 */
export class RedisNodeBus implements NodeBus {
  private handler: ((payload: string) => void) | undefined;

  constructor(
    private readonly cmd: Redis,
    private readonly sub: Topics,
    private readonly keys: Keys,
    private readonly nodeId: number,
  ) {}

  async send(node: number, payload: string): Promise<number> {
    try {
      const topic = this.keys.controlTopic(node);
      // Redis Cluster: a sharded topic per node, so control traffic stays on one shard.
      return this.keys.cluster
        ? Number(await this.cmd.spublish(topic, payload))
        : await this.cmd.publish(topic, payload);
    } catch (err) {
      throw unavailable(`routing to node ${node}`, err);
    }
  }

  listen(onMessage: (payload: string) => void): Promise<void> {
    this.handler = onMessage;
    return this.sub.add(this.keys.controlTopic(this.nodeId), onMessage);
  }

  async unlisten(): Promise<void> {
    if (!this.handler) return;
    await this.sub.remove(this.keys.controlTopic(this.nodeId), this.handler);
    this.handler = undefined;
  }
}
