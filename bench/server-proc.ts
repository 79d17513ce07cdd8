// Parent-side handles on the servers under test, each in its own process: a forked Node child
// (server-child.ts) answering requests over IPC, or a `nats-server` whose CPU time and RSS are read
// from /proc. Both expose the same `stats()` so the measuring code does not care which it has.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildKind, ChildRequest, ChildStats } from './child-protocol.js';

export interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  /** CPU time (µs) and RSS (bytes) of the server process; `gc` first where the server allows it. */
  stats(gc: boolean): Promise<ChildStats>;
  close(): Promise<void>;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export class NodeServer implements ServerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (msg: Reply) => {
      const done = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      done?.(msg);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Forks the child; `execArgv` adds Node flags (`--cpu-prof` for a profile). */
  static start(kind: ChildKind, execArgv: string[] = [], args: string[] = []): Promise<NodeServer> {
    const script = new URL('./server-child.js', import.meta.url);
    const child = fork(script, [kind, ...args], {
      execArgv: ['--expose-gc', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`server child (${kind}) exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (msg: { listening?: number }) => {
        child.off('exit', onExit);
        if (typeof msg.listening === 'number') resolve(new NodeServer(child, msg.listening));
        else reject(new Error(`unexpected first message from the server child: ${JSON.stringify(msg)}`));
      });
    });
  }

  request<T = unknown>(req: ChildRequest): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) =>
        reply.ok ? resolve(reply.result as T) : reject(new Error(reply.error)),
      );
      this.child.send({ id, ...req });
    });
  }

  stats(gc: boolean): Promise<ChildStats> {
    return this.request<ChildStats>({ op: 'stats', gc });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.request({ op: 'close' }).catch(() => this.child.kill('SIGKILL'));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const address = srv.address();
  await new Promise((r) => srv.close(r));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Where `nats-server` is, or why the NATS scenario is skipped. */
export function findNatsServer(): { ok: true; path: string } | { ok: false; reason: string } {
  try {
    const path = execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
    if (path) return { ok: true, path };
  } catch {
    // not found: fall through
  }
  return { ok: false, reason: 'nats-server is not on PATH (Debian: apt-get install nats-server)' };
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Our own nats-server on free loopback ports (never the machine's own instance on 4222). */
export class NatsServer implements ServerProcess {
  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  static async start(binary: string): Promise<NatsServer> {
    const [clientPort, wsPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-nats-'));
    const conf = join(dir, 'nats.conf');
    writeFileSync(
      conf,
      [
        `listen: "127.0.0.1:${clientPort}"`,
        `websocket { listen: "127.0.0.1:${wsPort}", no_tls: true }`,
        // Same head-room as the Switchboard child: a burst must not end in slow-consumer drops.
        'max_pending: 268435456',
        '',
      ].join('\n'),
    );
    const proc = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const deadline = Date.now() + 5000;
    while (!(await canConnect(wsPort))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`nats-server did not start: ${stderr.slice(-300)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return new NatsServer(proc, wsPort, dir);
  }

  async stats(): Promise<ChildStats> {
    return procStats(this.pid);
  }

  async close(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** CPU time (utime + stime, clock-tick resolution) and RSS of any process, from /proc. */
export function procStats(pid: number): ChildStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name start at field 3 (state); utime is field 14.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMicros: (ticks * 1e6) / CLOCK_TICKS, rss: rssKb * 1024 };
}

/** Where `redis-server` is, or why the Redis-engine scenario is skipped. */
export function findRedisServer(): { ok: true; path: string } | { ok: false; reason: string } {
  try {
    const path = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
    if (path) return { ok: true, path };
  } catch {
    // not found: fall through
  }
  return { ok: false, reason: 'redis-server is not on PATH (Debian: apt-get install redis-server)' };
}

/** Our own redis-server, no persistence, on a free loopback port (never the machine's 6379). */
export class RedisServer implements ServerProcess {
  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
  ) {}

  get pid(): number {
    return this.proc.pid ?? 0;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(binary: string): Promise<RedisServer> {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const proc = spawn(binary, args, { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    while (!(await canConnect(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error('redis-server did not start');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return new RedisServer(proc, port);
  }

  async stats(): Promise<ChildStats> {
    return procStats(this.pid);
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

/** Several server processes measured as one: CPU and RSS are summed. */
export class ClusterServer implements ServerProcess {
  constructor(readonly nodes: ServerProcess[]) {}

  get port(): number {
    return this.nodes[0]!.port;
  }

  get pid(): number {
    return this.nodes[0]!.pid;
  }

  async stats(gc: boolean): Promise<ChildStats> {
    const all = await Promise.all(this.nodes.map((n) => n.stats(gc)));
    return all.reduce((a, b) => ({
      cpuMicros: a.cpuMicros + b.cpuMicros,
      rss: a.rss + b.rss,
      heapUsed: a.heapUsed === undefined || b.heapUsed === undefined ? undefined : a.heapUsed + b.heapUsed,
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
