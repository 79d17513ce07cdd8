import type { Logger } from 'pino';
import type { Engine } from '../engines/engine.js';
import { MemoryEngine } from '../engines/memory/memory-engine.js';
import type { Config } from './config-schema.js';

/** The one place that chooses an engine. */
export async function createEngine(config: Config, _logger: Logger): Promise<Engine> {
  switch (config.engine.type) {
    case 'memory':
      return new MemoryEngine(config.node_id);
    case 'redis':
      throw new Error('engine type "redis" is not available in this build yet; use engine: {type: memory}');
  }
}
