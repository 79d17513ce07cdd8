import type { Logger } from 'pino';
import type { Engine } from '../engines/engine.js';
import { MemoryEngine } from '../engines/memory/memory-engine.js';
import type { Config } from './config-schema.js';

/** The one place that chooses an engine. */
export async function createEngine(config: Config, logger: Logger): Promise<Engine> {
  switch (config.engine.type) {
    case 'memory':
      return new MemoryEngine(config.node_id);
    case 'redis': {
      // Loaded on demand: a single-node server never loads the Redis client.
      const { RedisEngine } = await import('../engines/redis/redis-engine.js');
      return RedisEngine.connect({
        url: config.engine.url,
        sentinels: config.engine.sentinels,
        sentinelName: config.engine.name,
        cluster: config.engine.cluster,
        prefix: config.engine.prefix,
        nodeId: config.engine.lease_node_id ? undefined : config.node_id,
        commandTimeoutMs: config.engine.command_timeout_ms,
        pingIntervalMs: config.engine.ping_interval_ms,
        pingThresholdMs: config.engine.ping_threshold_ms,
        publishBatchMax: config.engine.publish_batch_max,
        leaseTtlMs: config.engine.node_lease_ms,
        presenceSweepMs: config.engine.presence_sweep_ms,
        logger,
      });
    }
  }
}
