/**
 * The Pusher HTTP API in front of a hung Redis (SIGSTOP on a private `redis-server` the test owns),
 * driven by the official `pusher` Node server SDK: a trigger and a batch answer 503 with the
 * reason (an outage, never 401/403), and none of their events reaches a subscriber after Redis
 * continues.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Pusher from 'pusher';
import { startTestServer } from '../helpers/server.js';
import {
  APP,
  closeAll,
  connect,
  PUSHER_NAMESPACES,
  type PusherTestServer,
  subscribe,
} from '../protocol/pusher-fixtures.js';
import { redisServerAvailable, ThrowawayRedis, until } from './helpers.js';

const skip = !redisServerAvailable() && 'redis-server is not on PATH (needed for a private, stoppable Redis)';

describe('pusher HTTP API while Redis hangs', { skip }, () => {
  let redis: ThrowawayRedis;
  let server: PusherTestServer;
  before(async () => {
    redis = await ThrowawayRedis.create();
    server = await startTestServer({
      namespaces: PUSHER_NAMESPACES,
      engine: {
        type: 'redis',
        url: redis.url,
        prefix: 'sbtest:pusherhang',
        command_timeout_ms: 500,
        ping_interval_ms: 100,
        ping_threshold_ms: 300,
      },
    });
  });
  after(async () => {
    redis.resume();
    await server?.close();
    await redis.kill();
  });

  it('answers 503 with the reason, and publishes none of the refused events later', async () => {
    const { hostname, port } = new URL(server.url);
    const sdk = new Pusher({
      appId: APP.app_id,
      key: APP.key,
      secret: APP.secret,
      host: hostname,
      port,
      useTLS: false,
    });
    const client = await connect(server);
    await subscribe(client, 'orders');
    assert.equal((await sdk.trigger('orders', 'before', '0')).status, 200);
    assert.equal((await client.raw.next()).event, 'before');

    redis.pause();
    const refused = async (p: Promise<unknown>) => {
      const err = (await p.then(
        () => assert.fail('accepted while Redis is hung'),
        (e: unknown) => e,
      )) as { status?: number; body?: string };
      assert.equal(err.status, 503);
      assert.match(
        String(err.body),
        /^Service unavailable: publish failed: Redis did not answer within 500 ms/,
      );
    };
    await refused(sdk.trigger('orders', 'during', '1'));
    await refused(
      sdk.triggerBatch(
        Array.from({ length: 10 }, (_, i) => ({ channel: 'orders', name: 'during', data: String(i) })),
      ),
    );
    redis.resume();

    await until(() => server.hub.ready(), 'ready again', 5000);
    assert.equal((await sdk.trigger('orders', 'after', '2')).status, 200);
    assert.equal((await client.raw.next()).event, 'after', 'no refused event was published late');
    await closeAll(client);
  });
});
