// Under a low open-file limit (a child server started with `prlimit --nofile`), the caps derived
// from RLIMIT_NOFILE refuse cleanly with 503 before the process runs out of descriptors, and the
// ops endpoints keep answering.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { openFileLimit, socketBudget } from '../../src/transport/fd-budget.js';
import { get } from '../helpers/http.js';
import { type RawSocket, rawSocket, within } from '../helpers/tcp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const NOFILE = 300;
const KEY = 'admin-key';

describe('socket budget from the open-file limit', () => {
  it('derives the caps below the limit and keeps configured values', () => {
    assert.deepEqual(socketBudget({ fdReserve: 128 }, 1024), {
      openFiles: 1024,
      maxSockets: 960,
      maxConnections: 896,
      maxConnectionsPerIp: 240,
      overCommitted: false,
    });
    // A high limit leaves the historical defaults.
    const high = socketBudget({ fdReserve: 128 }, 1_048_576);
    assert.equal(high.maxConnections, 100_000);
    assert.equal(high.maxConnectionsPerIp, 1000);
    // Explicit values win; one above the budget is flagged for a warning.
    const set = socketBudget({ fdReserve: 128, maxConnections: 5000, maxConnectionsPerIp: 7 }, 1024);
    assert.equal(set.maxConnections, 5000);
    assert.equal(set.maxConnectionsPerIp, 7);
    assert.equal(set.overCommitted, true);
  });

  it('reads this process’s soft limit', () => {
    const limit = openFileLimit();
    assert.ok(limit === undefined || (Number.isInteger(limit) && limit > 0));
  });
});

/** Open a WebSocket from `localAddress`; resolves with it, or with the refusal's status and body. */
function openWs(url: string, localAddress: string): Promise<WebSocket | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** GET over one kept-alive agent, so the request does not need a new socket. */
function getVia(agent: Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${KEY}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe(`at the open-file limit (child server, nofile ${NOFILE})`, () => {
  let child: ChildProcess;
  let output = '';
  let url = '';
  let limits: { max_connections: number; max_sockets: number; max_connections_per_ip: number };
  let dir: string;
  const sockets: (WebSocket | RawSocket)[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-nofile-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        `admin: { key: ${KEY} }`,
        'namespaces: { demo: { secret: s } }',
        'limits: { fd_reserve: 100, headers_timeout_ms: 60000, keep_alive_timeout_ms: 60000 }',
      ].join('\n'),
    );
    child = spawn(
      'prlimit',
      [`--nofile=${NOFILE}:${NOFILE}`, process.execPath, MAIN, 'serve', '--config', config],
      {
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await within(
      15000,
      new Promise<void>((resolve) => {
        const check = () => {
          const lines = output
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              try {
                return JSON.parse(l);
              } catch {
                return {};
              }
            });
          const listening = lines.find((l) => l.msg === 'switchboard listening');
          const budget = lines.find((l) => l.msg === 'connection limits');
          if (listening && budget) {
            url = listening.url;
            limits = budget;
            resolve();
          } else setTimeout(check, 50);
        };
        check();
      }),
      'the child server starts',
    );
  });

  after(async () => {
    for (const s of sockets) {
      if (s instanceof WebSocket) s.terminate();
      else s.socket.destroy();
    }
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs the effective figures, below the limit', () => {
    assert.equal(limits.max_sockets, NOFILE - 50);
    assert.equal(limits.max_connections, NOFILE - 100);
    assert.equal(limits.max_connections_per_ip, Math.floor((NOFILE - 50) / 4));
  });

  it('refuses WebSockets with a clean 503 at max_connections, ops answer, sockets stop before EMFILE', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await getVia(agent, `${url}/healthz`)).status, 200);

    const perIp = limits.max_connections_per_ip - 2;
    let opened = 0;
    let refusal: { status: number; body: string } | undefined;
    for (let i = 0; i < NOFILE && !refusal; i++) {
      const r = await openWs(
        `${url.replace('http', 'ws')}/ws?site=demo`,
        `127.0.0.${2 + Math.floor(i / perIp)}`,
      );
      if (r instanceof WebSocket) {
        sockets.push(r);
        opened++;
      } else refusal = r;
    }
    assert.equal(opened, limits.max_connections);
    assert.equal(refusal?.status, 503);
    assert.match(refusal?.body ?? '', /server has too many connections/);

    // WebSockets are full; plain HTTP on new connections still gets through, ops endpoints included.
    for (const path of ['/healthz', '/readyz', '/stats', '/metrics']) {
      const r = await get(`${url}${path}`, { authorization: `Bearer ${KEY}` });
      assert.equal(r.status, 200, path);
    }

    // Silent sockets from other addresses fill what is left; the next one is refused at accept.
    let answer: string | undefined;
    for (let i = 0; i < NOFILE && answer === undefined; i++) {
      const s = await rawSocket(Number(new URL(url).port), `127.0.1.${1 + Math.floor(i / perIp)}`);
      sockets.push(s);
      const early = await Promise.race([s.closed, new Promise<undefined>((r) => setTimeout(r, 30))]);
      if (early !== undefined) answer = early;
    }
    assert.match(answer ?? '', /^HTTP\/1\.1 503 /);

    // At the socket cap the kept-alive connection still answers, /stats and /metrics included.
    for (const path of ['/healthz', '/stats', '/metrics']) {
      const r = await getVia(agent, `${url}${path}`);
      assert.equal(r.status, 200, `${path}: ${r.body.slice(0, 200)}`);
    }
    assert.equal(typeof JSON.parse((await getVia(agent, `${url}/stats`)).body).memory, 'number');
    assert.doesNotMatch(output, /EMFILE/);
    agent.destroy();
  });
});
