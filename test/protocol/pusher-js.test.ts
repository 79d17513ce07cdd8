// pusher-js 8 (npm `pusher-js`, its Node build) against the pusher dialect: connect, public,
// private and presence channels authorized by a backend written with the `pusher` SDK, server
// events, client events, presence joins and leaves, user sign-in, reconnect after a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import pusherJs from 'pusher-js';
import { configSchema } from '../../src/app/config-schema.js';
import { startServer } from '../../src/app/server.js';
import { type PusherBackend, startPusherBackend } from '../helpers/pusher-backend.js';
import { APP, PUSHER_NAMESPACES, type PusherTestServer, startPusherServer } from './pusher-fixtures.js';

// The Node build is CommonJS whose module.exports is the class itself; its types describe an ES
// module with a default export, so the import is retyped once here.
type PusherClient = import('pusher-js').default;
const PusherClient = pusherJs as unknown as typeof import('pusher-js').default;

const WAIT_MS = 5000;

/** Resolve with the first call of `bind(event)` on `target`, or fail after WAIT_MS. */
function once<T = any>(
  target: { bind(e: string, f: (d: T) => void): unknown; unbind(e: string, f: (d: T) => void): unknown },
  event: string,
  ms = WAIT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const handler = (d: T) => {
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(d);
    };
    target.bind(event, handler);
  });
}

function client(serverUrl: string, backend: PusherBackend): PusherClient {
  const { port } = new URL(serverUrl);
  return new PusherClient(APP.key, {
    cluster: '',
    wsHost: '127.0.0.1',
    wsPort: Number(port),
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: { endpoint: `${backend.url}/pusher/auth`, transport: 'ajax' },
    userAuthentication: { endpoint: `${backend.url}/pusher/user-auth`, transport: 'ajax' },
  });
}

async function connected(p: PusherClient): Promise<string> {
  if (p.connection.state !== 'connected') await once(p.connection, 'connected');
  return p.connection.socket_id;
}

describe('pusher-js (Node) against the pusher dialect', () => {
  let server: PusherTestServer;
  let backend: PusherBackend;
  const clients: PusherClient[] = [];
  const make = () => {
    const c = client(server.url, backend);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startPusherServer();
    backend = await startPusherBackend(server.url, APP);
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await backend?.close();
    await server?.close();
  });

  it('connects with a Pusher socket id and receives events triggered by the SDK', async () => {
    const p = make();
    assert.match(await connected(p), /^\d+\.\d+$/);
    const ch = p.subscribe('public-news');
    await once(ch, 'pusher:subscription_succeeded');
    const got = once(ch, 'breaking');
    await backend.sdk.trigger('public-news', 'breaking', { title: 'hello' });
    assert.deepEqual(await got, { title: 'hello' });
  });

  it('subscribes to a private channel through the auth endpoint and exchanges client events', async () => {
    const a = make();
    const b = make();
    const chA = a.subscribe('private-room');
    const chB = b.subscribe('private-room');
    await Promise.all([
      once(chA, 'pusher:subscription_succeeded'),
      once(chB, 'pusher:subscription_succeeded'),
    ]);
    const atB = once(chB, 'client-typing');
    let echoed = false;
    chA.bind('client-typing', () => {
      echoed = true;
    });
    assert.equal(chA.trigger('client-typing', { who: 'a' }), true);
    assert.deepEqual(await atB, { who: 'a' });
    // A round trip on A's own connection after the event: had it been echoed, it would be here.
    const ping = once(chA, 'after');
    await backend.sdk.trigger('private-room', 'after', {});
    await ping;
    assert.equal(echoed, false);
  });

  it('reports a refused private subscription as subscription_error with the status', async () => {
    const p = make();
    await connected(p);
    const { port } = new URL(server.url);
    // A client whose auth endpoint signs with another secret.
    const wrong = new PusherClient(APP.key, {
      cluster: '',
      wsHost: '127.0.0.1',
      wsPort: Number(port),
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: {
        endpoint: 'unused',
        transport: 'ajax',
        customHandler: (_params: unknown, callback: (e: Error | null, d: { auth: string }) => void) =>
          callback(null, { auth: `${APP.key}:${'0'.repeat(64)}` }),
      },
    });
    clients.push(wrong);
    const ch = wrong.subscribe('private-secret');
    const err = await once<{ status: number }>(ch, 'pusher:subscription_error');
    assert.equal(err.status, 401);
  });

  it('keeps presence members across connections: joins and leaves once per user', async () => {
    const a = make();
    const b1 = make();
    const b2 = make();
    backend.users.set(await connected(a), { user_id: 'ann', user_info: { name: 'Ann' } });
    backend.users.set(await connected(b1), { user_id: 'bob' });
    backend.users.set(await connected(b2), { user_id: 'bob' });
    const chA = a.subscribe('presence-desk') as any;
    await once(chA, 'pusher:subscription_succeeded');
    assert.equal(chA.members.count, 1);
    assert.deepEqual(chA.members.me, { id: 'ann', info: { name: 'Ann' } });
    const added: string[] = [];
    const removed: string[] = [];
    chA.bind('pusher:member_added', (m: { id: string }) => added.push(m.id));
    chA.bind('pusher:member_removed', (m: { id: string }) => removed.push(m.id));
    const joined = once(chA, 'pusher:member_added');
    await once(b1.subscribe('presence-desk'), 'pusher:subscription_succeeded');
    await joined;
    const second = b2.subscribe('presence-desk') as any;
    await once(second, 'pusher:subscription_succeeded');
    assert.equal(second.members.count, 2);
    b1.unsubscribe('presence-desk');
    const left = once(chA, 'pusher:member_removed');
    b2.disconnect();
    await left;
    assert.deepEqual(added, ['bob']);
    assert.deepEqual(removed, ['bob']);
    assert.equal(chA.members.count, 1);
  });

  it('signs a user in and delivers events sent to that user', async () => {
    const p = make();
    backend.users.set(await connected(p), { user_id: 'carol' });
    p.signin();
    await p.user.signinDonePromise;
    assert.equal(p.user.user_data?.id, 'carol');
    // pusher-js subscribes to the user's server channel itself after signing in.
    const got = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no user event')), WAIT_MS);
      p.user.bind('note', (d: unknown) => {
        clearTimeout(timer);
        resolve(d);
      });
    });
    const deadline = Date.now() + WAIT_MS;
    while (!(p.user as any).serverToUserChannel?.subscribed && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await backend.sdk.sendToUser('carol', 'note', { text: 'for carol' });
    assert.deepEqual(await got, { text: 'for carol' });
  });
});

describe('pusher-js reconnects after a server restart', () => {
  it('reconnects on its own and resubscribes, receiving events of the new server', async () => {
    const logger = pino({ level: 'silent' });
    const config = (port: number) =>
      configSchema.parse({ namespaces: PUSHER_NAMESPACES, listen: { host: '127.0.0.1', port } });
    let server = await startServer(config(0), { logger });
    const port = server.port;
    const backend = await startPusherBackend(server.url, APP);
    const p = client(server.url, backend);
    try {
      const first = await connected(p);
      const ch = p.subscribe('private-restart');
      await once(ch, 'pusher:subscription_succeeded');
      const down = once(p.connection, 'state_change');
      await server.close();
      await down;
      server = await startServer(config(port), { logger });
      await once(ch, 'pusher:subscription_succeeded', 20000);
      assert.notEqual(p.connection.socket_id, first);
      const got = once(ch, 'again');
      await backend.sdk.trigger('private-restart', 'again', { n: 2 });
      assert.deepEqual(await got, { n: 2 });
    } finally {
      p.disconnect();
      await backend.close();
      await server.close();
    }
  });
});
