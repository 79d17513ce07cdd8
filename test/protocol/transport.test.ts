import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused } from '../helpers/ws-client.js';

describe('listener: probes and WebSocket routing', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: { demo: { secret: 's', post_secret: 'p' } } });
  });
  after(() => server.close());

  it('answers /healthz and /readyz', async () => {
    const health = await get(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await get(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
  });

  it('refuses /ws with neither site nor username with 401 and a JSON reason', async () => {
    for (const q of ['', '?username=', '?username=%20%20', '?name=', '?other=1']) {
      const refused = await expectRefused(server.wsUrl(`/ws${q}`));
      assert.equal(refused.status, 401, `/ws${q}`);
      assert.match(refused.contentType ?? '', /application\/json/);
      assert.match(refused.json().error, /site.*username/);
    }
  });

  it('refuses /ws with both site and username with 400', async () => {
    const refused = await expectRefused(server.wsUrl('/ws?site=demo&username=bob'));
    assert.equal(refused.status, 400);
    assert.match(refused.json().error, /only one/);
  });

  it('answers unknown paths with 404 JSON, on HTTP and on upgrade', async () => {
    const res = await get(`${server.url}/nope`);
    assert.equal(res.status, 404);
    assert.match(res.body.error, /\/nope/);
    const refused = await expectRefused(server.wsUrl('/nope'));
    assert.equal(refused.status, 404);
  });
});
