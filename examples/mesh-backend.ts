// A chat-room backend for gateway clients, written on the backend SDK's MeshBackend
// (`switchboard/backend`, docs/client-sdk.md). It consumes the namespace's client topic with `queue.pop` and:
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
import { MeshBackend, type QueueItem } from '../src/backend/index.js';

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
  const topic = options.topic ?? 'client';
  const authenticate = options.authenticate ?? loginByName;
  const log = options.log ?? ((line: string) => process.stdout.write(`mesh-backend: ${line}\n`));
  const mesh = new MeshBackend({ url: options.url, key: options.key, site: options.site ?? 'default' });
  mesh.on('error', (err) => log(`${err.kind} error: ${err.message}`));
  let logins = 0;

  const onItem = async ({ clientId: client, data: item }: QueueItem<ClientItem>) => {
    if (item.event === 'handshake') {
      await mesh.send(client, { hello: 'send {"login": "NAME"} to join' });
      return;
    }
    const user = typeof item.context.user_id === 'string' ? item.context.user_id : undefined;
    if (item.event === 'close') {
      if (user !== undefined) await mesh.publish(room, { left: user });
      return;
    }
    if (user !== undefined) {
      // Binary frames arrive base64 and are relayed as binary publications.
      const { type, data } = item.frame;
      if (type === 'binary') await mesh.publish(room, Buffer.from(data, 'base64'), { binary: true });
      else await mesh.publish(room, { from: user, text: data });
      return;
    }
    const name = item.frame.type === 'text' ? authenticate(item.frame.data) : null;
    if (name === null) {
      await mesh.send(client, { error: 'log in first: send {"login": "NAME"}' });
      return;
    }
    await mesh.setContextValue(client, 'user_id', name);
    await mesh.subscribe(client, room);
    await mesh.send(client, { welcome: name, room });
    const { delivered } = await mesh.publish(room, { joined: name });
    logins++;
    log(`${name} (client ${client}) joined ${room}; the publication reached ${delivered} subscriber(s)`);
  };

  try {
    await mesh.consume<ClientItem>(topic, (item) =>
      onItem(item).catch((err: Error) => log(`item of client ${item.clientId} failed: ${err.message}`)),
    );
  } catch (err) {
    await mesh.close();
    throw err;
  }
  log(`consuming topic "${topic}" of site "${options.site ?? 'default'}"; room "${room}"`);
  return {
    get logins() {
      return logins;
    },
    close: () => mesh.close(),
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
