// Keyless mesh access from trusted networks, replaying what the CONNMIX PHP SDK sends: it opens
// `ws://{api_server}/ws/v1` with no headers and no query (connmix-php src/V1/AsyncNodeEngine.php,
// src/Client.php newNode), and CONNMIX's docs publish with a bare `curl -d` (no key).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { post } from '../helpers/http.js';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused } from '../helpers/ws-client.js';
import { Backend } from './mesh-fixtures.js';

describe('mesh trusted networks: keyless access by socket address', () => {
  const server = lateBound<Awaited<ReturnType<typeof startTestServer>>>('the server');
  before(async () => {
    server.set(
      await startTestServer({
        namespaces: {
          // The tests connect from 127.0.0.1: "default" and "lan" trust it, "far" does not.
          default: { trusted_networks: ['127.0.0.0/8'] },
          lan: { api_keys: ['lan-key'], trusted_networks: ['::1/128', '127.0.0.1'] },
          far: { api_keys: ['far-key'], trusted_networks: ['10.0.0.0/8'] },
        },
      }),
    );
  });
  after(() => server.value?.close());

  it('opens /ws/v1 with no key and no ?site= from a trusted address, as the SDK does', async () => {
    const b = await Backend.connect(server.proxy.wsUrl('/ws/v1'));
    // json_encode(['m' => 'mesh.publish', 'p' => ['c' => ..., 'd' => ...], 'i' => 1]) (AsyncNode::meshPublish)
    b.sendRaw('{"m":"mesh.publish","p":{"c":"channel1","d":"Hello,World!"},"i":1}');
    assert.deepEqual(await b.replyTo(1), { E: null, r: { s: 0, f: 0 }, i: 1 });
    await b.close();
    const lan = await Backend.connect(server.proxy.wsUrl('/ws/v1?site=lan'));
    lan.sendRaw('{"m":"queue.unpop","p":{},"i":2}');
    assert.deepEqual(await lan.replyTo(2), { E: null, r: { s: true }, i: 2 });
    await lan.close();
  });

  it('answers the CONNMIX docs’ keyless curl publish', async () => {
    const res = await post(`${server.proxy.url}/v1/mesh/publish`, '{"c":"channel1","d":"Hello,World!"}', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { E: null, r: { s: 0, f: 0 } });
  });

  it('refuses a keyless request when the socket address is outside the namespace’s networks', async () => {
    const refused = await expectRefused(server.proxy.wsUrl('/ws/v1?site=far'));
    assert.equal(refused.status, 401);
    assert.match(refused.json().error, /API key is required/);
    const http = await post(`${server.proxy.url}/v1/mesh/publish?site=far`, { c: 'a', d: 'b' });
    assert.equal(http.status, 401);
  });

  it('ignores X-Forwarded-For, X-Real-IP and Forwarded: only the socket address counts', async () => {
    const headers = { 'x-forwarded-for': '10.1.2.3', 'x-real-ip': '10.1.2.3', forwarded: 'for=10.1.2.3' };
    const refused = await expectRefused(server.proxy.wsUrl('/ws/v1?site=far'), headers);
    assert.equal(refused.status, 401);
    const http = await post(`${server.proxy.url}/v1/mesh/publish?site=far`, { c: 'a', d: 'b' }, headers);
    assert.equal(http.status, 401);
  });

  it('still checks a key that is sent: a wrong key from a trusted address is 401, the right one works', async () => {
    const wrong = await expectRefused(server.proxy.wsUrl('/ws/v1?site=lan&key=nope'));
    assert.equal(wrong.status, 401);
    assert.match(wrong.json().error, /wrong API key/);
    const right = await post(
      `${server.proxy.url}/v1/mesh/publish?site=far`,
      { c: 'a', d: 'b' },
      {
        authorization: 'Bearer far-key',
      },
    );
    assert.deepEqual(right.body, { E: null, r: { s: 0, f: 0 } });
  });
});
