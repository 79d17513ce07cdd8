// RocketClient against a real server: authentication, events by name, broadcast and trigger
// with promise results, the server's error ids on ClientError, and a server restart after which
// the client authenticates and subscribes again by itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { runWorker } from '../../examples/rocket-worker.js';
import { ClientError } from '../../src/client/client-error.js';
import { RocketClient } from '../../src/client/rocket-client.js';
import type { StateChange } from '../../src/client/types.js';
import { RawClient } from '../helpers/ws-client.js';
import { APP_KEY, ROCKET_NAMESPACES } from './rocket-fixtures.js';
import { type RestartableServer, startRestartable, until, within } from './sdk-fixtures.js';

const FAST = { initialMs: 20, maxMs: 200 };

describe('RocketClient against a real server', () => {
  let server: RestartableServer;
  const clients: RocketClient[] = [];
  const client = (user: string, secret: string) => {
    const c = new RocketClient({
      url: server.ws('/app'),
      WebSocket,
      credentials: { user, secret },
      backoff: FAST,
    });
    clients.push(c);
    return c;
  };
  before(async () => {
    server = await startRestartable({ namespaces: ROCKET_NAMESPACES });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await server.close();
  });

  it('authenticates, dispatches broadcasts by event name, and resolves broadcast and trigger', async () => {
    const reader = client('reader', 'r');
    const writer = client('writer', 'w');
    const users: string[] = [];
    reader.on('authenticated', (u) => users.push(u));
    await reader.connect();
    assert.equal(reader.user, 'reader');
    assert.deepEqual(users, ['reader']);

    const hellos: unknown[] = [];
    const all: string[] = [];
    const sub = await reader.subscribe('news', (_data, e) => all.push(e.event));
    sub.bind('hello', (data) => hellos.push(data));
    assert.equal(sub.active, true);
    await writer.subscribe('news');
    await writer.broadcast('news', 'hello', { x: 1 });
    await writer.broadcast('news', 'bye');
    await until(() => all.length === 2, 'both broadcasts');
    assert.deepEqual(hellos, [{ x: 1 }]);
    assert.deepEqual(all, ['hello', 'bye']);

    const worker = await runWorker({ url: server.base, key: APP_KEY, site: 'app' });
    try {
      const replies: unknown[] = [];
      writer.on('message', (m) => replies.push(m));
      await writer.trigger('resize', { w: 640 });
      await until(() => replies.length === 1, 'the worker’s answer');
      assert.deepEqual(replies, [{ reply: { event: 'resize', user: 'writer', data: { w: 640 } } }]);
    } finally {
      await worker.close();
    }
  });

  it('rejects with the server’s error id and keeps working', async () => {
    const reader = client('reader', 'r');
    const err = await reader.broadcast('news', 'x').then(
      () => assert.fail('a READ user may not broadcast'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ClientError);
    assert.equal(err.kind, 'server');
    assert.equal(err.code, 'ACCESS_DENIED');
    await assert.rejects(reader.trigger('x'), { code: 'ACCESS_DENIED' });
    await assert.rejects(reader.subscribe('\u0001bad'), { kind: 'server', code: 'INVALID_CHANNEL_NAME' });
    const sub = await reader.subscribe('still-fine');
    assert.equal(sub.active, true);

    const wrong = client('reader', 'not-the-secret');
    await assert.rejects(wrong.connect(), { kind: 'server', code: 'INVALID_CREDENTIALS' });
    await assert.rejects(wrong.subscribe('news'), { code: 'ACCESS_DENIED' }, 'still anonymous');
  });

  it('authenticates and resubscribes by itself after a server restart', async () => {
    const reader = client('reader', 'r');
    const states: StateChange[] = [];
    reader.on('state', (s) => states.push(s));
    const got: unknown[] = [];
    await reader.subscribe('alerts', (data) => got.push(data));
    await reader.subscribe('other', () => undefined);

    await server.restart();
    await until(() => states.some((s) => s.state === 'reconnecting' && s.code === 1012), 'the 1012 close');
    await until(() => reader.state === 'connected' && reader.user === 'reader', 'the re-authentication');

    // A raw writer after the restart: the broadcast reaches the reader only if it subscribed again.
    const raw = await RawClient.connect(server.ws('/app'));
    try {
      raw.send({ authenticate: { user: 'writer', secret: 'w' } });
      assert.deepEqual(await raw.next(), { authenticated: 'writer' });
      await until(() => reader.state === 'connected', 'connected');
      // Wait until the server holds the resubscription (the memory engine lost every channel).
      for (let i = 0; got.length === 0 && i < 200; i++) {
        raw.send({ broadcast: { event: 'ping', channel: 'alerts', data: i } });
        const reply = await raw.next();
        if (reply.err !== undefined) assert.equal(reply.err, 'CHANNEL_NOT_FOUND');
        await new Promise((r) => setTimeout(r, 10));
      }
      await within(
        until(() => got.length > 0, 'a broadcast after the restart'),
        'a broadcast after the restart',
      );
      assert.equal(typeof got[0], 'number');
    } finally {
      await raw.close();
    }
  });

  it('rejects pending requests with closed after close(), and refuses new ones', async () => {
    const c = client('writer', 'w');
    await c.connect();
    await c.close();
    assert.equal(c.state, 'closed');
    await assert.rejects(c.broadcast('news', 'x'), { kind: 'closed' });
    await assert.rejects(c.subscribe('news'), { kind: 'closed' });
  });
});
