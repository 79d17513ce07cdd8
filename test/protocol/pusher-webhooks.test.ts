// Webhooks of the pusher dialect, checked by a receiver that validates every request with the
// official `pusher` SDK (`pusher.webhook(req).isValid()`): channel_occupied / channel_vacated once
// per channel, member_added / member_removed once per user, client_event, batching, and retries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import {
  APP,
  closeAll,
  connect,
  nextEvent,
  type PusherTestServer,
  startPusherServer,
  subscribe,
} from './pusher-fixtures.js';

describe('pusher webhooks', () => {
  let receiver: WebhookReceiver;
  let server: PusherTestServer;
  before(async () => {
    receiver = await startWebhookReceiver(APP);
    server = await startPusherServer({
      namespaces: { app: { pusher: { ...APP, webhooks: [{ url: receiver.url }], webhook_batch_ms: 50 } } },
    });
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  const take = async (count: number) => {
    const events = await receiver.waitForEvents(count);
    receiver.requests.length = 0;
    return events;
  };

  it('reports a channel occupied by its first subscriber and vacated by its last, once each', async () => {
    const a = await connect(server);
    const b = await connect(server);
    await subscribe(a, 'hooked');
    await subscribe(b, 'hooked');
    assert.deepEqual(await take(1), [{ name: 'channel_occupied', channel: 'hooked' }]);
    a.raw.send({ event: 'pusher:unsubscribe', data: { channel: 'hooked' } });
    await b.raw.close();
    assert.deepEqual(await take(1), [{ name: 'channel_vacated', channel: 'hooked' }]);
    assert.ok(await a.raw.silentFor(200));
    assert.equal(receiver.requests.length, 0, 'nothing more arrived');
    await closeAll(a);
  });

  it('reports presence members once per user and client events with their sender', async () => {
    const a = await connect(server);
    const b1 = await connect(server);
    const b2 = await connect(server);
    await subscribe(a, 'presence-hooks', { user_id: 'ann' });
    await subscribe(b1, 'presence-hooks', { user_id: 'bob' });
    await subscribe(b2, 'presence-hooks', { user_id: 'bob' });
    await nextEvent(a.raw); // bob's member_added
    b1.raw.send({ event: 'client-hello', channel: 'presence-hooks', data: { x: 1 } });
    const events = await take(4);
    assert.deepEqual(events, [
      { name: 'channel_occupied', channel: 'presence-hooks' },
      { name: 'member_added', channel: 'presence-hooks', user_id: 'ann' },
      { name: 'member_added', channel: 'presence-hooks', user_id: 'bob' },
      {
        name: 'client_event',
        channel: 'presence-hooks',
        event: 'client-hello',
        data: '{"x":1}',
        socket_id: b1.socketId,
        user_id: 'bob',
      },
    ]);
    await closeAll(b1, b2);
    assert.deepEqual(await take(1), [{ name: 'member_removed', channel: 'presence-hooks', user_id: 'bob' }]);
    await closeAll(a);
    const last = await take(2);
    assert.deepEqual(
      last.map((e) => e.name),
      ['member_removed', 'channel_vacated'],
    );
  });

  it('signs every request so that the SDK accepts it, and batches events of one moment', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connect(server)));
    await Promise.all(clients.map((c, i) => subscribe(c, `batch-${i}`)));
    const events = await receiver.waitForEvents(3);
    assert.equal(events.length, 3);
    assert.ok(receiver.requests.every((r) => r.valid));
    assert.ok(receiver.requests.length < 3, `3 events in ${receiver.requests.length} requests`);
    receiver.requests.length = 0;
    await closeAll(...clients);
    await take(3);
  });

  it('retries a failing receiver with back-off and delivers the batch once', async () => {
    receiver.failNext(2);
    const before = receiver.attempts();
    const c = await connect(server);
    await subscribe(c, 'retried');
    assert.deepEqual(await take(1), [{ name: 'channel_occupied', channel: 'retried' }]);
    assert.equal(receiver.attempts() - before, 3);
    await closeAll(c);
    await take(1);
  });
});
