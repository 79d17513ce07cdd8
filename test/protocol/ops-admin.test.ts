import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { get, http, post } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const KEY = 'admin-key';
const ADMIN = { authorization: `Bearer ${KEY}` };
const basic = (creds: string) => ({ authorization: `Basic ${Buffer.from(creds).toString('base64')}` });
const BOSS = basic('demo/boss:boss-secret');

const CONFIG = {
  admin: { key: KEY },
  namespaces: {
    demo: {
      secret: 'site-secret',
      post_secret: 'post-secret',
      rocket: {
        path: '/demo',
        users: {
          boss: { secret: 'boss-secret', permissions: ['READ', 'WRITE', 'MANAGE'] },
          reader: { secret: 'reader-secret', permissions: ['READ'] },
          open: { secret: '', permissions: ['MANAGE'] },
        },
      },
    },
    other: { secret: 'other-secret' },
  },
};

describe('admin API', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: string;
  const clients: RawClient[] = [];

  /** A real site WebSocket connection, and its id as the hub knows it. */
  const connect = async (ns: string) => {
    const before = new Set(Array.from(server.hub.localConnections(), (c) => c.id));
    const client = await RawClient.connect(server.wsUrl(`/ws?site=${ns}`));
    clients.push(client);
    const id = Array.from(server.hub.localConnections(), (c) => c.id).find((k) => !before.has(k));
    assert.ok(id, 'the connection registered with the hub');
    return { client, id };
  };

  before(async () => {
    server = await startTestServer(CONFIG);
    api = `${server.url}/admin/api`;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  test('refuses requests without credentials, with a wrong key or malformed Basic credentials', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      basic('demo/boss:wrong'),
      basic('nobody:x'),
    ]) {
      const r = await get(`${api}/namespaces`, headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(typeof r.body.error.message, 'string');
    }
  });

  test('lists namespaces, and answers JSON 404 for an unknown path', async () => {
    const r = await get(`${api}/namespaces`, ADMIN);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.map((n: { name: string }) => n.name).sort(), ['chat', 'demo', 'other']);
    const demo = r.body.find((n: { name: string }) => n.name === 'demo');
    assert.equal(demo.rocket_path, '/demo');
    assert.equal(demo.history_size, 100);
    const missing = await get(`${api}/nothing-here`, ADMIN);
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body.error.message, 'string');
  });

  test('publishes, lists channels with last ord and subscribers, reads history', async () => {
    const { id } = await connect('demo');
    assert.equal(
      (await post(`${api}/connections/${id}/subscribe`, { channels: ['news'] }, ADMIN)).status,
      200,
    );
    const first = await post(`${api}/namespaces/demo/channels/news/publish`, { data: { n: 1 } }, ADMIN);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.delivered, { s: 1, f: 0 });
    const second = await post(
      `${api}/namespaces/demo/channels/news/publish`,
      { data: 'two', event: 'e' },
      ADMIN,
    );
    assert.equal(second.body.ord, first.body.ord + 1);

    const channels = await get(`${api}/namespaces/demo/channels`, ADMIN);
    assert.equal(channels.status, 200);
    const news = channels.body.find((c: { name: string }) => c.name === 'news');
    assert.equal(news.last_ord, second.body.ord);
    assert.equal(news.subscribers, 1);

    const all = await get(`${api}/namespaces/demo/channels/news/history`, ADMIN);
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.publications.map((p: { data: unknown; event?: string }) => [p.data, p.event]),
      [
        [{ n: 1 }, undefined],
        ['two', 'e'],
      ],
    );
    const last = await get(`${api}/namespaces/demo/channels/news/history?last=1`, ADMIN);
    assert.deepEqual(
      last.body.publications.map((p: { ord: number }) => p.ord),
      [second.body.ord],
    );
    const afterFirst = await get(
      `${api}/namespaces/demo/channels/news/history?after=${first.body.ord}`,
      ADMIN,
    );
    assert.deepEqual(
      afterFirst.body.publications.map((p: { data: unknown }) => p.data),
      ['two'],
    );
    assert.equal(afterFirst.body.top, second.body.ord);
  });

  test('with the memory engine the per-namespace and per-channel figures are this node’s', async () => {
    const { id } = await connect('demo');
    assert.equal(
      (await post(`${api}/connections/${id}/subscribe`, { channels: ['news', 'quiet'] }, ADMIN)).status,
      200,
    );
    const held = [...server.hub.localConnections()].filter((c) => c.namespace === 'demo');
    const subscriptions = held.reduce((n, c) => n + c.subscriptionCount, 0);
    const self = server.hub.nodeId;

    const r = await get(`${api}/namespaces`, ADMIN);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-switchboard-missing-nodes'), null);
    const demo = r.body.find((n: { name: string }) => n.name === 'demo');
    assert.equal(demo.connections, held.length);
    assert.equal(demo.subscriptions, subscriptions);
    assert.deepEqual(demo.nodes, [{ node: self, connections: held.length, subscriptions }]);
    assert.deepEqual(demo.missing, []);
    const chat = r.body.find((n: { name: string }) => n.name === 'chat');
    assert.deepEqual([chat.connections, chat.subscriptions], [0, 0]);
    assert.deepEqual(chat.nodes, [{ node: self, connections: 0, subscriptions: 0 }]);

    const local = await get(`${api}/namespaces?local=1`, ADMIN);
    assert.deepEqual(
      local.body,
      r.body.map(({ nodes: _n, missing: _m, ...rest }: { nodes: unknown; missing: unknown }) => rest),
      '?local=1: the same figures, without the per-node breakdown',
    );

    const channels = await get(`${api}/namespaces/demo/channels`, ADMIN);
    const subscribers = Object.fromEntries(
      channels.body.map((c: { name: string; subscribers: number }) => [c.name, c.subscribers]),
    );
    assert.equal(subscribers.news, 2);
    assert.equal(subscribers.quiet, 1, 'subscribed, never published: listed with its subscriber');
    assert.deepEqual((await get(`${api}/namespaces/demo/channels?local=1`, ADMIN)).body, channels.body);
  });

  test('bad input is a 400 with a message; unknown namespaces are 404', async () => {
    const both = await get(`${api}/namespaces/demo/channels/news/history?after=1&last=1`, ADMIN);
    assert.equal(both.status, 400);
    assert.equal((await get(`${api}/namespaces/demo/channels/news/history?last=x`, ADMIN)).status, 400);
    assert.equal((await post(`${api}/namespaces/demo/channels/news/publish`, {}, ADMIN)).status, 400);
    const notJson = await post(`${api}/namespaces/demo/channels/news/publish`, '{oops', ADMIN);
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error.message, /JSON/);
    for (const path of [
      '/namespaces/nope/channels',
      '/namespaces/nope/topics',
      '/namespaces/nope/channels/a/history',
    ]) {
      const r = await get(api + path, ADMIN);
      assert.equal(r.status, 404, path);
      assert.match(r.body.error.message, /unknown namespace nope/);
    }
    assert.equal((await get(`${api}/connections?namespace=nope`, ADMIN)).status, 404);
  });

  test('lists queue topics with their depth and bytes', async () => {
    const item = { node: 1, client: '0', topic: 'jobs', data: 'x' };
    await server.hub.queuePush('demo', 'jobs', item);
    const r = await get(`${api}/namespaces/demo/topics`, ADMIN);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.find((t: { topic: string }) => t.topic === 'jobs'),
      // the memory engine counts an item's JSON text
      { topic: 'jobs', depth: 1, consumers: 0, dropped: 0, bytes: Buffer.byteLength(JSON.stringify(item)) },
    );
  });

  test('lists connections and steers one: subscribe, send, unsubscribe, kick', async () => {
    const { client, id } = await connect('other');
    const list = await get(`${api}/connections?namespace=other`, ADMIN);
    assert.equal(list.status, 200);
    assert.equal(list.body.length, 1);
    assert.equal(list.body[0].id, id);
    assert.equal(list.body[0].dialect, 'site');
    assert.equal(list.body[0].namespace, 'other');
    assert.deepEqual(list.body[0].subscriptions, []);
    assert.ok(!Number.isNaN(Date.parse(list.body[0].connected_at)));
    assert.equal(typeof list.body[0].remote_address, 'string');
    assert.equal((await get(`${api}/connections/${id}`, ADMIN)).body.id, id);

    assert.equal(
      (await post(`${api}/connections/${id}/subscribe`, { channels: ['a', 'b'] }, ADMIN)).status,
      200,
    );
    assert.deepEqual((await get(`${api}/connections/${id}`, ADMIN)).body.subscriptions.sort(), ['a', 'b']);
    const published = await post(`${api}/namespaces/other/channels/a/publish`, { data: 'to a' }, ADMIN);
    assert.deepEqual(await client.next(), { message: 'a', ord: published.body.ord, body: 'to a' });

    assert.equal((await post(`${api}/connections/${id}/send`, { data: 'raw text' }, ADMIN)).status, 200);
    assert.equal((await client.nextFrame()).data, 'raw text');
    assert.equal(
      (await post(`${api}/connections/${id}/send`, { data: 'AAE=', binary: true }, ADMIN)).status,
      200,
    );
    const frame = await client.nextFrame();
    assert.equal(frame.binary, true);
    assert.deepEqual([...(frame.data as Buffer)], [0, 1]);

    assert.equal(
      (await post(`${api}/connections/${id}/unsubscribe`, { channels: ['a'] }, ADMIN)).status,
      200,
    );
    assert.deepEqual((await get(`${api}/connections/${id}`, ADMIN)).body.subscriptions, ['b']);
    assert.equal((await post(`${api}/connections/${id}/subscribe`, { channels: [] }, ADMIN)).status, 400);

    const kick = await post(`${api}/connections/${id}/disconnect`, { code: 4000, reason: 'bye' }, ADMIN);
    assert.equal(kick.status, 200);
    assert.deepEqual(await client.closed, { code: 4000, reason: 'bye' });
  });

  test('actions on an unknown or malformed client id are 404', async () => {
    for (const action of ['send', 'subscribe', 'unsubscribe', 'disconnect']) {
      const body = action === 'send' ? { data: 'x' } : { channels: ['a'] };
      for (const id of ['123456789012345678', 'not-an-id']) {
        const r = await post(`${api}/connections/${id}/${action}`, body, ADMIN);
        assert.equal(r.status, 404, `${action} ${id}`);
        assert.equal(typeof r.body.error.message, 'string');
      }
    }
    assert.equal((await get(`${api}/connections/123456789012345678`, ADMIN)).status, 404);
    const wrongMethod = await http('DELETE', `${api}/connections/123`, undefined, ADMIN);
    assert.equal(wrongMethod.status, 405);
  });

  test('a MANAGE user acts on its own namespace only', async () => {
    const namespaces = await get(`${api}/namespaces`, BOSS);
    assert.equal(namespaces.status, 200);
    assert.deepEqual(
      namespaces.body.map((n: { name: string }) => n.name),
      ['demo'],
    );
    const demo = namespaces.body[0];
    assert.equal(demo.connections, (await get(`${api}/connections`, BOSS)).body.length);
    assert.deepEqual(
      demo.nodes.map((n: { node: number }) => n.node),
      [server.hub.nodeId],
    );
    assert.deepEqual(
      (await get(`${api}/namespaces?local=1`, BOSS)).body.map((n: { name: string }) => n.name),
      ['demo'],
    );
    assert.equal((await get(`${api}/namespaces/demo/channels`, BOSS)).status, 200);
    assert.equal((await post(`${api}/namespaces/demo/channels/x/publish`, { data: 1 }, BOSS)).status, 200);
    assert.equal((await get(`${api}/namespaces/demo/channels/x/history?last=5`, BOSS)).status, 200);
    assert.equal((await get(`${api}/namespaces/demo/topics`, BOSS)).status, 200);

    for (const path of [
      '/namespaces/other/channels',
      '/namespaces/other/topics',
      '/connections?namespace=other',
    ]) {
      const r = await get(api + path, BOSS);
      assert.equal(r.status, 403, path);
      assert.match(r.body.error.message, /only manage namespace demo/);
    }
    assert.equal((await post(`${api}/namespaces/other/channels/x/publish`, { data: 1 }, BOSS)).status, 403);
    assert.equal((await get(`${api}/stats`, BOSS)).status, 403);

    const mine = await connect('demo');
    const theirs = await connect('other');
    const listed = await get(`${api}/connections`, BOSS);
    assert.ok(listed.body.every((c: { namespace: string }) => c.namespace === 'demo'));
    assert.ok(listed.body.some((c: { id: string }) => c.id === mine.id));

    assert.equal((await post(`${api}/connections/${theirs.id}/disconnect`, {}, BOSS)).status, 403);
    assert.equal((await post(`${api}/connections/${theirs.id}/send`, { data: 'x' }, BOSS)).status, 403);
    assert.equal((await post(`${api}/connections/${mine.id}/send`, { data: 'hello' }, BOSS)).status, 200);
    assert.equal((await mine.client.nextFrame()).data, 'hello');
    assert.equal((await post(`${api}/connections/${mine.id}/disconnect`, {}, BOSS)).status, 200);
    assert.equal((await mine.client.closed).code, 1000);
  });

  test('a user without MANAGE, or with an empty secret, is refused with 403', async () => {
    const reader = await get(`${api}/namespaces/demo/channels`, basic('demo/reader:reader-secret'));
    assert.equal(reader.status, 403);
    assert.match(reader.body.error.message, /MANAGE/);
    const open = await get(`${api}/namespaces/demo/channels`, basic('demo/open:anything'));
    assert.equal(open.status, 403);
  });

  test('stats with the admin key', async () => {
    const r = await get(`${api}/stats`, ADMIN);
    assert.equal(r.status, 200);
    assert.equal(r.body.node_id, server.hub.nodeId);
    assert.equal(typeof r.body.uptime, 'number');
    assert.equal(typeof r.body.connections.total, 'number');
    assert.equal(typeof r.body.messages.published, 'number');
  });
});
