import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';

const NS = { demo: { secret: 'site-secret', post_secret: 'post-secret' } };

/** A closed socket gives its slot back when the server sees its TCP close: retry briefly. */
async function connectEventually(url: string): Promise<RawClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await RawClient.connect(url);
    } catch (err) {
      if (attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Connect from a chosen loopback source address (Linux routes all of 127/8 to lo). */
function connectFrom(url: string, localAddress: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('limits: connections per IP', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: NS, limits: { max_connections_per_ip: 3 } });
  });
  after(() => server.close());

  it('refuses the connection past the per-IP limit with 503 JSON before the handshake', async () => {
    const url = server.wsUrl('/ws?site=demo');
    const open = await Promise.all([1, 2, 3].map(() => RawClient.connect(url)));
    const refused = await expectRefused(url);
    assert.equal(refused.status, 503);
    assert.match(refused.contentType ?? '', /application\/json/);
    assert.match(refused.json().error, /too many connections from your address/);

    // Another address is not affected by this one's count.
    const other = await connectFrom(url, '127.0.0.2');
    assert.equal(other.readyState, WebSocket.OPEN);
    other.close();

    // Every TCP connection counts (at accept): plain HTTP from the full address is refused too,
    // (another address is served: see the WebSocket from 127.0.0.2 above).
    assert.equal((await get(`${server.url}/healthz`)).status, 503);

    // Closing one frees its slot.
    await open[0]!.close();
    const again = await connectEventually(url);
    await Promise.all([again, ...open.slice(1)].map((c) => c.close()));
  });

  it('gives slots back for refused and failed upgrades too', async () => {
    const url = server.wsUrl('/ws?site=demo');
    for (let i = 0; i < 10; i++) {
      // 404: no such site. The slot taken for the request must come back.
      await expectRefused(server.wsUrl('/ws?site=nope'));
    }
    const clients = [];
    for (let i = 0; i < 3; i++) clients.push(await connectEventually(url));
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe('limits: connections in total', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: NS, limits: { max_connections: 2 } });
  });
  after(() => server.close());

  it('refuses the connection past the total with 503 JSON, whatever its address', async () => {
    const url = server.wsUrl('/ws?site=demo');
    const a = await RawClient.connect(url);
    const b = await connectFrom(url, '127.0.0.3');
    const refused = await expectRefused(url);
    assert.equal(refused.status, 503);
    assert.match(refused.json().error, /too many connections/);
    await a.close();
    const c = await connectEventually(url);
    b.close();
    await c.close();
  });
});
