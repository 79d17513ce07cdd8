import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const NAMESPACES = {
  demo: {
    secret: 'site-secret',
    api_keys: ['mesh-key'],
    rocket: { path: '/app', users: { reader: { secret: 'r', permissions: ['READ'] } } },
  },
};

/** One WebSocket endpoint of every dialect. */
const ENDPOINTS = {
  site: '/ws?site=demo',
  chat: '/ws?username=heartbeat',
  'mesh gateway client': '/client?site=demo',
  'mesh backend': '/ws/v1?site=demo&key=mesh-key',
  rocket: '/app',
};

/**
 * A client that completes the handshake by hand and then reads (so it is not a slow consumer)
 * but never answers a ping: a peer that vanished without closing, as a dead NAT mapping leaves.
 * Resolves `closed` when the server drops the TCP connection.
 */
function mute(port: number, pathAndQuery: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return; // pings arrive here and go unanswered
      upgraded = true;
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve({ socket, closed });
      else
        reject(new Error(`upgrade to ${pathAndQuery} refused: ${chunk.toString('latin1').split('\r\n')[0]}`));
    });
    socket.once('error', reject);
    socket.write(
      `GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

describe('limits: heartbeat', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: NAMESPACES, limits: { heartbeat_ms: 100 } });
  });
  after(() => server.close());

  for (const [dialect, path] of Object.entries(ENDPOINTS)) {
    it(`drops a ${dialect} connection that does not answer pings; one that does stays`, async () => {
      const port = Number(new URL(server.url).port);
      const alive = await RawClient.connect(server.wsUrl(path)); // ws answers pings by itself
      const dead = await mute(port, path);
      await dead.closed;
      // The answering client went through the same pings and is still open.
      assert.equal(alive.ws.readyState, alive.ws.OPEN);
      await alive.close();
    });
  }

  it('drops a dead connection among 300 live ones within two heartbeats, the live ones kept', async () => {
    const port = Number(new URL(server.url).port);
    const live = await Promise.all(
      Array.from({ length: 300 }, () => RawClient.connect(server.wsUrl(ENDPOINTS.site))),
    );
    const pings = live.map(() => 0);
    for (const [i, c] of live.entries()) {
      c.ws.on('ping', () => {
        pings[i]!++;
      });
    }
    const dead = await mute(port, ENDPOINTS.site);
    await dead.closed;
    // Its bound, counted in heartbeats rather than milliseconds: a peer that stops answering is
    // pinged at most once more and dropped at the next visit, so no live client, each pinged once
    // per heartbeat, saw more than three pings meanwhile (two, plus one for where its turn falls).
    assert.ok(Math.max(...pings) <= 3, `pings of the live clients meanwhile: up to ${Math.max(...pings)}`);
    assert.ok(
      live.every((c) => c.ws.readyState === c.ws.OPEN),
      'every live client is still open',
    );
    await Promise.all(live.map((c) => c.close()));
  });
});
