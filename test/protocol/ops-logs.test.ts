/**
 * The log lines an operator reads, from a real `switchboard serve` process: the configuration
 * summary at start, refused credentials summed per interval, the admin audit trail, fired limits,
 * and the one-sentence start-up failures on stderr.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { ThrowawayRedis } from '../cluster/helpers.js';
import { exitCode, waitForListening } from '../helpers/cli-process.js';
import { startTestServer } from '../helpers/server.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
const SECRETS = ['site-secret-4711', 'post-secret-4711', 'mesh-key-4711', 'admin-key-4711'];

function writeConfig(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const CONFIG = writeConfig('logs.yaml', [
  'listen: { host: 127.0.0.1, port: 0 }',
  `admin: { key: ${SECRETS[3]} }`,
  'log: { level: info, summary_interval_ms: 1000 }',
  'limits: { max_connections_per_ip: 2 }',
  `namespaces: { app: { secret: ${SECRETS[0]}, post_secret: ${SECRETS[1]}, api_keys: [${SECRETS[2]}] } }`,
]);

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 15000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// From an address of its own: the per-address cap counts every TCP connection at accept, and the
// kept-alive fetch sockets of 127.0.0.1 would take its slots.
function openWs(url: string): Promise<{ ws: WebSocket; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress: '127.0.0.7' });
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
    ws.once('error', () => undefined);
  });
}

describe('operator logs of a running server', () => {
  test('config summary, refused credentials summed, admin audit, fired limits; no secret, nothing per connection', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', CONFIG], { env: ENV });
    try {
      const { url, logs, stdout } = await waitForListening(child);
      const summary = logs().find((l) => l.msg === 'config loaded')!;
      assert.equal(summary.source, CONFIG);
      assert.equal(summary.engine, 'memory');
      assert.equal(summary.admin_key, true);
      assert.deepEqual(summary.namespaces, ['app (site, mesh)']);
      assert.equal((summary.limits as Record<string, number>).max_connections_per_ip, 2);

      // A flood of bad /post credentials: one full line, then one line with the count.
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${url}/post?site=app`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ channel: 'c', message: 1, token: 'forged', auth: 'x' }),
        });
        assert.equal(res.status, 403);
      }
      // A wrong mesh key and a wrong admin key, once each.
      assert.equal(
        (await fetch(`${url}/v1/mesh/publish?site=app&key=wrong`, { method: 'POST' })).status,
        401,
      );
      assert.equal(
        (await fetch(`${url}/admin/api/stats`, { headers: { authorization: 'Bearer no' } })).status,
        401,
      );
      // Every refusal is accounted for: in full (the first of an interval) or in a count. The flood
      // may straddle an interval's end, so it takes one or two full lines, never one per request.
      const siteLines = () => logs().filter((l) => l.dialect === 'site');
      const accounted = () =>
        siteLines().reduce((n, l) => n + (typeof l.count === 'number' ? l.count : 1), 0);
      await until('every site refusal in the log', () => (accounted() === 20 ? true : undefined));
      const full = siteLines().filter((l) => l.msg === 'authentication failed');
      const sums = siteLines().filter((l) => l.count !== undefined);
      assert.ok(full.length <= 2 && sums.length <= 2, `${siteLines().length} lines for 20 refusals`);
      assert.equal(full[0]!.namespace, 'app');
      assert.equal(full[0]!.address, '127.0.0.1');
      assert.match(String(full[0]!.reason), /invalid token/);
      assert.match(String(sums[0]!.msg), /^authentication failed \d+ more times in 1 s$/);
      assert.equal(sums[0]!.last_address, '127.0.0.1');
      const mesh = logs().find((l) => l.msg === 'authentication failed' && l.dialect === 'mesh')!;
      assert.equal(mesh.reason, 'wrong API key for site "app"');
      assert.equal(mesh.address, '127.0.0.1');
      assert.ok(logs().some((l) => l.msg === 'authentication failed' && l.dialect === 'admin'));

      // The audit trail: who did what to which target.
      const publish = await fetch(`${url}/admin/api/namespaces/app/channels/news/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRETS[3]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { hi: 1 } }),
      });
      assert.equal(publish.status, 200);
      const audit = await until('the audit line', () => logs().find((l) => l.msg === 'admin action'));
      assert.equal(audit.who, 'admin');
      assert.equal(audit.action, 'POST /admin/api/namespaces/app/channels/news/publish');
      assert.equal(audit.status, 200);

      // The per-address cap refuses the third connection; the interval's line counts it.
      const wsUrl = `${url.replace(/^http/, 'ws')}/ws?site=app`;
      const opened = [await openWs(wsUrl), await openWs(wsUrl), await openWs(wsUrl)];
      assert.deepEqual(
        opened.map((o) => o.status),
        [101, 101, 503],
      );
      const fired = await until('the limits line', () =>
        logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('limits fired')),
      );
      assert.equal(fired.refused_max_connections_per_ip, 1);
      for (const o of opened) o.ws.close();

      assert.ok(!logs().some((l) => l.msg === 'connection open'), 'no line per connection at info');
      for (const secret of SECRETS) assert.ok(!stdout().includes(secret), 'a secret reached the log');
      child.kill('SIGTERM');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

function serveOnce(config: string, timeout = 30000) {
  const r = spawnSync(process.execPath, [MAIN, 'serve', '--config', config], {
    encoding: 'utf8',
    env: ENV,
    timeout,
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('start-up failures are one sentence on stderr', () => {
  test('a port in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = serveOnce(writeConfig('busy.yaml', [`listen: { host: 127.0.0.1, port: ${port} }`]));
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `switchboard: port ${port} is in use on 127.0.0.1: another Switchboard? use --port\n`,
      );
      assert.ok(!r.stdout.includes('"stack"'), 'no stack trace');
    } finally {
      blocker.close();
    }
  });

  test('an unreadable TLS file', () => {
    const missing = join(dir, 'missing-cert.pem');
    const r = serveOnce(
      writeConfig('tls.yaml', [
        'listen: { host: 127.0.0.1, port: 0 }',
        `tls: { cert: ${missing}, key: ${missing} }`,
      ]),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^switchboard: tls\\.cert: cannot read ${missing}: ENOENT`));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('Redis that is not there is waited for with a countdown, then a clear message', () => {
    const r = serveOnce(
      writeConfig('no-redis.yaml', [
        'listen: { host: 127.0.0.1, port: 0 }',
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        'engine: { type: redis, url: "redis://127.0.0.1:1" }',
      ]),
      60000,
    );
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, 4),
      [2, 3, 4, 5].map(
        (n) => `switchboard: cannot reach Redis at redis://127.0.0.1:1; retrying in 2 s (attempt ${n} of 5)`,
      ),
    );
    assert.equal(
      lines[4],
      'switchboard: cannot reach Redis at redis://127.0.0.1:1 after 5 attempts: is it running, and is engine.url right?',
    );
    assert.equal(lines.length, 5);
  });

  test('Redis that comes up during the countdown: the server starts', async () => {
    const redis = await ThrowawayRedis.create();
    await redis.kill();
    const config = writeConfig('late-redis.yaml', [
      'listen: { host: 127.0.0.1, port: 0 }',
      `engine: { type: redis, url: "${redis.url}", prefix: "sbtest:late:" }`,
    ]);
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', config], { env: ENV });
    try {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      await until('the first retry line', () => (stderr.includes('retrying in 2 s') ? true : undefined));
      await redis.start();
      const { url } = await waitForListening(child, 20000);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      child.kill('SIGTERM');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
      await redis.kill();
    }
  });
});

describe('an outage is not answered as a refused credential', () => {
  test('mesh.publish with Redis down: E 401 "publish failed: Redis …", prefixed once', async () => {
    const redis = await ThrowawayRedis.create();
    const server = await startTestServer({
      engine: { type: 'redis', url: redis.url, prefix: 'sbtest:outage:' },
      namespaces: { app: { api_keys: ['k'] } },
    });
    try {
      const publish = () =>
        fetch(`${server.url}/v1/mesh/publish?site=app`, {
          method: 'POST',
          headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
          body: JSON.stringify({ c: 'news', d: Buffer.from('hi').toString('base64') }),
        });
      assert.deepEqual(await (await publish()).json(), { E: null, r: { s: 0, f: 0 } });
      await redis.kill();
      await until('not ready', async () =>
        (await fetch(`${server.url}/readyz`)).status === 503 ? true : undefined,
      );
      const res = await publish();
      assert.equal(res.status, 200, 'the request itself was accepted: the key is right');
      const body = (await res.json()) as { E: { c: number; m: string } };
      assert.equal(body.E.c, 401);
      assert.match(body.E.m, /^publish failed: Redis /);
      assert.ok(!body.E.m.includes('failed: publish failed'), body.E.m);
    } finally {
      await server.close();
      await redis.kill();
    }
  });
});
