// A chat-room backend for gateway clients, written against the mesh backend API alone (seed 001
// plus an API key). It consumes the namespace's client topic with `queue.pop` and:
//   - greets every new client (handshake item) with `mesh.send`;
//   - authenticates a client by its first message `{"login": "NAME"}`: `conn.call`
//     set_context_value user_id, `conn.call` subscribe to the room, `mesh.send` a welcome,
//     `mesh.publish` `{"joined": NAME}` to the room;
//   - publishes every later message of a logged-in client to the room as `{"from", "text"}`;
//   - publishes `{"left": NAME}` when a logged-in client disconnects.
// Whether a client is logged in is read from the item's `context`, not from local state, so any
// number of copies of this backend can share the topic. Walkthrough: docs/protocol/mesh.md.
//
// Standalone (after `npm run build`):
//   MESH_URL=ws://127.0.0.1:6789 MESH_API_KEY=... MESH_SITE=default MESH_ROOM=lobby \
//     node dist/examples/mesh-backend.js
// (MESH_TOPIC overrides the client topic, default `client`. The variables are not named
// SWITCHBOARD_*: the server reads those as config overrides.)
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';

export interface BackendOptions {
  /** Server base URL: ws://host:port (http:// works too). */
  url: string;
  /** A mesh API key of the namespace (`api_keys`). */
  key: string;
  /** The namespace whose gateway clients to serve; default `default`. */
  site?: string;
  /** The namespace's `client_topic`; default `client`. */
  topic?: string;
  /** The room every logged-in client joins; default `lobby`. */
  room?: string;
  /** Who sent this first message? Return a user id, or null to refuse. Default: `{"login": NAME}`. */
  authenticate?: (firstMessage: string) => string | null;
  /** Where to report what happens; default: stdout. */
  log?: (line: string) => void;
}

export interface RunningBackend {
  /** Logins accepted so far. */
  readonly logins: number;
  close(): Promise<void>;
}

/** What a gateway client item (`queue.pop` event `p.d`) holds. */
type ClientItem =
  | { event: 'handshake'; headers: Record<string, string> }
  | { event: 'message'; frame: { type: 'text' | 'binary'; data: string }; context: Record<string, unknown> }
  | { event: 'close'; context: Record<string, unknown> };

interface MeshFrame {
  E?: { c: number; m: string } | null;
  r?: Record<string, unknown>;
  i?: number | string | null;
  e?: string;
  p?: { n: number; c: string; t: string; d: ClientItem };
}

/** The default login: a first message `{"login": "NAME"}`, NAME 1–32 characters. */
export function loginByName(firstMessage: string): string | null {
  try {
    const msg = JSON.parse(firstMessage) as { login?: unknown };
    const name = typeof msg.login === 'string' ? msg.login.trim() : '';
    return name.length > 0 && name.length <= 32 ? name : null;
  } catch {
    return null;
  }
}

/** Connect, start consuming the client topic, and resolve once the server confirmed it. */
export async function runBackend(options: BackendOptions): Promise<RunningBackend> {
  const room = options.room ?? 'lobby';
  const authenticate = options.authenticate ?? loginByName;
  const log = options.log ?? ((line: string) => process.stdout.write(`mesh-backend: ${line}\n`));
  const base = options.url.replace(/^http/, 'ws').replace(/\/+$/, '');
  const ws = new WebSocket(`${base}/ws/v1?site=${encodeURIComponent(options.site ?? 'default')}`, {
    headers: { authorization: `Bearer ${options.key}` },
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const waiting = new Map<number, { resolve: (r: MeshFrame) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let logins = 0;

  /** One request; resolves with `r`, rejects with the server's `E`. Replies come in request order. */
  const call = (m: string, p: unknown): Promise<MeshFrame> =>
    new Promise((resolve, reject) => {
      const i = nextId++;
      waiting.set(i, { resolve, reject });
      ws.send(JSON.stringify({ m, p, i }));
    });

  const onItem = async (client: string, item: ClientItem) => {
    if (item.event === 'handshake') {
      await call('mesh.send', { c: client, d: { hello: 'send {"login": "NAME"} to join' } });
      return;
    }
    const user = typeof item.context.user_id === 'string' ? item.context.user_id : undefined;
    if (item.event === 'close') {
      if (user !== undefined) await call('mesh.publish', { c: room, d: { left: user } });
      return;
    }
    if (user !== undefined) {
      // Binary frames are relayed as binary publications: the `t: "binary"` form of the API.
      const { type, data } = item.frame;
      const d = type === 'binary' ? data : { from: user, text: data };
      await call('mesh.publish', { c: room, d, t: type });
      return;
    }
    const name = item.frame.type === 'text' ? authenticate(item.frame.data) : null;
    if (name === null) {
      await call('mesh.send', { c: client, d: { error: 'log in first: send {"login": "NAME"}' } });
      return;
    }
    await call('conn.call', { c: client, f: 'set_context_value', a: ['user_id', name] });
    await call('conn.call', { c: client, f: 'subscribe', a: [room] });
    await call('mesh.send', { c: client, d: { welcome: name, room } });
    const { r } = await call('mesh.publish', { c: room, d: { joined: name } });
    logins++;
    log(`${name} (client ${client}) joined ${room}; the publication reached ${r?.s} subscriber(s)`);
  };

  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    if (text === 'pong') return;
    const frame = JSON.parse(text) as MeshFrame;
    if (frame.e === 'queue.pop' && frame.p) {
      const { c, d } = frame.p;
      onItem(c, d).catch((err: Error) => log(`item of client ${c} failed: ${err.message}`));
      return;
    }
    const pending = typeof frame.i === 'number' ? waiting.get(frame.i) : undefined;
    if (!pending) return;
    waiting.delete(frame.i as number);
    if (frame.E) pending.reject(new Error(`mesh error ${frame.E.c}: ${frame.E.m}`));
    else pending.resolve(frame);
  });
  ws.on('close', () => {
    for (const p of waiting.values()) p.reject(new Error('connection closed'));
    waiting.clear();
  });

  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', (err) => log(`socket error: ${err.message}`));
  await call('queue.pop', { t: [options.topic ?? 'client'] });
  log(
    `consuming topic "${options.topic ?? 'client'}" of site "${options.site ?? 'default'}"; room "${room}"`,
  );
  return {
    get logins() {
      return logins;
    },
    close: async () => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await closed;
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const key = process.env.MESH_API_KEY;
  if (!key) {
    process.stderr.write('mesh-backend: set MESH_API_KEY to an api_keys entry of the site\n');
    process.exit(2);
  }
  runBackend({
    url: process.env.MESH_URL ?? 'ws://127.0.0.1:6789',
    key,
    site: process.env.MESH_SITE,
    topic: process.env.MESH_TOPIC,
    room: process.env.MESH_ROOM,
  }).then(
    (backend) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void backend.close());
    },
    (err: Error) => {
      process.stderr.write(`mesh-backend: ${err.message}\n`);
      process.exit(1);
    },
  );
}
