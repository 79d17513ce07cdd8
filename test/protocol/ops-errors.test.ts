// The operator endpoints answer every failure in one shape (docs/operations.md "Errors"):
// `{"error": {"code", "message"}}`, each code with exactly one HTTP status. Every endpoint's error
// paths are hit on a real server: refused credentials (401), known callers without the right (403),
// unknown things (404), wrong methods (405), bodies (400/413/415), and an outage, which is 503
// `unavailable` and never an authorization error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ThrowawayRedis } from '../cluster/helpers.js';
import { get, type HttpAnswer, http, post } from '../helpers/http.js';
import { waitFor } from '../helpers/redis-procs.js';
import { startTestServer } from '../helpers/server.js';
import { rawSocket, within } from '../helpers/tcp.js';

const KEY = 'ops-key';
const ADMIN = { authorization: `Bearer ${KEY}` };
const basic = (creds: string) => ({ authorization: `Basic ${Buffer.from(creds).toString('base64')}` });
const BOSS = basic('demo/boss:boss-secret');

/** The table of docs/operations.md "Errors", written out here so that a change to either shows. */
const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

const CONFIG = {
  admin: { key: KEY },
  limits: { max_http_body_bytes: 1024 },
  namespaces: {
    demo: {
      secret: 'site-secret',
      rocket: { path: '/demo', users: { boss: { secret: 'boss-secret', permissions: ['MANAGE'] } } },
    },
    other: { secret: 'other-secret' },
  },
};

/** The one shape: only `error` (plus the probe's own fields on /readyz), with code and message. */
function assertOpsError(r: HttpAnswer, status: number, message: RegExp, extra: string[] = []): void {
  const what = `${r.status} ${r.text}`;
  assert.equal(r.status, status, what);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.deepEqual(Object.keys(r.body).sort(), ['error', ...extra].sort(), what);
  assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message'], what);
  assert.equal(r.body.error.code, CODES[status], what);
  assert.match(r.body.error.message, message, what);
}

describe('operator endpoints: one error shape', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let url: string;
  before(async () => {
    server = await startTestServer(CONFIG);
    url = server.url;
  });
  after(() => server.close());

  test('/healthz and /readyz: a wrong method is 405', async () => {
    for (const path of ['/healthz', '/readyz']) {
      assertOpsError(await post(`${url}${path}`, {}), 405, new RegExp(`POST not allowed on ${path}`));
      assertOpsError(await http('DELETE', `${url}${path}`), 405, /DELETE not allowed/);
    }
  });

  test('/stats, /metrics, /admin/api/stats: 401 for no or a wrong credential, 403 for a manager', async () => {
    for (const path of ['/stats', '/metrics', '/admin/api/stats']) {
      assertOpsError(await get(`${url}${path}`), 401, /admin key required/);
      assertOpsError(await get(`${url}${path}`, { authorization: 'Bearer wrong' }), 401, /invalid admin key/);
      assertOpsError(await get(`${url}${path}`, basic('demo/boss:wrong')), 401, /invalid credentials/);
      assertOpsError(await get(`${url}${path}`, basic('no-slash')), 401, /namespace\/user:secret/);
      // The manager's credentials are right: it is refused the right, not the identity.
      assertOpsError(await get(`${url}${path}`, BOSS), 403, /needs the admin key/);
      assertOpsError(await post(`${url}${path}`, {}, ADMIN), 405, /POST not allowed/);
    }
  });

  test('/admin/api: unknown paths, namespaces and connections are 404; wrong methods 405', async () => {
    const api = `${url}/admin/api`;
    assertOpsError(await get(`${api}/nothing-here`, ADMIN), 404, /no route for \/admin\/api\/nothing-here/);
    assertOpsError(await get(`${api}/namespaces/nope/channels`, ADMIN), 404, /unknown namespace nope/);
    assertOpsError(await get(`${api}/connections/123456789012345678`, ADMIN), 404, /no such connection/);
    assertOpsError(
      await post(`${api}/connections/not-an-id/disconnect`, {}, ADMIN),
      404,
      /no such connection: not-an-id/,
    );
    assertOpsError(await http('DELETE', `${api}/namespaces`, undefined, ADMIN), 405, /DELETE not allowed/);
    // Authentication comes before routing within the API: no key, no hint of what exists.
    assertOpsError(await get(`${api}/namespaces/nope/channels`), 401, /admin key required/);
  });

  test('/admin/api: 403 for a manager outside its namespace and for a foreign origin', async () => {
    const api = `${url}/admin/api`;
    assertOpsError(await get(`${api}/namespaces/other/channels`, BOSS), 403, /only manage namespace demo/);
    assertOpsError(
      await post(
        `${api}/namespaces/demo/channels/news/publish`,
        { data: 1 },
        {
          ...ADMIN,
          origin: 'https://evil.example',
        },
      ),
      403,
      /origin https:\/\/evil\.example/,
    );
  });

  test('/admin/api bodies: 415 without JSON content type, 400 when not JSON or invalid, 413 too large', async () => {
    const publish = `${url}/admin/api/namespaces/demo/channels/news/publish`;
    assertOpsError(
      await http('POST', publish, 'data=1', { ...ADMIN, 'content-type': 'text/plain' }),
      415,
      /Content-Type: application\/json/,
    );
    assertOpsError(await http('POST', publish, '{not json', ADMIN), 400, /not valid JSON/);
    assertOpsError(await post(publish, { event: 'x' }, ADMIN), 400, /data is required/);
    assertOpsError(
      await get(`${url}/admin/api/namespaces/demo/channels/news/history?last=-1`, ADMIN),
      400,
      /last must be a non-negative integer/,
    );
    assertOpsError(await post(publish, { data: 'x'.repeat(2048) }, ADMIN), 413, /exceeds 1024 bytes/);
  });

  test('a server shutting down answers 503 unavailable on the operator paths', async () => {
    const { port } = new URL(url);
    const sock = await rawSocket(Number(port));
    // Headers begun before the shutdown and finished after it: the request meets a closing server.
    sock.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${KEY}\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    const closed = server.close();
    sock.socket.write('\r\n');
    const answer = await within(5000, sock.closed, 'the answer during shutdown');
    await closed;
    assert.match(answer, /^HTTP\/1\.1 503 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(body, { error: { code: 'unavailable', message: 'server is shutting down' } });
  });
});

describe('operator endpoints: an outage is 503 unavailable, never 401', () => {
  let redis: ThrowawayRedis;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    redis = await ThrowawayRedis.create();
    server = await startTestServer({
      ...CONFIG,
      engine: { type: 'redis', url: redis.url, prefix: `sbtest:ops-errors:${process.pid}:` },
    });
  });
  after(async () => {
    await server.close();
    await redis.kill();
  });

  test('with Redis down: /readyz 503, admin publish and history 503, /stats still answers', async () => {
    const api = `${server.url}/admin/api/namespaces/demo/channels/news`;
    assert.equal((await post(`${api}/publish`, { data: 1 }, ADMIN)).status, 200);
    await redis.kill();
    let ready: HttpAnswer | undefined;
    await waitFor('/readyz to say not ready', async () => {
      ready = await get(`${server.url}/readyz`);
      return ready.status === 503;
    });
    assertOpsError(ready!, 503, /not ready: the redis engine/, ['status', 'engine']);
    assert.equal(ready!.body.status, 'not ready');
    assert.equal(ready!.body.engine, 'redis');

    // The key is right and the request well formed: the answer names the outage.
    assertOpsError(await post(`${api}/publish`, { data: 2 }, ADMIN), 503, /Redis|redis|connect/);
    assertOpsError(await get(`${api}/history?last=5`, ADMIN), 503, /Redis|redis|connect/);
    // A wrong key is still 401 during the outage: the two stay apart.
    assertOpsError(await post(`${api}/publish`, { data: 3 }, { authorization: 'Bearer no' }), 401, /invalid/);

    // The figures this node holds need no Redis: /stats answers, and says it is not ready.
    const stats = await get(`${server.url}/stats?local=1`, ADMIN);
    assert.equal(stats.status, 200, stats.text);
    assert.equal(stats.body.ready, false);
    assert.equal(stats.body.channels, null);
  });
});
