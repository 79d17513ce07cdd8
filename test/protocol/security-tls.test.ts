import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { type CertFiles, hasOpenssl, httpsJson, makeCert } from '../helpers/tls.js';
import { postAuthOf, subAuth } from './site-fixtures.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

const skip = hasOpenssl() ? false : 'openssl is not installed: cannot make the self-signed certificate';

describe('security: built-in TLS (tls: {cert, key})', { skip }, () => {
  let dir: string;
  let cert: Buffer;
  let made: CertFiles;
  let server: TestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-tls-'));
    made = makeCert(dir, 'localhost');
    cert = made.pem;
    server = await startTestServer({
      tls: { cert: made.cert, key: made.key },
      namespaces: { demo: TEST_NAMESPACE },
    });
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS: the URL says https and /token answers over TLS', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await httpsJson(`${server.url}/token?site=demo`, cert);
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.token, 'string');
  });

  it('serves WSS: a site subscriber over wss:// receives a message posted over https://', async () => {
    const ws = new WebSocket(server.wsUrl('/ws?site=demo'), { ca: cert });
    const frames: any[] = [];
    let wake: () => void = () => {};
    ws.on('message', (d) => {
      frames.push(JSON.parse(d.toString()));
      wake();
    });
    const next = async () => {
      while (frames.length === 0) await new Promise<void>((r) => (wake = r));
      return frames.shift();
    };
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const sub = (await httpsJson(`${server.url}/token?site=demo`, cert)).body.token;
      const auth = subAuth(TEST_NAMESPACE.secret, 'news', sub);
      ws.send(
        JSON.stringify({ request: 'subscribe', req_id: '1', body: { channel: 'news', token: sub, auth } }),
      );
      assert.equal((await next()).response, 'ok');
      const tok = (await httpsJson(`${server.url}/token?site=demo`, cert)).body.token;
      const posted = await httpsJson(`${server.url}/post?site=demo`, cert, 'POST', {
        channel: 'news',
        message: 'over tls',
        token: tok,
        auth: postAuthOf(TEST_NAMESPACE.post_secret, tok),
      });
      assert.equal(posted.status, 200);
      assert.equal((await next()).body, 'over tls');
    } finally {
      ws.close();
    }
  });

  it('does not answer plain HTTP on the TLS port', async () => {
    const plain = server.url.replace(/^https/, 'http');
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(`${plain}/token?site=demo`, (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      });
      req.on('error', () => resolve('error'));
      req.end();
    });
    assert.notEqual(outcome, 'status 200');
  });

  it('refuses to start when a tls file cannot be read', async () => {
    await assert.rejects(
      startTestServer({ tls: { cert: join(dir, 'missing.pem'), key: made.key } }),
      /tls\.cert: cannot read/,
    );
  });
});
