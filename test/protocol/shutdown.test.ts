import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { installCrashGuards, isSafeToContinue, processFaults } from '../../src/cli/serve.js';
import { get, post } from '../helpers/http.js';
import { RawClient } from '../helpers/ws-client.js';

// dist/test/protocol/shutdown.test.js → dist/src/cli/main.js.
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
const SECRET = 'shutdown-secret';
const POST_SECRET = 'shutdown-post-secret';
const CLIENTS = 20;
const CHANNEL = 'load';

const CONFIG = `listen: { host: 127.0.0.1, port: 0 }
log: { level: info }
limits: { shutdown_timeout_ms: 5000 }
namespaces:
  demo: { secret: ${SECRET}, post_secret: ${POST_SECRET} }
`;

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64');

/** Resolves with the URL from the `switchboard listening` log line. */
function listeningUrl(child: ChildProcess): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${text}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        const log = JSON.parse(line) as { msg?: string; url?: string };
        if (log.msg === 'switchboard listening' && log.url) {
          clearTimeout(timer);
          resolve(log.url);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}:\n${text}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Handshake by hand, then never read: its close handshake can never complete. */
function stalledClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error('upgrade refused'));
    });
    socket.once('error', reject);
    socket.write(
      `GET /ws?site=demo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/**
 * A `/post` sent in two parts: headers with `Expect: 100-continue` (the server's "100 Continue"
 * proves the request is being handled), then `sentBytes` of the body; the rest on `finish()`.
 */
function startPost(port: number, body: string, sentBytes: number) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const bytes = Buffer.from(body);
  let text = '';
  let onContinue: () => void;
  const started = new Promise<void>((resolve) => {
    onContinue = resolve;
  });
  const statusLine = new Promise<string>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const lines = text.split('\r\n').filter((l) => l.startsWith('HTTP/1.1 '));
      if (lines.some((l) => l.startsWith('HTTP/1.1 100'))) onContinue();
      const final = lines.find((l) => !l.startsWith('HTTP/1.1 100'));
      if (final) resolve(final);
    });
    socket.once('close', () =>
      reject(new Error(`connection closed with no answer: ${JSON.stringify(text)}`)),
    );
  });
  socket.once('connect', () =>
    socket.write(
      `POST /post?site=demo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${bytes.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    ),
  );
  const startedWithBody = started.then(
    () => new Promise<void>((resolve) => socket.write(bytes.subarray(0, sentBytes), () => resolve())),
  );
  return { started: startedWithBody, statusLine, finish: () => socket.end(bytes.subarray(sentBytes)) };
}

describe('graceful shutdown of a real process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-shutdown-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('on SIGTERM under load: every client gets 1012, the process exits 0 in time', async () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, CONFIG);
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', path], { env: ENV });
    children.push(child);
    const url = await listeningUrl(child);
    const wsUrl = `${url.replace(/^http/, 'ws')}/ws?site=demo`;

    const token = (await get(`${url}/token?site=demo`)).body.token as string;
    const clients: RawClient[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = await RawClient.connect(wsUrl);
      c.send({
        request: 'subscribe',
        body: { channel: CHANNEL, token, auth: hmac(SECRET, CHANNEL + token) },
      });
      assert.equal((await c.next()).response, 'ok');
      clients.push(c);
    }
    // A client that stopped reading must not hold the shutdown past its timeout.
    const stalled = await stalledClient(Number(new URL(url).port));

    // Load: a backend posting without pause, until the server stops answering.
    let posting = true;
    const statuses = new Map<number, number>();
    const auth = hmac(POST_SECRET, token);
    const publisher = (async () => {
      for (let i = 0; posting; i++) {
        try {
          const res = await post(`${url}/post?site=demo`, { channel: CHANNEL, message: { i }, token, auth });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        } catch {
          return; // connection refused: the listener is closed
        }
      }
    })();
    // Every client is receiving before the signal.
    for (const c of clients) await c.nextFrame();

    child.kill('SIGTERM');
    const closes = await Promise.all(clients.map((c) => c.closed));
    for (const close of closes) {
      assert.equal(close.code, 1012);
      assert.equal(close.reason, 'server restarting');
    }
    // serve exits 1 if shutdown overruns shutdown_timeout_ms (+2 s): 0 means it finished in time.
    assert.equal(await exitCode(child), 0);
    posting = false;
    await publisher;
    stalled.destroy();

    assert.ok((statuses.get(200) ?? 0) > 0, 'posts were flowing before the signal');
    for (const status of statuses.keys()) {
      assert.ok(status === 200 || status === 503, `no post answered ${status} during shutdown`);
    }
  });

  it('on SIGTERM: finishes HTTP requests in flight, cuts one that never ends, exits 0', async () => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, CONFIG);
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', path], { env: ENV });
    children.push(child);
    const url = await listeningUrl(child);
    const port = Number(new URL(url).port);
    const token = (await get(`${url}/token?site=demo`)).body.token as string;
    const auth = hmac(POST_SECRET, token);

    // In flight at the signal, completed after it: it must get its answer.
    const late = startPost(port, JSON.stringify({ channel: CHANNEL, message: 'late', token, auth }), 10);
    await late.started;
    // In flight and never completed (its body stops half-way): it must not hold the exit.
    const stuck = startPost(port, JSON.stringify({ channel: CHANNEL, message: 'never', token, auth }), 10);
    await stuck.started;
    stuck.statusLine.catch(() => undefined);

    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    late.finish();
    assert.match(await late.statusLine, /^HTTP\/1.1 200/);
    assert.equal(await exitCode(child), 0);
  });
});

describe('crash guards', () => {
  const logger = pino({ level: 'silent' });

  it('log and count an unhandled rejection and serve on', () => {
    const target = new EventEmitter();
    let fatal = 0;
    installCrashGuards(target as unknown as NodeJS.Process, logger, () => fatal++);
    const before = processFaults.unhandledRejections;
    target.emit('unhandledRejection', new Error('nobody awaited me'), Promise.resolve());
    target.emit('unhandledRejection', 'not even an Error', Promise.resolve());
    assert.equal(processFaults.unhandledRejections - before, 2);
    assert.equal(fatal, 0);
  });

  it('serve on after a socket I/O error, shut down after any other uncaught exception', () => {
    const target = new EventEmitter();
    const fatal: unknown[] = [];
    installCrashGuards(target as unknown as NodeJS.Process, logger, (err) => fatal.push(err));
    const before = processFaults.uncaughtExceptions;
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    target.emit('uncaughtException', reset, 'uncaughtException');
    assert.equal(fatal.length, 0);
    const bug = new TypeError('cannot read properties of undefined');
    target.emit('uncaughtException', bug, 'uncaughtException');
    assert.deepEqual(fatal, [bug]);
    assert.equal(processFaults.uncaughtExceptions - before, 2);
    assert.equal(isSafeToContinue(null), false);
    assert.equal(isSafeToContinue({ code: 'EPIPE' }), true);
  });
});
