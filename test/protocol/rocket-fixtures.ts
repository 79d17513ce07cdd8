// Shared setup of the rocket protocol tests: two vhosts (tenant isolation), users for every
// permission combination, and small helpers that speak raw frames.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

export type RocketTestServer = Awaited<ReturnType<typeof startTestServer>>;

export const APP_KEY = 'app-mesh-key';
export const OTHER_KEY = 'other-mesh-key';

/** The app vhost's users: one per permission combination (also used by the permissions unit test). */
export const ROCKET_USERS = {
  reader: { secret: 'r', permissions: ['READ'] },
  writer: { secret: 'w', permissions: ['READ', 'WRITE'] },
  open: { secret: '', permissions: ['READ', 'WRITE'] },
  boss: { secret: 'b', permissions: ['READ', 'WRITE', 'MANAGE'] },
  pusher: { secret: 'p', permissions: ['WRITE'] },
};

export const ROCKET_NAMESPACES = {
  app: {
    // A site too, so that site subscribers can watch the same channels.
    secret: 'app-site-secret',
    post_secret: 'app-post-secret',
    api_keys: [APP_KEY],
    rocket: {
      path: '/app',
      users: ROCKET_USERS,
    },
  },
  other: {
    api_keys: [OTHER_KEY],
    rocket: {
      path: '/other',
      trigger_topic: 'jobs',
      users: { stranger: { secret: 's', permissions: ['READ', 'WRITE'] } },
    },
  },
};

export const SECRETS: Record<string, string> = {
  reader: 'r',
  writer: 'w',
  open: '',
  boss: 'b',
  pusher: 'p',
  stranger: 's',
};

export function startRocketServer(
  extra: Record<string, unknown> = {},
  options: Parameters<typeof startTestServer>[1] = {},
): Promise<RocketTestServer> {
  return startTestServer({ namespaces: ROCKET_NAMESPACES, ...extra }, options);
}

export function connect(server: RocketTestServer, path = '/app'): Promise<RawClient> {
  return RawClient.connect(server.wsUrl(path));
}

/** Authenticate and check the protocol's success reply. */
export async function login(client: RawClient, user: string, secret = SECRETS[user]): Promise<void> {
  client.send({ authenticate: { user, secret } });
  assert.deepEqual(await client.next(), { authenticated: user });
}

/** A connection authenticated as `user`. */
export async function connectAs(server: RocketTestServer, user: string, path = '/app'): Promise<RawClient> {
  const c = await connect(server, path);
  await login(c, user);
  return c;
}

export async function subscribe(client: RawClient, channel: string): Promise<void> {
  client.send({ subscribe: { channel } });
  assert.deepEqual(await client.next(), { subscribed: channel });
}

/** The next frame must be an error with this id (additional_info is optional and free text). */
export async function expectErr(client: RawClient, id: string): Promise<any> {
  const reply = await client.next();
  assert.equal(reply.err, id, `expected {"err":"${id}"}, got ${JSON.stringify(reply)}`);
  if ('additional_info' in reply) assert.equal(typeof reply.additional_info, 'string');
  return reply;
}

/** Close every client given; tolerate ones already closed. */
export async function closeAll(...clients: (RawClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.close()));
}

/**
 * The usual file setup, registered where it is called (top level or a `describe`): one rocket
 * server with ROCKET_NAMESPACES (plus `extra` config) started before the tests and closed after.
 */
export function useRocketServer(extra: Record<string, unknown> = {}): RocketTestServer {
  const server = lateBound<RocketTestServer>('the rocket test server');
  before(async () => {
    server.set(await startRocketServer(extra));
  });
  after(() => server.value?.close());
  return server.proxy;
}
