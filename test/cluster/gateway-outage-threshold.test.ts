/**
 * `mesh.close_after_lost_items`: how many of a gateway client's items may be lost in a Redis
 * outage before the client is closed with 1013 (the default, 1, is covered by
 * gateway-outage.test.ts). A private `redis-server` is killed and started again by the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get } from '../helpers/http.js';
import { metricValue } from '../helpers/metrics.js';
import { waitFor, within } from '../helpers/redis-procs.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { redisServerAvailable, ThrowawayRedis } from './helpers.js';

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private, killable Redis)';
const LOST = 'switchboard_gateway_items_lost_total';

describe('mesh.close_after_lost_items', { skip }, () => {
  let redis: ThrowawayRedis;
  const servers: Record<'three' | 'never', Awaited<ReturnType<typeof startTestServer>>> = {} as never;
  before(async () => {
    redis = await ThrowawayRedis.create();
    for (const [name, closeAfter] of [
      ['three', 3],
      ['never', 0],
    ] as const) {
      servers[name] = await startTestServer({
        engine: { type: 'redis', url: redis.url, prefix: `sbtest:gwlost:${name}:${Date.now()}:` },
        namespaces: { demo: { api_keys: ['k'], client_topic: 'clients' } },
        limits: { max_messages_per_second: 100_000, max_messages_burst: 100_000 },
        mesh: { close_after_lost_items: closeAfter },
      });
    }
  });
  after(async () => {
    for (const s of Object.values(servers)) await s?.close();
    await redis?.kill();
  });

  const depth = async (s: Awaited<ReturnType<typeof startTestServer>>) =>
    (await s.hub.queueStats('demo')).find((t) => t.topic === 'clients')?.depth ?? 0;
  const ready = async () => {
    for (const s of Object.values(servers))
      await waitFor('the node ready again', async () => (await get(`${s.url}/readyz`)).status === 200);
  };

  it('keeps a client through an outage below the threshold, closes it with 1013 at it, never with 0', async () => {
    const a = await RawClient.connect(servers.three.wsUrl('/client?site=demo'));
    const d = await RawClient.connect(servers.never.wsUrl('/client?site=demo'));
    await waitFor(
      'both handshakes stored',
      async () => (await depth(servers.three)) + (await depth(servers.never)) === 2,
    );
    let closedEarly: { code: number } | undefined;
    void a.closed.then((c) => (closedEarly = c));
    void d.closed.then((c) => (closedEarly = c));
    const lostBefore = await metricValue(servers.three.url, LOST);

    await redis.kill();
    a.send('one');
    a.send('two');
    for (let i = 0; i < 200; i++) d.send(`frame ${i}`);
    await waitFor(
      'all 202 frames counted as lost',
      async () => (await metricValue(servers.three.url, LOST)) - lostBefore === 202,
    );

    await redis.start(); // empty: no persistence
    await ready();
    // Both clients are still connected: their next frames reach the new Redis.
    a.send('after');
    d.send('after');
    await waitFor('a frame of each stored after the outage', async () => (await depth(servers.three)) === 1);
    await waitFor('…on both nodes', async () => (await depth(servers.never)) === 1);
    assert.equal(closedEarly, undefined, 'neither client was closed');

    // Three lost items of a client closes it: the handshake and two frames of one arriving now.
    await redis.kill();
    const c = await RawClient.connect(servers.three.wsUrl('/client?site=demo'));
    c.send('one');
    c.send('two');
    assert.deepEqual(await within(c.closed, 10_000, 'the third lost item closing the client'), {
      code: 1013,
      reason: 'engine unavailable, reconnect later',
    });
    // With 0, a client whose every item is lost stays.
    const lostNow = await metricValue(servers.never.url, LOST);
    for (let i = 0; i < 50; i++) d.send(`again ${i}`);
    await waitFor(
      'its 50 frames counted',
      async () => (await metricValue(servers.never.url, LOST)) >= lostNow + 50,
    );
    await redis.start();
    await ready();
    d.send('back');
    await waitFor('its frame stored after the second outage', async () => (await depth(servers.never)) === 1);
    assert.equal(closedEarly, undefined);
    await a.close();
    await d.close();
  });
});
