import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisPresence } from '../../src/engines/redis/presence.js';
import { deleteRedisPrefix, REDIS_URL } from '../cluster/helpers.js';
import { runPresenceSuite } from './presence-suite.js';

// One prefix per run: the shared Redis holds other runs' keys, never touched here.
const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
/** The node registry as the stores see it: a node is alive until the test declares it dead. */
const dead = new Set<number>();
const clients: Redis[] = [];

runPresenceSuite({
  name: 'redis',
  multiNode: true,
  create: async (nodeId) => {
    const redis = new Redis(REDIS_URL);
    clients.push(redis);
    const store = new RedisPresence(redis, {
      prefix,
      nodeId,
      liveNodes: async () => [1, 2, 3].filter((n) => !dead.has(n)),
      onError: (err) => {
        throw err;
      },
    });
    return { store, nodeId };
  },
  killAndSweep: async (nodeId, survivor) => {
    dead.add(nodeId);
    await (survivor.store as RedisPresence).sweep();
  },
  cleanup: async () => {
    for (const c of clients) c.disconnect();
    await deleteRedisPrefix(prefix);
  },
});
