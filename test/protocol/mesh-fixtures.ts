/** Shared setup of the mesh protocol tests: a server with three namespaces and a raw backend client. */
import { after, before } from 'node:test';
import { WebSocket } from 'ws';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer, TEST_NAMESPACE } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

export const KEYS = { default: 'default-key', demo: 'mesh-key', other: 'other-key' } as const;

export type MeshTestServer = Awaited<ReturnType<typeof startTestServer>>;

export function startMeshServer(extra: Record<string, unknown> = {}): Promise<MeshTestServer> {
  return startTestServer({
    namespaces: {
      default: { api_keys: [KEYS.default] },
      demo: { ...TEST_NAMESPACE, api_keys: [KEYS.demo, 'second-demo-key'], client_topic: 'clients' },
      other: { api_keys: [KEYS.other] },
    },
    ...extra,
  });
}

const WAIT_MS = 5000;

/**
 * A backend on /ws/v1 speaking raw frames: replies are matched by `i`, `queue.pop` events and
 * anything else are kept in order. Every wait has a timeout.
 */
export class Backend {
  readonly replies: any[] = [];
  readonly events: any[] = [];
  /** Every text frame, unparsed, in arrival order. */
  readonly texts: string[] = [];
  private nextId = 1;
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      const text = data.toString('utf8');
      this.texts.push(text);
      if (!binary && text.startsWith('{')) {
        const msg = JSON.parse(text);
        if ('e' in msg) this.events.push(msg);
        else this.replies.push(msg);
      }
      for (const w of [...this.waiters]) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', () => resolve()));
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<Backend> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      const backend = new Backend(ws);
      ws.once('open', () => resolve(backend));
      ws.once('error', reject);
    });
  }

  /** Resolve once `cond` holds (checked on every frame). */
  until(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, ms);
      this.waiters.add(check);
    });
  }

  /** Send a raw text frame. */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Send `{m, p, i}` with a fresh numeric i and resolve with the reply carrying it. */
  async request(m: string, p: unknown): Promise<any> {
    const i = this.nextId++;
    this.ws.send(JSON.stringify({ m, p, i }));
    return this.replyTo(i);
  }

  async replyTo(i: unknown): Promise<any> {
    const find = () => this.replies.find((r) => r.i === i);
    await this.until(() => find() !== undefined, `the reply to i=${JSON.stringify(i)}`);
    return find();
  }

  /** Wait for at least n queue.pop events; returns their payloads' `d`. */
  async items(n: number, ms = WAIT_MS): Promise<any[]> {
    await this.until(() => this.events.length >= n, `${n} queue.pop events (have ${this.events.length})`, ms);
    return this.events.slice(0, n).map((e) => e.p.d);
  }

  /** Wait for at least n items produced by client `id`; returns their `d`, in arrival order. */
  async itemsOf(id: string, n: number, ms = WAIT_MS): Promise<any[]> {
    const mine = () => this.events.filter((e) => e.p.c === id).map((e) => e.p.d);
    await this.until(() => mine().length >= n, `${n} items of client ${id}`, ms);
    return mine();
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** Poll `cond` until it holds (for conditions over several connections). */
export async function waitFor(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function backendUrl(server: MeshTestServer, site = 'demo', key: string = KEYS.demo): string {
  return server.wsUrl(`/ws/v1?site=${site}&key=${encodeURIComponent(key)}`);
}

/** A backend already consuming `topics` of the namespace. */
export async function consumer(
  server: MeshTestServer,
  topics = ['clients'],
  site = 'demo',
): Promise<Backend> {
  const key = KEYS[site as keyof typeof KEYS];
  const b = await Backend.connect(backendUrl(server, site, key));
  const reply = await b.request('queue.pop', { t: topics });
  if (reply.E !== null) throw new Error(`queue.pop failed: ${JSON.stringify(reply.E)}`);
  return b;
}

/** A gateway client of `site` plus the client_id the backend learns from its handshake item. */
export async function gatewayClient(
  server: MeshTestServer,
  backend: Backend,
  site = 'demo',
  headers: Record<string, string> = {},
): Promise<{ client: RawClient; id: string; handshake: any }> {
  const seen = backend.events.length;
  const client = await RawClient.connect(server.wsUrl(`/client?site=${site}`), { headers });
  // Items of earlier clients (their close) may still arrive: take the first handshake after `seen`.
  const find = () => backend.events.slice(seen).find((e) => e.p.d?.event === 'handshake');
  await backend.until(() => find() !== undefined, 'the handshake item');
  const event = find();
  return { client, id: event.p.c, handshake: event };
}

/**
 * The usual suite setup, registered in the calling `describe`: a mesh server started before its
 * tests and, when `connectBackend` is given, one backend connected by it (e.g. `consumer`). The
 * backend, then the server, are closed after the suite. Without `connectBackend`, reading
 * `backend` throws.
 */
export function useMeshServer(connectBackend?: (server: MeshTestServer) => Promise<Backend>): {
  server: MeshTestServer;
  backend: Backend;
} {
  const server = lateBound<MeshTestServer>('the mesh test server');
  const backend = lateBound<Backend>('the suite backend');
  before(async () => {
    server.set(await startMeshServer());
    if (connectBackend !== undefined) backend.set(await connectBackend(server.proxy));
  });
  after(async () => {
    await backend.value?.close();
    await server.value?.close();
  });
  return { server: server.proxy, backend: backend.proxy };
}
