// The admin endpoints are closed by default on a reachable listener, and mutating admin requests
// are protected against cross-site requests (docs/security.md "Admin access").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { configSchema } from '../../src/app/config-schema.js';
import { startServer } from '../../src/app/server.js';
import { checkAdminExposure, isLoopbackHost } from '../../src/ops/admin-guard.js';
import { get, http, post } from '../helpers/http.js';
import { limitHits } from '../helpers/metrics.js';
import { startTestServer } from '../helpers/server.js';

const KEY = 'admin-key';
const ADMIN = { authorization: `Bearer ${KEY}` };

/** A logger that keeps its lines, to see what a start warned about. */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { logger, lines };
}

describe('admin closed by default', () => {
  test('loopback hosts are recognised, others are not', () => {
    for (const h of ['127.0.0.1', '127.3.4.5', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1'])
      assert.equal(isLoopbackHost(h), false, h);
  });

  test('a non-loopback listener without admin.key refuses to start, before listening', async () => {
    const config = configSchema.parse({ listen: { host: '0.0.0.0', port: 0 } });
    const { logger } = capturingLogger();
    await assert.rejects(
      startServer(config, { logger }),
      /admin\.key is not set and listen\.host 0\.0\.0\.0/,
    );
  });

  test('admin.insecure: true lets it start and warns at every start', () => {
    const config = configSchema.parse({ listen: { host: '0.0.0.0', port: 0 }, admin: { insecure: true } });
    const { logger, lines } = capturingLogger();
    checkAdminExposure(config, logger);
    checkAdminExposure(config, logger);
    assert.equal(lines.filter((l) => l.level === 40 && /admin\.insecure/.test(l.msg)).length, 2);
  });

  test('a key, or a loopback listener, starts without a warning', () => {
    for (const input of [
      { listen: { host: '0.0.0.0' }, admin: { key: 'k' } },
      { listen: { host: '127.0.0.1' } },
    ]) {
      const { logger, lines } = capturingLogger();
      checkAdminExposure(configSchema.parse(input), logger);
      assert.deepEqual(lines, []);
    }
  });

  test('loopback without a key keeps working (the demo way): /stats and the admin API answer', async () => {
    const server = await startTestServer({});
    try {
      assert.equal((await get(`${server.url}/admin/api/stats`)).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('admin CSRF guard', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let publish: string;
  const history = async () =>
    (await get(`${server.url}/admin/api/namespaces/A/channels/x/history`, ADMIN)).body.publications.length;

  before(async () => {
    server = await startTestServer({
      admin: { key: KEY, allowed_origins: ['https://ops.example'] },
      namespaces: { A: { api_keys: ['k'] } },
    });
    publish = `${server.url}/admin/api/namespaces/A/channels/x/publish`;
  });
  after(() => server.close());

  test('a cross-site text/plain POST is refused with 415 and publishes nothing', async () => {
    const hitsBefore = await limitHits(server.url, 'admin_csrf', ADMIN);
    const r = await http('POST', publish, '{"data":"evil"}', {
      ...ADMIN,
      'content-type': 'text/plain',
      origin: 'https://evil.example',
    });
    assert.equal(r.status, 415);
    assert.match(r.body.error.message, /Content-Type: application\/json/);
    // Without any content type too (a bare form-less POST).
    const bare = await fetch(publish, { method: 'POST', headers: ADMIN, body: '{"data":"evil"}' });
    assert.equal(bare.status, 415);
    assert.equal(await history(), 0);
    assert.equal(await limitHits(server.url, 'admin_csrf', ADMIN), hitsBefore + 2);
  });

  test('a JSON POST from a foreign Origin is refused with 403', async () => {
    const r = await post(publish, { data: 'evil' }, { ...ADMIN, origin: 'https://evil.example' });
    assert.equal(r.status, 403);
    assert.match(r.body.error.message, /origin https:\/\/evil\.example/);
    assert.equal(await history(), 0);
  });

  test('same-origin, configured-origin and Origin-less JSON requests go through', async () => {
    const self = new URL(server.url).origin;
    const origins: Record<string, string>[] = [{ origin: self }, { origin: 'https://ops.example' }, {}];
    for (const extra of origins) {
      const r = await post(publish, { data: 'ok' }, { ...ADMIN, ...extra });
      assert.equal(r.status, 200, JSON.stringify(extra));
    }
    assert.equal(await history(), 3);
  });

  test('reads are not affected: GET with any Origin and no content type answers', async () => {
    const r = await get(`${server.url}/admin/api/namespaces`, { ...ADMIN, origin: 'https://evil.example' });
    assert.equal(r.status, 200);
  });
});
