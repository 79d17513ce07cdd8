import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { stopChild, track } from '../helpers/children.js';
import { freePort, redisServerAvailable } from '../helpers/redis-procs.js';

/**
 * The Redis the tests use: scripts/run-tests.mjs starts a private redis-server and passes its URL,
 * or passes on an explicit SWITCHBOARD_TEST_REDIS_URL. Never a guessed 127.0.0.1:6379: a machine's
 * own Redis may be shared or absent, so tests only ever touch their own prefix of the one named.
 */
export const REDIS_URL = testRedisUrl();

function testRedisUrl(): string {
  const url = process.env.SWITCHBOARD_TEST_REDIS_URL;
  if (!url) {
    throw new Error(
      'SWITCHBOARD_TEST_REDIS_URL is not set: run the tests with `node scripts/run-tests.mjs` (it starts a private redis-server) or set it to a Redis the tests may use',
    );
  }
  return url;
}

/** Delete every key under `prefix` (SCAN + DEL; never FLUSHDB on a shared Redis). */
export async function deleteRedisPrefix(prefix: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// ---- real server processes -----------------------------------------------------------------

export const SITE = {
  name: 'demo',
  secret: 'site-secret',
  postSecret: 'post-secret',
  apiKey: 'mesh-key',
} as const;

export interface NodeProcess {
  nodeId: number;
  url: string;
  wsUrl(pathAndQuery: string): string;
  /** SIGKILL, as a crash would: no shutdown, no lease release. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit (graceful shutdown). */
  stop(): Promise<void>;
}

/** Where clients reach a server: one node, or the shared port of `serve --workers`. */
export type Endpoint = Pick<NodeProcess, 'url' | 'wsUrl'>;

export const MAIN = join(process.cwd(), 'dist/src/cli/main.js');

/** The config every test node runs with: engine redis under `prefix`, the SITE namespace. */
export function nodeConfig(options: {
  nodeId: number;
  prefix: string;
  redisUrl?: string;
  /** Extra engine keys (Sentinel, Cluster), merged over `{type: redis, url, prefix}`. */
  engine?: Record<string, unknown>;
  /** Namespace of the chat rooms (default: the server's own default). */
  chatNamespace?: string;
  /** More namespaces beside SITE (a Pusher app, say). */
  namespaces?: Record<string, unknown>;
}): object {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    engine: { type: 'redis', url: options.redisUrl ?? REDIS_URL, prefix: options.prefix, ...options.engine },
    node_id: options.nodeId,
    limits: { max_messages_per_second: 100_000, max_messages_burst: 100_000, shutdown_timeout_ms: 2000 },
    namespaces: {
      [SITE.name]: {
        secret: SITE.secret,
        post_secret: SITE.postSecret,
        token_ttl: 300,
        history_size: 1000,
        api_keys: [SITE.apiKey],
        client_topic: 'clients',
        topic_size: 20_000,
      },
      ...options.namespaces,
    },
    ...(options.chatNamespace ? { chat: { namespace: options.chatNamespace } } : {}),
  };
}

/**
 * Start `switchboard serve` as a child process with engine redis, on a free loopback port.
 * Resolves once the node logged that it listens (the engine has started by then).
 */
export async function startNode(options: {
  nodeId: number;
  prefix: string;
  redisUrl?: string;
  engine?: Record<string, unknown>;
  dir: string;
  /** Namespace of the chat rooms (default: the server's own default). */
  chatNamespace?: string;
  namespaces?: Record<string, unknown>;
}): Promise<NodeProcess> {
  const config = nodeConfig(options);
  const file = join(options.dir, `node-${options.nodeId}.yaml`);
  writeFileSync(file, JSON.stringify(config)); // JSON is YAML
  const child = track(
    spawn(process.execPath, [MAIN, 'serve', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SWITCHBOARD_CONFIG: '' },
    }),
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node ${options.nodeId} did not start:\n${output}`)),
      20_000,
    );
    const onLine = (line: string) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'switchboard listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    };
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${options.nodeId} exited with ${code}:\n${output}`));
    });
  });
  child.stdout!.resume();
  return {
    nodeId: options.nodeId,
    url,
    wsUrl: (p) => `${url.replace(/^http/, 'ws')}${p}`,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: () => stopChild(child, exited),
  };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sb-cluster-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// ---- site clients ----------------------------------------------------------------------------

export const subAuth = (channel: string, token: string) =>
  createHmac('sha256', SITE.secret)
    .update(channel + token)
    .digest('base64');

export async function siteToken(node: Endpoint): Promise<string> {
  const res = await fetch(`${node.url}/token?site=${SITE.name}`);
  const body = (await res.json()) as { token: string };
  return body.token;
}

/** A function posting to `channel` through `POST /post` of `node`; resolves with the HTTP status. */
export async function sitePoster(
  node: Endpoint,
): Promise<(channel: string, message: unknown) => Promise<number>> {
  const token = await siteToken(node);
  const auth = createHmac('sha256', SITE.postSecret).update(token).digest('base64');
  return async (channel, message) => {
    const res = await fetch(`${node.url}/post?site=${SITE.name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel, message, token, auth }),
    });
    await res.text();
    return res.status;
  };
}

/** A site WebSocket subscriber that records every channel message it gets. */
export class SiteSubscriber {
  readonly messages: { ord: number; body: unknown }[] = [];
  readonly closed: Promise<void>;
  /** The close code once the socket closed (1006: cut without a close frame). */
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.once('close', (code: number) => {
        this.closeCode = code;
        resolve();
      }),
    );
  }

  /** Connect to `node`, subscribe to `channel` with `after`, resolve once the subscribe is ok. */
  static async open(node: Endpoint, channel: string, after = 0, token?: string): Promise<SiteSubscriber> {
    const tok = token ?? (await siteToken(node));
    const ws = new WebSocket(node.wsUrl(`/ws?site=${SITE.name}`), { perMessageDeflate: false });
    const sub = new SiteSubscriber(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const ok = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to subscribe')), 5000);
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as {
          response?: string;
          message?: string;
          ord?: number;
          body?: unknown;
        };
        if (frame.response !== undefined) {
          clearTimeout(timer);
          if (frame.response === 'ok') resolve();
          else reject(new Error(`subscribe refused: ${JSON.stringify(frame.body)}`));
        } else if (frame.message === channel) {
          sub.messages.push({ ord: frame.ord!, body: frame.body });
        }
      });
    });
    ws.send(
      JSON.stringify({
        request: 'subscribe',
        body: { channel, after, token: tok, auth: subAuth(channel, tok) },
      }),
    );
    await ok;
    return sub;
  }

  get ords(): number[] {
    return this.messages.map((m) => m.ord);
  }

  get lastOrd(): number {
    return this.messages.at(-1)?.ord ?? 0;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** Poll `cond` until it holds. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Assert-free check that ords are +1 each. */
export function contiguous(ords: number[]): boolean {
  return ords.every((o, i) => i === 0 || o === ords[i - 1]! + 1);
}

// ---- a throwaway Redis (never the shared one) for failure tests --------------------------------

export { redisServerAvailable };

/** A private redis-server without persistence on a free port; `kill()` and `start()` at will. */
export class ThrowawayRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  /** `extraArgs` are added to redis-server's command line (e.g. `--enable-debug-command yes`). */
  static async create(extraArgs: string[] = []): Promise<ThrowawayRedis> {
    const r = new ThrowawayRedis(await freePort(), extraArgs);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = track(
      spawn(
        'redis-server',
        [
          '--port',
          String(this.port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          ...this.extraArgs,
        ],
        {
          stdio: 'ignore',
        },
      ),
    );
    const deadline = Date.now() + 5000;
    for (;;) {
      const probe = new Redis(this.url, {
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => undefined); // refused until the server listens: expected
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        probe.disconnect();
      }
    }
  }

  /** SIGSTOP: the server hangs with every connection open, as a paused VM would. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`: it goes on with whatever was sent to it meanwhile. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
