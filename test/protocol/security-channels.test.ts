import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { Backend, backendUrl, gatewayClient, KEYS } from './mesh-fixtures.js';
import { closeAll, connectAs, expectErr, subscribe as rocketSubscribe } from './rocket-fixtures.js';
import { subscribe as siteSubscribe } from './site-fixtures.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;
const LIMIT = 3;
const MAX_NAME = 'n'.repeat(255);

describe('security: channel names and limits.max_channels_per_connection', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      limits: { max_channels_per_connection: LIMIT },
      namespaces: {
        demo: {
          ...TEST_NAMESPACE,
          api_keys: [KEYS.demo],
          client_topic: 'clients',
          rocket: { path: '/app', users: { reader: { secret: 'r', permissions: ['READ'] } } },
        },
      },
    });
  });
  after(() => server.close());

  it('site: the subscription past the limit is an error response; after an unsubscribe there is room again', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    try {
      for (const ch of ['a', 'b', MAX_NAME])
        assert.equal((await siteSubscribe(server, c, ch)).response, 'ok');
      const refused = await siteSubscribe(server, c, 'd', { reqId: 'r4' });
      assert.deepEqual(refused, {
        response: 'error',
        req_id: 'r4',
        body: `too many channels: at most ${LIMIT} per connection`,
      });
      c.send({ request: 'unsubscribe', req_id: 'u', body: { channel: 'a' } });
      assert.equal((await c.next()).response, 'ok');
      assert.equal((await siteSubscribe(server, c, 'd')).response, 'ok');
    } finally {
      await c.close();
    }
  });

  it('site: a channel name that is too long or holds a control character is an error response', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    try {
      for (const bad of [`${MAX_NAME}n`, 'tab\there', 'nul\u0000', 'c1\u0085', 'del\u007f']) {
        const r = await siteSubscribe(server, c, bad, { reqId: 'x' });
        assert.equal(r.response, 'error', JSON.stringify(bad));
        assert.equal(r.req_id, 'x');
        assert.match(r.body, /channel name must be 1-255 characters, no control characters/);
      }
      // Unicode, spaces and punctuation are fine.
      assert.equal((await siteSubscribe(server, c, 'news: été / 東京 🎉')).response, 'ok');
    } finally {
      await c.close();
    }
  });

  it('rocket: the subscription past the limit answers TOO_MANY_CHANNELS', async () => {
    const c = await connectAs(server, 'reader');
    try {
      for (const ch of ['a', 'b', 'c']) await rocketSubscribe(c, ch);
      c.send({ subscribe: { channel: 'd' } });
      const err = await expectErr(c, 'TOO_MANY_CHANNELS');
      assert.match(err.additional_info, /at most 3 per connection/);
      // Subscribing again to a channel it already has is not a new channel.
      await rocketSubscribe(c, 'a');
      c.send({ unsubscribe: { channel: 'b' } });
      assert.deepEqual(await c.next(), { unsubscribed: 'b' });
      await rocketSubscribe(c, 'd');
    } finally {
      await closeAll(c);
    }
  });

  it('mesh conn.call subscribe: 101 for a bad channel name (nothing subscribed), 301 past the limit', async () => {
    const backend = await Backend.connect(backendUrl(server));
    const popped = await backend.request('queue.pop', { t: ['clients'] });
    assert.equal(popped.E, null);
    const { client, id } = await gatewayClient(server, backend);
    try {
      const bad = await backend.request('conn.call', { c: id, f: 'subscribe', a: ['ok', 'bad\u0001'] });
      assert.equal(bad.E.c, 101);
      assert.match(bad.E.m, /channel name must be/);
      const conn = server.hub.connection(id)!;
      assert.equal(conn.subscriptions.size, 0);
      const three = await backend.request('conn.call', { c: id, f: 'subscribe', a: ['a', 'b', 'c'] });
      assert.equal(three.E, null);
      const over = await backend.request('conn.call', { c: id, f: 'subscribe', a: ['d'] });
      assert.equal(over.E.c, 301);
      assert.match(over.E.m, /too many channels: at most 3 per connection/);
      assert.deepEqual([...conn.subscriptions.keys()].sort(), ['a', 'b', 'c']);
    } finally {
      await client.close();
      await backend.close();
    }
  });
});
