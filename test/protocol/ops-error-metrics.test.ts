// switchboard_errors_total is fed by every dialect at the point it answers a client-visible error:
// one error per dialect and transport, provoked over the wire, then read back from /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { get, post } from '../helpers/http.js';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';

const KEY = 'admin-key';

/** `switchboard_errors_total{dialect,code,node}` samples, keyed `dialect/code`. */
async function errorCounts(url: string): Promise<Map<string, { value: number; node: string }>> {
  const r = await get(`${url}/metrics`, { authorization: `Bearer ${KEY}` });
  assert.equal(r.status, 200);
  const out = new Map<string, { value: number; node: string }>();
  for (const line of r.text.split('\n')) {
    const m = /^switchboard_errors_total\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.set(`${labels.dialect}/${labels.code}`, { value: Number(m[2]), node: labels.node! });
  }
  return out;
}

describe('switchboard_errors_total counts the errors each dialect answers', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const expectCount = async (key: string, value: number) => {
    const counts = await errorCounts(server.url);
    assert.deepEqual(counts.get(key), { value, node: '3' }, `${key} in ${JSON.stringify([...counts])}`);
  };

  before(async () => {
    server = await startTestServer({
      node_id: 3,
      admin: { key: KEY },
      namespaces: {
        demo: {
          ...TEST_NAMESPACE,
          rocket: { path: '/app', users: { writer: { secret: 'w', permissions: ['READ', 'WRITE'] } } },
        },
      },
    });
  });
  after(() => server.close());

  test('starts empty: successes are not counted', async () => {
    const ok = await get(`${server.url}/token?site=demo`);
    assert.equal(ok.status, 200);
    assert.equal((await errorCounts(server.url)).size, 0);
  });

  test('site: a WebSocket error reply by its code, an HTTP failure by its status', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    try {
      c.send('not json');
      assert.equal((await c.next()).response, 'error');
      c.send('{also not json');
      assert.equal((await c.next()).response, 'error');
    } finally {
      await c.close();
    }
    await expectCount('site/invalid_json', 2);

    const r = await post(`${server.url}/post?site=demo`, { channel: 'x' });
    assert.equal(r.status, 400);
    await expectCount('site/http_400', 1);
  });

  test('mesh: an E envelope over the backend socket and over HTTP, by its numeric code', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws/v1?site=demo&key=mesh-key'));
    try {
      c.send('not json');
      assert.equal((await c.next()).E.c, 101);
    } finally {
      await c.close();
    }
    const r = await post(
      `${server.url}/v1/mesh/publish?site=demo`,
      { d: 1 },
      { authorization: 'Bearer mesh-key' },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.E.c, 101);
    await expectCount('mesh/101', 2);
  });

  test('rocket: an err reply by its id', async () => {
    const c = await RawClient.connect(server.wsUrl('/app'));
    try {
      c.send({ subscribe: { channel: 'news' } });
      assert.equal((await c.next()).err, 'ACCESS_DENIED');
    } finally {
      await c.close();
    }
    await expectCount('rocket/ACCESS_DENIED', 1);
  });

  test('chat: a 1007 close, an HTTP error and a refused upgrade, by their codes', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?username=alice'));
    c.send('not json');
    assert.equal((await c.closed).code, 1007);
    await expectCount('chat/invalid_json', 1);

    const r = await get(`${server.url}/api/rooms/no-such-room`);
    assert.equal(r.status, 404);
    await expectCount('chat/room_not_found', 1);

    const malformed = await get(`${server.url}/api/rooms/%E0%A4%A/history`);
    assert.equal(malformed.status, 400);
    await expectCount('chat/bad_room_name', 1);

    const refused = await expectRefused(server.wsUrl(`/ws?username=${'x'.repeat(1000)}`));
    assert.equal(refused.status, 400);
    await expectCount('chat/username_too_long', 1);
  });
});
