// Cache channels found empty: every subscriber gets `pusher:cache_miss` (raw frames), and the
// backend gets one `cache_miss` webhook per channel per `cache_miss_webhook_interval_ms`, checked
// by a receiver that validates each request with the official `pusher` SDK.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { limitHits } from '../helpers/metrics.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import {
  APP,
  closeAll,
  connect,
  type PusherClient,
  type PusherTestServer,
  startPusherServer,
  subscribe,
} from './pusher-fixtures.js';

const INTERVAL_MS = 400;

describe('pusher cache_miss', () => {
  let receiver: WebhookReceiver;
  let server: PusherTestServer;
  before(async () => {
    receiver = await startWebhookReceiver(APP);
    server = await startPusherServer({
      namespaces: {
        app: {
          pusher: {
            ...APP,
            webhooks: [{ url: receiver.url, event_types: ['cache_miss'] }],
            webhook_batch_ms: 20,
            cache_miss_webhook_interval_ms: INTERVAL_MS,
          },
        },
      },
    });
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  const misses = (channel: string) =>
    receiver.requests
      .flatMap((r) => r.events)
      .filter((e) => e.name === 'cache_miss' && e.channel === channel);
  const subscribeEmpty = async (channel: string): Promise<PusherClient> => {
    const c = await connect(server);
    await subscribe(c, channel);
    assert.deepEqual(await c.raw.next(), { event: 'pusher:cache_miss', channel });
    return c;
  };

  it('tells every subscriber of an empty cache channel, and the backend once per interval', async () => {
    const hitsBefore = await limitHits(server.url, 'pusher.cache_miss_webhook_interval_ms');
    const crowd = await Promise.all([1, 2, 3, 4, 5].map(() => subscribeEmpty('cache-score')));
    const [first] = await receiver.waitForEvents(1);
    assert.deepEqual(first, { name: 'cache_miss', channel: 'cache-score' });
    assert.ok(receiver.requests.every((r) => r.valid));
    assert.ok(await crowd[0]!.raw.silentFor(200));
    assert.equal(misses('cache-score').length, 1, 'five subscribers, one webhook');
    assert.equal(await limitHits(server.url, 'pusher.cache_miss_webhook_interval_ms'), hitsBefore + 4);

    // Once the backend has published, a newcomer gets the event and nobody is told of a miss.
    await server.hub.publish('app', 'cache-score', { event: 'score', data: '2:1' });
    const late = await connect(server);
    await subscribe(late, 'cache-score');
    assert.deepEqual(await late.raw.next(), { event: 'score', channel: 'cache-score', data: '2:1' });

    // A channel still empty after the interval is reported again.
    const other = await subscribeEmpty('private-cache-board');
    await receiver.waitForEvents(2);
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 100));
    const again = await subscribeEmpty('private-cache-board');
    await receiver.waitForEvents(3);
    assert.equal(misses('private-cache-board').length, 2);
    assert.equal(misses('cache-score').length, 1);
    await closeAll(...crowd, late, other, again);
  });

  it('sends no cache_miss webhook to a URL that did not ask for it', async () => {
    const quiet = await startWebhookReceiver(APP);
    const s = await startPusherServer({
      namespaces: {
        app: { pusher: { ...APP, webhooks: [{ url: quiet.url, event_types: ['channel_occupied'] }] } },
      },
    });
    try {
      const c = await connect(s);
      await subscribe(c, 'cache-empty');
      assert.deepEqual(await c.raw.next(), { event: 'pusher:cache_miss', channel: 'cache-empty' });
      const events = await quiet.waitForEvents(1);
      assert.deepEqual(events, [{ name: 'channel_occupied', channel: 'cache-empty' }]);
      assert.ok(await c.raw.silentFor(400));
      assert.deepEqual(
        quiet.requests.flatMap((r) => r.events).map((e) => e.name),
        ['channel_occupied'],
      );
      await closeAll(c);
    } finally {
      await s.close();
      await quiet.close();
    }
  });
});
