import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { configSchema } from '../../src/app/config-schema.js';
import { type RunningServer, startServer } from '../../src/app/server.js';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { type CertFiles, hasOpenssl, httpsJson, makeCert } from '../helpers/tls.js';
import { postAuthOf, subAuth } from './site-fixtures.js';

// dist/test/protocol/security-tls-reload.test.js → dist/src/cli/main.js.
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));

const skip = hasOpenssl() ? false : 'openssl is not installed: cannot make the self-signed certificates';

/** Puts `pair` where the config points (what a renewal tool such as certbot's deploy step does). */
function install(pair: CertFiles, target: { cert: string; key: string }): void {
  copyFileSync(pair.cert, target.cert);
  copyFileSync(pair.key, target.key);
}

/** SHA-256 fingerprint of the certificate a new TLS handshake to `port` is served. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

/** A wss:// site subscriber: frames arrive in order through `next()`. */
async function openSubscriber(url: string, ca: Buffer) {
  const ws = new WebSocket(`${url.replace(/^https/, 'wss')}/ws?site=demo`, { ca });
  const frames: any[] = [];
  let wake: () => void = () => {};
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()));
    wake();
  });
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  const next = async () => {
    while (frames.length === 0) {
      if (ws.readyState !== ws.OPEN) throw new Error('the subscriber is not open');
      await new Promise<void>((r) => {
        wake = r;
        // A close wakes the waiter too, so a dropped socket fails the test instead of hanging it.
        closed.then(() => r());
      });
    }
    return frames.shift();
  };
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, next, closed };
}

async function subscribe(sub: Awaited<ReturnType<typeof openSubscriber>>, url: string, ca: Buffer) {
  const token = (await httpsJson(`${url}/token?site=demo`, ca)).body.token;
  const auth = subAuth(TEST_NAMESPACE.secret, 'news', token);
  sub.ws.send(JSON.stringify({ request: 'subscribe', req_id: '1', body: { channel: 'news', token, auth } }));
  assert.equal((await sub.next()).response, 'ok');
}

async function publish(url: string, ca: Buffer, message: string): Promise<void> {
  const token = (await httpsJson(`${url}/token?site=demo`, ca)).body.token;
  const posted = await httpsJson(`${url}/post?site=demo`, ca, 'POST', {
    channel: 'news',
    message,
    token,
    auth: postAuthOf(TEST_NAMESPACE.post_secret, token),
  });
  assert.equal(posted.status, 200);
}

describe('security: TLS certificate reload (reloadTls, SIGHUP)', { skip }, () => {
  let dir: string;
  let a: CertFiles;
  let b: CertFiles;
  /** The paths the config names; tests copy pairs over them. */
  let live: { cert: string; key: string };
  let server: RunningServer;
  const logs: { level: number; msg: string; [k: string]: unknown }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-tls-reload-'));
    a = makeCert(dir, 'a');
    b = makeCert(dir, 'b');
    assert.notEqual(a.fingerprint, b.fingerprint);
    live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    install(a, live);
    const config = configSchema.parse({
      tls: live,
      namespaces: { demo: TEST_NAMESPACE },
      listen: { host: '127.0.0.1', port: 0 },
    });
    // A logger whose lines the tests read: the failed reload must be logged, not only returned.
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    server = await startServer(config, { logger });
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('swaps in the renewed certificate for new handshakes; an open WebSocket stays open and keeps receiving', async () => {
    assert.equal(await servedFingerprint(server.port), a.fingerprint);
    const sub = await openSubscriber(server.url, a.pem);
    try {
      await subscribe(sub, server.url, a.pem);

      install(b, live);
      assert.deepEqual(await server.reloadTls(), { ok: true });
      const reloaded = logs.find((l) => l.msg === 'tls certificate reloaded');
      assert.ok(reloaded, 'the reload is logged');
      assert.equal(reloaded.fingerprint256, b.fingerprint);

      // (1) A new connection sees certificate B (and HTTPS trusting only B works).
      assert.equal(await servedFingerprint(server.port), b.fingerprint);
      // (2) The connection made under A is still open and still gets publications.
      await publish(server.url, b.pem, 'after reload');
      const frame = await sub.next();
      assert.equal(frame.body, 'after reload');
      assert.equal(sub.ws.readyState, WebSocket.OPEN);
    } finally {
      sub.ws.close();
    }
  });

  it('keeps the running certificate and logs an error when the new files are unusable', async () => {
    install(b, live);
    assert.equal((await server.reloadTls()).ok, true);
    const sub = await openSubscriber(server.url, b.pem);
    try {
      await subscribe(sub, server.url, b.pem);
      const bad: { name: string; prepare: () => void; error: RegExp }[] = [
        {
          name: 'a key file that is not a key',
          prepare: () =>
            writeFileSync(live.key, '-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n'),
          error: /not a usable certificate and key/,
        },
        {
          name: "A's certificate with B's key (not a pair)",
          prepare: () => {
            copyFileSync(a.cert, live.cert);
            copyFileSync(b.key, live.key);
          },
          error: /not a usable certificate and key/,
        },
        {
          name: 'a missing key file',
          prepare: () => rmSync(live.key),
          error: /cannot read .*live\.key/,
        },
      ];
      for (const { name, prepare, error } of bad) {
        install(b, live);
        prepare();
        const before = logs.length;
        const result = await server.reloadTls();
        assert.equal(result.ok, false, name);
        assert.match(result.error ?? '', error, name);
        const logged = logs.slice(before).find((l) => l.level === 50);
        assert.ok(logged, `${name}: an error is logged`);
        assert.match(logged.msg, /tls reload failed/);
        assert.equal(logged.cert, live.cert);
        // (3) New connections still get B, and the open one is untouched.
        assert.equal(await servedFingerprint(server.port), b.fingerprint, name);
        assert.equal(sub.ws.readyState, WebSocket.OPEN, name);
      }
      await publish(server.url, b.pem, 'after failed reloads');
      assert.equal((await sub.next()).body, 'after failed reloads');

      // Fixing the files and reloading again works: a failure leaves nothing stuck.
      install(a, live);
      assert.deepEqual(await server.reloadTls(), { ok: true });
      assert.equal(await servedFingerprint(server.port), a.fingerprint);
    } finally {
      sub.ws.close();
    }
  });

  it('answers ok:false on a server without tls', async () => {
    const plain = await startTestServer({ namespaces: { demo: TEST_NAMESPACE } });
    try {
      assert.deepEqual(await plain.reloadTls(), { ok: false, error: 'tls is not configured' });
    } finally {
      await plain.close();
    }
  });

  it('`switchboard serve` reloads on SIGHUP without dropping connections, and still exits 0 on SIGTERM', async () => {
    const cliLive = { cert: join(dir, 'cli.crt'), key: join(dir, 'cli.key') };
    install(a, cliLive);
    const configPath = join(dir, 'serve.yaml');
    writeFileSync(
      configPath,
      `listen: { host: 127.0.0.1, port: 0 }
log: { level: info }
tls: { cert: ${JSON.stringify(cliLive.cert)}, key: ${JSON.stringify(cliLive.key)} }
namespaces:
  demo: { secret: ${TEST_NAMESPACE.secret}, post_secret: ${TEST_NAMESPACE.post_secret} }
`,
    );
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', configPath], { env: ENV });
    const out = logLines(child);
    try {
      const url = (await out.waitFor((l) => l.msg === 'switchboard listening')).url as string;
      const port = Number(new URL(url).port);
      assert.equal(await servedFingerprint(port), a.fingerprint);
      const sub = await openSubscriber(url, a.pem);
      await subscribe(sub, url, a.pem);

      install(b, cliLive);
      child.kill('SIGHUP');
      await out.waitFor((l) => l.msg === 'tls certificate reloaded');
      assert.equal(await servedFingerprint(port), b.fingerprint);
      await publish(url, b.pem, 'after SIGHUP');
      assert.equal((await sub.next()).body, 'after SIGHUP');

      // A broken key on the next SIGHUP: logged, the process serves on with B.
      writeFileSync(cliLive.key, 'not a key');
      child.kill('SIGHUP');
      await out.waitFor((l) => l.level === 50 && /tls reload failed/.test(String(l.msg)));
      assert.equal(child.exitCode, null);
      assert.equal(await servedFingerprint(port), b.fingerprint);
      assert.equal(sub.ws.readyState, WebSocket.OPEN);

      child.kill('SIGTERM');
      // The graceful shutdown still closes the subscriber with 1012.
      assert.equal(await sub.closed, 1012);
      assert.equal(await exitCode(child), 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

/** Collects the child's pino lines; `waitFor` resolves with the first line matching (seen or coming). */
function logLines(child: ChildProcess) {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    const parts = text.split('\n');
    text = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      lines.push(JSON.parse(line));
    }
    for (const w of waiters) w();
  });
  const waitFor = (match: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`log line not seen:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`));
      }, 15_000);
      const onExit = (code: number | null) => {
        cleanup();
        reject(
          new Error(
            `server exited with ${code}:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`,
          ),
        );
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.once('exit', onExit);
      check();
    });
  return { waitFor };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
