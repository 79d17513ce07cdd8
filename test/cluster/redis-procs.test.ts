/**
 * The private Redis topologies the Cluster and Sentinel tests run on: they come up healthy and
 * leave nothing behind (no process, no directory).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { redisCall, startRedisCluster, startSentinelTrio } from '../helpers/redis-procs.js';

const refused = async (port: number) =>
  redisCall(port, 'PING').then(
    () => false,
    () => true,
  );

describe('private Redis topologies', () => {
  it('a 3-master Redis Cluster serves keys on every shard and is gone after stop()', async () => {
    const cluster = await startRedisCluster(3);
    const dirs = cluster.nodes.map((n) => n.dir);
    try {
      assert.equal((await cluster.masterPorts()).length, 3);
      const client = new Cluster(
        cluster.seeds.map((s) => ({ host: s.split(':')[0], port: Number(s.split(':')[1]) })),
      );
      try {
        // Keys spread over all three shards; every one of them is readable back.
        for (let i = 0; i < 30; i++) await client.set(`k${i}`, String(i));
        for (let i = 0; i < 30; i++) assert.equal(await client.get(`k${i}`), String(i));
        const perMaster = await Promise.all(
          client.nodes('master').map(async (n) => Number(await n.dbsize())),
        );
        assert.equal(perMaster.length, 3);
        assert.ok(
          perMaster.every((n) => n > 0),
          `keys on every master: ${perMaster}`,
        );
      } finally {
        client.disconnect();
      }
    } finally {
      await cluster.stop();
    }
    for (const n of cluster.nodes) assert.ok(await refused(n.port), `port ${n.port} closed`);
    for (const d of dirs) assert.equal(existsSync(d), false, `${d} removed`);
  });

  it('a master + replica + Sentinel trio reports its master and is gone after stop()', async () => {
    const trio = await startSentinelTrio();
    try {
      assert.equal(await trio.masterPort(), trio.servers[0].port);
      await redisCall(trio.servers[0].port, 'SET', 'k', 'v');
      await redisCall(trio.servers[0].port, 'WAIT', 1, 1000);
      assert.equal(await redisCall(trio.servers[1].port, 'GET', 'k'), 'v', 'replicated');
    } finally {
      await trio.stop();
    }
    for (const p of [trio.sentinel, ...trio.servers]) assert.ok(await refused(p.port));
    assert.equal(existsSync(trio.sentinel.dir), false);
  });
});
