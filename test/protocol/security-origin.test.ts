import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const APP = 'https://app.example';

/** A hand-written upgrade request: the status, headers and body the server answers with. */
function rawUpgrade(base: string, path: string, origin?: string) {
  return new Promise<{ status: number; body: string; upgraded: boolean }>((resolve, reject) => {
    const req = request(`${base}${path}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...(origin !== undefined && { Origin: origin }),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', upgraded: true });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, upgraded: false }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security: Origin allow-list before the WebSocket upgrade', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      namespaces: {
        locked: {
          secret: 's',
          api_keys: ['locked-key'],
          allowed_origins: [APP, 'http://localhost:3000'],
          rocket: { path: '/locked', users: {} },
        },
        open: { secret: 's2', api_keys: ['open-key'], rocket: { path: '/open', users: {} } },
      },
      chat: { namespace: 'chat', allowed_origins: [APP] },
    });
  });
  after(() => server.close());

  // Every browser endpoint of the locked namespace (and chat), with the body shape of its dialect.
  const endpoints = [
    {
      name: 'site',
      path: '/ws?site=locked',
      message: (b: any) => (b.status === 'error' ? b.message : undefined),
    },
    { name: 'rocket', path: '/locked', message: (b: any) => b.error },
    { name: 'gateway', path: '/client?site=locked', message: (b: any) => b.error },
    { name: 'chat', path: '/ws?username=ann', message: (b: any) => b.error },
  ];

  for (const e of endpoints) {
    it(`${e.name}: refuses a foreign Origin with 403 JSON and no handshake`, async () => {
      const raw = await rawUpgrade(server.url, e.path, 'https://evil.example');
      assert.equal(raw.upgraded, false);
      assert.equal(raw.status, 403);
      assert.match(
        String(e.message(JSON.parse(raw.body))),
        /origin "https:\/\/evil\.example" is not allowed/,
      );
      const viaClient = await expectRefused(server.wsUrl(e.path), { Origin: 'null' });
      assert.equal(viaClient.status, 403);
      assert.match(viaClient.contentType ?? '', /application\/json/);
    });

    it(`${e.name}: lets a listed Origin (any case, trailing slash) and a request without Origin through`, async () => {
      for (const origin of [APP, 'HTTPS://App.Example/', undefined]) {
        const raw = await rawUpgrade(server.url, e.path, origin);
        assert.equal(raw.upgraded, true, `origin ${origin}: ${raw.status} ${raw.body}`);
      }
      const c = await RawClient.connect(server.wsUrl(e.path), { headers: { Origin: APP } });
      await c.close();
    });
  }

  it('a port is part of the origin', async () => {
    assert.equal((await rawUpgrade(server.url, '/ws?site=locked', 'http://localhost:3000')).upgraded, true);
    assert.equal((await rawUpgrade(server.url, '/ws?site=locked', 'http://localhost:3001')).status, 403);
  });

  it('a namespace without allowed_origins accepts any Origin', async () => {
    for (const path of ['/ws?site=open', '/open', '/client?site=open']) {
      const raw = await rawUpgrade(server.url, path, 'https://evil.example');
      assert.equal(raw.upgraded, true, `${path}: ${raw.status} ${raw.body}`);
    }
  });
});
