/**
 * The engine conformance suites, unchanged, on a private Redis Cluster (3 masters, 3 replicas,
 * test/helpers/redis-procs.ts): hash-tagged keys, sharded pub/sub, control and queues placed per
 * slot. The presence suite runs on the same cluster with the cluster key layout.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Cluster } from 'ioredis';
import { RedisPresence } from '../../src/engines/redis/presence.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { type RedisClusterProcs, startRedisCluster } from '../helpers/redis-procs.js';
import { runEngineSuite } from './engine-suite.js';
import { runPresenceSuite } from './presence-suite.js';

const clients: Cluster[] = [];
const prefix = `sbtest:${randomBytes(4).toString('hex')}:`;
let procs: Promise<RedisClusterProcs> | undefined;
/** Started on first use, shared by both suites, stopped (processes and files) after the last. */
const cluster = () => {
  procs ??= startRedisCluster(3);
  return procs;
};
// After every suite of this file (each suite's own cleanup runs earlier, once per suite).
after(async () => {
  for (const c of clients) c.disconnect();
  if (procs) await (await procs).stop();
});
const done = async () => undefined;

runEngineSuite({
  name: 'redis-cluster',
  multiNode: true,
  create: async (nodeId) =>
    new RedisEngine({ url: 'redis://', cluster: (await cluster()).seeds, prefix, nodeId }),
  cleanup: done,
});

const dead = new Set<number>();
runPresenceSuite({
  name: 'redis-cluster',
  multiNode: true,
  create: async (nodeId) => {
    const seeds = (await cluster()).seeds.map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) }));
    const redis = new Cluster(seeds);
    clients.push(redis);
    const store = new RedisPresence(redis as never, {
      prefix,
      nodeId,
      cluster: true,
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
  cleanup: done,
});
