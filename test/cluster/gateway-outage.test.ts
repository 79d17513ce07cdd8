/**
 * Gateway clients while Redis is down. A private `redis-server` (no persistence) is killed and
 * started again by the test; never the machine's shared Redis. Before this was handled, every
 * frame was dropped silently: the client stayed open, `dropped` stayed 0 and each frame logged a
 * stack trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { get } from '../helpers/http.js';
import { metricValue as counter } from '../helpers/metrics.js';
import { waitFor, within } from '../helpers/redis-procs.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { redisServerAvailable, ThrowawayRedis } from './helpers.js';

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private, killable Redis)';

describe('mesh gateway clients while Redis is down', { skip }, () => {
  let redis: ThrowawayRedis;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const logs: { level: number; msg: string; lost?: number }[] = [];
  before(async () => {
    redis = await ThrowawayRedis.create();
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    server = await startTestServer(
      {
        engine: { type: 'redis', url: redis.url, prefix: `sbtest:gwoutage:${Date.now()}:` },
        namespaces: { demo: { api_keys: ['k'], client_topic: 'clients' } },
        limits: { max_messages_per_second: 100_000, max_messages_burst: 100_000 },
      },
      { logger },
    );
  });
  after(async () => {
    await server?.close();
    await redis?.kill();
  });

  const depth = async () =>
    (await server.hub.queueStats('demo')).find((t) => t.topic === 'clients')?.depth ?? 0;
  const outageLines = () => logs.filter((l) => l.msg.startsWith('gateway: the engine cannot store'));

  it('closes its clients with 1013, counts every lost item, logs once per outage, and stores again after', async () => {
    const first = await RawClient.connect(server.wsUrl('/client?site=demo'));
    first.send('before the outage');
    await waitFor('handshake and one frame stored', async () => (await depth()) === 2);
    const lostBefore = await counter(server.url, 'switchboard_gateway_items_lost_total');

    await redis.kill();
    // A flood from one client and a few more clients during the outage.
    for (let i = 0; i < 1000; i++) first.send(`frame ${i}`);
    const closed = await within(first.closed, 10_000, 'the client closed by the server');
    assert.deepEqual(closed, { code: 1013, reason: 'engine unavailable, reconnect later' });
    const others = await Promise.all(
      Array.from({ length: 5 }, () => RawClient.connect(server.wsUrl('/client?site=demo'))),
    );
    for (const c of others)
      assert.equal(
        (await within(c.closed, 10_000, 'a later client closed')).code,
        1013,
        'its handshake could not be stored',
      );
    const lost = (await counter(server.url, 'switchboard_gateway_items_lost_total')) - lostBefore;
    // Every frame the first client sent reached the server before its close (one TCP stream), so:
    // 1,000 frames and its close item, and the handshake and close item of each other client.
    assert.equal(lost, 1000 + 1 + 5 * 2);
    assert.equal(await counter(server.url, 'switchboard_gateway_outage_closes_total'), 6);
    assert.equal(outageLines().length, 1, 'one warning for the whole outage, not one per frame');
    assert.equal(
      logs.filter((l) => l.level >= 40 && !l.msg.startsWith('gateway: the engine cannot store')).length,
      logs.filter((l) => l.level >= 40 && /redis|Redis/.test(l.msg)).length,
      'no other warnings than the engine’s own connection lines',
    );

    await redis.start(); // empty: no persistence
    await waitFor('the node ready again', async () => (await get(`${server.url}/readyz`)).status === 200);
    const back = await RawClient.connect(server.wsUrl('/client?site=demo'));
    back.send('after the outage');
    await waitFor('handshake and frame stored in the new Redis', async () => (await depth()) === 2);
    const again = logs.find((l) => l.msg === 'gateway: client items are stored again');
    assert.ok(again, 'the end of the outage is logged');
    assert.equal(
      again.lost,
      (await counter(server.url, 'switchboard_gateway_items_lost_total')) - lostBefore,
      'the line names every item lost in the outage',
    );
    assert.equal(outageLines().length, 1);
    await back.close();
  });
});
