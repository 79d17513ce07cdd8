// One address must not exhaust the node: every TCP connection counts per address at accept, and a
// connection that is slow to send its headers, its body or its next request is cut.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { drip, rawSocket, within } from '../helpers/tcp.js';

/** The HTTP status a WebSocket upgrade from `localAddress` gets (101 when it opens). */
function upgradeStatusFrom(url: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

const NS = { demo: { secret: 'site-secret', post_secret: 'post-secret' } };

describe('limits: TCP connections per address, counted at accept', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let port: number;
  before(async () => {
    server = await startTestServer({ namespaces: NS, limits: { max_connections_per_ip: 5 } });
    port = server.port;
  });
  after(() => server.close());

  it('refuses the sixth silent socket of one address with 503, and only that address', async () => {
    const silent = await Promise.all([1, 2, 3, 4, 5].map(() => rawSocket(port, '127.0.0.2')));
    const sixth = await rawSocket(port, '127.0.0.2');
    const answer = await within(3000, sixth.closed, 'the sixth socket is answered and closed');
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /too many connections from your address/);
    // A WebSocket from that address is refused the same way, before any handshake.
    assert.equal(await upgradeStatusFrom(server.wsUrl('/ws?site=demo'), '127.0.0.2'), 503);
    // Another address still gets everything, health checks included.
    assert.equal((await get(`${server.url}/healthz`)).status, 200);
    // The silent sockets are still open: the cap is what refused, not a timeout.
    for (const s of silent) assert.equal(s.socket.destroyed, false);
    // A closed socket gives its slot back.
    silent[0]!.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await rawSocket(port, '127.0.0.2');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(again.socket.destroyed, false);
    assert.equal(again.received(), '');
    for (const s of [...silent, again]) s.socket.destroy();
  });
});

describe('limits: HTTP timeouts and body rate', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let port: number;
  before(async () => {
    server = await startTestServer({
      namespaces: NS,
      limits: {
        headers_timeout_ms: 500,
        request_timeout_ms: 2000,
        keep_alive_timeout_ms: 300,
        min_body_bytes_per_second: 100,
      },
    });
    port = server.port;
  });
  after(() => server.close());

  it('closes a socket that sends nothing, and one that drips its headers, with 408', async () => {
    const silent = await rawSocket(port);
    const dripping = await rawSocket(port);
    drip(
      dripping.socket,
      ['GET /healthz HTTP/1.1\r\n', ...Array.from({ length: 50 }, (_, i) => `x-${i}: y\r\n`)],
      100,
    );
    for (const s of [silent, dripping]) {
      const answer = await within(4000, s.closed, 'the slow socket is closed');
      assert.match(answer, /^HTTP\/1\.1 408 /);
    }
  });

  it('cuts a body that drips one byte at a time with 408, also after an early answer', async () => {
    const post = await rawSocket(port);
    post.socket.write(
      'POST /post?site=demo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n',
    );
    drip(
      post.socket,
      Array.from({ length: 100 }, () => ' '),
      200,
    );
    const answer = await within(5000, post.closed, 'the dripping body is cut');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /slower than 100 bytes\/s/);
    // The admin API answers 401 before reading the body; the drip must not live on after it.
    const early = await rawSocket(port);
    early.socket.write(
      'POST /admin/api/connections/1/send HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n',
    );
    drip(
      early.socket,
      Array.from({ length: 100 }, () => ' '),
      200,
    );
    await within(5000, early.closed, 'the dripping body after an early answer is cut');
  });

  it('closes an idle kept-alive connection, and serves a normal request on time', async () => {
    const s = await rawSocket(port);
    s.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    const answer = await within(4000, s.closed, 'the idle keep-alive socket is closed');
    assert.match(answer, /^HTTP\/1\.1 200 /);
    const r = await fetch(`${server.url}/post?site=demo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'c', message: 'm', token: 't', auth: 'a' }),
    });
    assert.notEqual(r.status, 408);
  });
});
