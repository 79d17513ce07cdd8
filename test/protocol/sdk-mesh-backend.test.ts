// MeshBackend and GatewayClient against a real server (memory engine): the backend answers,
// subscribes and publishes to a gateway client, errors carry the mesh codes, send/publish fall
// back to HTTP without a socket, and both sides come back after a server restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { configSchema } from '../../src/app/config-schema.js';
import { startServer } from '../../src/app/server.js';
import { MeshBackend } from '../../src/backend/mesh-backend.js';
import { MeshBackendError, MeshErrorCode } from '../../src/backend/mesh-error.js';
import type { QueueItem } from '../../src/backend/mesh-queue.js';
import { GatewayClient } from '../../src/client/gateway-client.js';
import type { StateChange } from '../../src/client/types.js';
import { type RestartableServer, startRestartable, until } from './sdk-fixtures.js';

const FAST = { initialMs: 20, maxMs: 200 };
const NAMESPACES = { demo: { api_keys: ['mesh-key'], client_topic: 'clients' } };

type Item = QueueItem<{ event: string; frame?: { type: string; data: string } }>;

describe('MeshBackend and GatewayClient against a real server', () => {
  let server: RestartableServer;
  const closers: { close(): Promise<void> }[] = [];
  const backend = () => {
    const m = new MeshBackend({ url: server.base, key: 'mesh-key', site: 'demo', backoff: FAST });
    closers.push(m);
    return m;
  };
  const gateway = () => {
    const g = new GatewayClient({ url: server.ws('/client?site=demo'), WebSocket, backoff: FAST });
    closers.push(g);
    return g;
  };
  before(async () => {
    server = await startRestartable({ namespaces: NAMESPACES });
  });
  after(async () => {
    for (const c of closers) await c.close();
    await server.close();
  });

  it('sends, subscribes and publishes to a gateway client, text and binary both ways', async () => {
    const mesh = backend();
    const items: Item[] = [];
    const consumer = await mesh.consume('clients', (item) => {
      items.push(item as Item);
    });
    assert.deepEqual(consumer.topics, ['clients']);
    const client = gateway();
    const frames: (string | ArrayBuffer)[] = [];
    client.on('message', (d) => frames.push(d));
    await client.connect();
    await until(() => items.some((i) => i.data.event === 'handshake'), 'the handshake item');
    const id = items[0]!.clientId;

    await mesh.send(id, { hello: 1 });
    await mesh.send(id, new Uint8Array([1, 2, 3]), { binary: true });
    await mesh.setContextValue(id, 'user_id', 'ann');
    await mesh.subscribe(id, 'room');
    assert.deepEqual(await mesh.publish('room', 'to the room'), { delivered: 1, failed: 0 });
    await until(() => frames.length === 3, 'three frames');
    assert.equal(frames[0], '{"hello":1}');
    assert.deepEqual([...new Uint8Array(frames[1] as ArrayBuffer)], [1, 2, 3]);
    assert.equal(frames[2], 'to the room');

    client.send('typed');
    client.send(new Uint8Array([9, 8]));
    await until(() => items.filter((i) => i.data.event === 'message').length === 2, 'two message items');
    const [text, bin] = items.filter((i) => i.data.event === 'message');
    assert.deepEqual(text!.data.frame, { type: 'text', data: 'typed', finish: true });
    assert.equal((text!.data as { context?: unknown }).context !== undefined, true);
    assert.equal(bin!.data.frame!.type, 'binary');
    assert.deepEqual([...Buffer.from(bin!.data.frame!.data, 'base64')], [9, 8]);
    await mesh.unsubscribe(id, 'room');
    assert.deepEqual(await mesh.publish('room', 'nobody'), { delivered: 0, failed: 0 });
    await consumer.stop();
  });

  it('rejects with MeshBackendError carrying the mesh code', async () => {
    const mesh = backend();
    await mesh.connect();
    await assert.rejects(mesh.send('123', 'x'), (e: unknown) => {
      assert.ok(e instanceof MeshBackendError);
      assert.equal(e.kind, 'mesh');
      assert.equal(e.code, MeshErrorCode.sendFailed);
      return true;
    });
    await assert.rejects(mesh.subscribe('123', 'a'), { kind: 'mesh', code: MeshErrorCode.callFailed });
    await assert.rejects(mesh.publish('', 'x'), { code: MeshErrorCode.invalidParams });
    // A topic this backend already consumes is refused before anything is sent.
    const iterator = mesh.pop('jobs');
    await assert.rejects(
      mesh.consume('jobs', () => undefined),
      { kind: 'usage' },
    );
    await iterator.stop();
  });

  it('refuses a wrong key or site at once, with the HTTP status', async () => {
    const wrong = new MeshBackend({ url: server.base, key: 'nope', site: 'demo' });
    await assert.rejects(wrong.connect(), { kind: 'refused', code: 401 });
    assert.equal(wrong.state, 'closed');
    const nowhere = new MeshBackend({ url: server.base, key: 'mesh-key', site: 'nowhere' });
    await assert.rejects(
      nowhere.consume('clients', () => undefined),
      { kind: 'refused', code: 404 },
    );
  });

  it('sends and publishes over HTTP when it has no socket', async () => {
    const consumer = backend();
    const items: Item[] = [];
    const consuming = await consumer.consume('clients', (item) => {
      items.push(item as Item);
    });
    const client = gateway();
    const frames: (string | ArrayBuffer)[] = [];
    client.on('message', (d) => frames.push(d));
    await client.connect();
    await until(() => items.length > 0, 'the handshake item');
    const id = items[0]!.clientId;
    await consumer.subscribe(id, 'news');

    const httpOnly = new MeshBackend({ url: server.base, key: 'mesh-key', site: 'demo' });
    assert.equal(httpOnly.state, 'idle');
    await httpOnly.send(id, 'over http');
    assert.deepEqual(await httpOnly.publish('news', { n: 1 }), { delivered: 1, failed: 0 });
    await assert.rejects(httpOnly.send('123', 'x'), { kind: 'mesh', code: MeshErrorCode.sendFailed });
    assert.equal(httpOnly.state, 'idle', 'no socket was opened for that');
    await until(() => frames.length === 2, 'both frames');
    assert.deepEqual(frames, ['over http', '{"n":1}']);
    const badKey = new MeshBackend({ url: server.base, key: 'nope', site: 'demo' });
    await assert.rejects(badKey.publish('news', 1), { kind: 'refused', code: 401 });
    await consuming.stop();
    await client.close();
  });

  it('both come back after a server restart: the backend pops again, the gateway client reopens', async () => {
    const mesh = backend();
    const states: StateChange[] = [];
    mesh.on('state', (s) => states.push(s));
    const texts: string[] = [];
    const iterator = mesh.pop<{ event: string; frame?: { data: string } }>('clients');
    const reading = (async () => {
      for await (const item of iterator) if (item.data.frame) texts.push(item.data.frame.data);
    })();
    const client = gateway();
    let opens = 0;
    client.on('open', () => {
      opens++;
      client.send(`hello ${opens}`);
    });
    await client.connect();
    await until(() => texts.includes('hello 1'), 'the first frame');
    await server.restart();
    await until(() => texts.includes('hello 2'), 'the frame sent after the reopen');
    assert.ok(states.some((s) => s.state === 'reconnecting' && s.code === 1012));
    assert.equal(opens, 2);
    await iterator.stop();
    await reading;
  });
});

describe('MeshBackend node discovery', () => {
  it('asks GET /v1/nodes and connects to a listed node, not to the URL it was given', async () => {
    const logger = pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' });
    const start = (listen: Record<string, unknown>) =>
      startServer(
        configSchema.parse({ namespaces: NAMESPACES, listen: { host: '127.0.0.1', port: 0, ...listen } }),
        {
          logger,
        },
      );
    // `target` holds the gateway client; `entry` only answers discovery, naming `target` as itself.
    const target = await start({});
    const entry = await start({ advertise_address: `127.0.0.1:${target.port}` });
    const mesh = new MeshBackend({ url: entry.url, key: 'mesh-key', site: 'demo', discover: true });
    const client = new GatewayClient({ url: `ws://127.0.0.1:${target.port}/client?site=demo`, WebSocket });
    try {
      const items: Item[] = [];
      await mesh.consume('clients', (item) => {
        items.push(item as Item);
      });
      await client.connect();
      await until(() => items.length > 0, 'the handshake of a client of the discovered node');
      assert.equal(items[0]!.data.event, 'handshake');
      assert.equal([...entry.hub.localConnections()].length, 0, 'nothing connected to the entry node');
    } finally {
      await client.close();
      await mesh.close();
      await entry.close();
      await target.close();
    }
  });
});
