/** The example backend of docs/protocol/mesh.md, run against a real server. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runBackend } from '../../examples/mesh-backend.js';
import { RawClient } from '../helpers/ws-client.js';
import { KEYS, type MeshTestServer, startMeshServer, waitFor } from './mesh-fixtures.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/mesh-backend.js', import.meta.url));

describe('examples/mesh-backend', () => {
  let server: MeshTestServer;
  before(async () => {
    server = await startMeshServer();
  });
  after(() => server.close());

  it('logs clients in by their first message, subscribes them to the room and publishes to it', async () => {
    const lines: string[] = [];
    const backend = await runBackend({
      url: server.url,
      key: KEYS.demo,
      site: 'demo',
      topic: 'clients',
      room: 'lobby',
      log: (l) => lines.push(l),
    });
    const alice = await RawClient.connect(server.wsUrl('/client?site=demo'));
    assert.deepEqual(await alice.next(), { hello: 'send {"login": "NAME"} to join' });
    alice.send('hello?');
    assert.deepEqual(await alice.next(), { error: 'log in first: send {"login": "NAME"}' });
    alice.send({ login: 'alice' });
    assert.deepEqual(await alice.next(), { welcome: 'alice', room: 'lobby' });
    assert.deepEqual(
      await alice.next(),
      { joined: 'alice' },
      'subscribed: it receives the room’s publications',
    );
    const conn = [...server.hub.localConnections()].find((c) => c.context.user_id === 'alice');
    assert.ok(conn?.subscriptions.has('lobby'), 'user_id in the context, subscribed to the room');

    const bob = await RawClient.connect(server.wsUrl('/client?site=demo'));
    await bob.next();
    bob.send({ login: 'bob' });
    assert.deepEqual(await bob.next(), { welcome: 'bob', room: 'lobby' });
    assert.deepEqual(await bob.next(), { joined: 'bob' });
    assert.deepEqual(await alice.next(), { joined: 'bob' });
    bob.send('hi all');
    assert.deepEqual(await bob.next(), { from: 'bob', text: 'hi all' });
    assert.deepEqual(await alice.next(), { from: 'bob', text: 'hi all' });
    bob.sendBinary(Buffer.from([1, 2, 3]));
    const relayed = await alice.nextFrame();
    assert.equal(relayed.binary, true);
    assert.deepEqual(relayed.data, Buffer.from([1, 2, 3]));
    await bob.nextFrame();
    await bob.close();
    assert.deepEqual(await alice.next(), { left: 'bob' });

    assert.equal(backend.logins, 2);
    assert.ok(lines.some((l) => l.includes('alice') && l.includes('lobby')));
    await alice.close();
    await backend.close();
  });

  it('refuses to start with a wrong key', async () => {
    await assert.rejects(runBackend({ url: server.url, key: 'wrong', site: 'demo', log: () => {} }), /401/);
  });

  it('runs standalone with node, configured by environment variables', async () => {
    const child = spawn(process.execPath, [EXAMPLE], {
      env: {
        ...process.env,
        MESH_URL: server.url.replace(/^http/, 'ws'),
        MESH_API_KEY: KEYS.demo,
        MESH_SITE: 'demo',
        MESH_TOPIC: 'clients',
        MESH_ROOM: 'standalone',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('consuming topic'), 'the example to start', 10_000);
      const client = await RawClient.connect(server.wsUrl('/client?site=demo'));
      await client.next();
      client.send({ login: 'carol' });
      assert.deepEqual(await client.next(), { welcome: 'carol', room: 'standalone' });
      assert.deepEqual(await client.next(), { joined: 'carol' });
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('exits with status 2 and a hint when MESH_API_KEY is missing', async () => {
    const child = spawn(process.execPath, [EXAMPLE], {
      env: { ...process.env, MESH_API_KEY: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(err, /MESH_API_KEY/);
  });
});
