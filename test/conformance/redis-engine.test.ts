import { randomBytes } from 'node:crypto';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { deleteRedisPrefix, REDIS_URL } from '../cluster/helpers.js';
import { runEngineSuite } from './engine-suite.js';

// One prefix per run: the shared Redis holds other runs' (and users') keys, never touched here.
const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;

runEngineSuite({
  name: 'redis',
  multiNode: true,
  create: async (nodeId) => new RedisEngine({ url: REDIS_URL, prefix, nodeId }),
  cleanup: async () => {
    await deleteRedisPrefix(prefix);
  },
});
