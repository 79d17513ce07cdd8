// MeshBackend on the Redis engine: 10,000 queue items consumed with the async iterator while the
// server restarts under it. The backend reconnects and pops the topic again; every item arrives
// exactly once (the items left in Redis at the restart go to the new connection).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { MeshBackend } from '../../src/backend/mesh-backend.js';
import type { StateChange } from '../../src/client/types.js';
import { RawClient } from '../helpers/ws-client.js';
import { type RestartableServer, startRestartable } from '../protocol/sdk-fixtures.js';
import { deleteRedisPrefix, REDIS_URL } from './helpers.js';

const TOTAL = 10_000;
const PRODUCERS = 4;

describe('MeshBackend across a server restart (Redis engine)', () => {
  const prefix = `sb-test-sdk-${randomUUID().slice(0, 8)}:`;
  let server: RestartableServer | undefined;
  after(async () => {
    await server?.close();
    await deleteRedisPrefix(prefix);
  });

  it('consumes 10,000 items across the reconnect, none lost, none twice', async () => {
    server = await startRestartable({
      engine: { type: 'redis', url: REDIS_URL, prefix },
      node_id: 41,
      limits: { max_messages_per_second: 100_000, max_messages_burst: 100_000 },
      namespaces: { demo: { api_keys: ['mesh-key'], client_topic: 'clients', topic_size: 20_000 } },
    });
    const srv = server;
    // Producers: gateway clients whose frames become items of the client topic.
    const producers = await Promise.all(
      Array.from({ length: PRODUCERS }, () => RawClient.connect(srv.ws('/client?site=demo'))),
    );
    for (let n = 0; n < TOTAL; n++) producers[n % PRODUCERS]!.send(`item-${n}`);
    const depth = async () =>
      (await srv.current.hub.queueStats('demo')).find((t) => t.topic === 'clients')?.depth ?? 0;
    // Every frame queued (plus one handshake item per producer) before anyone consumes.
    const deadline = Date.now() + 30_000;
    while ((await depth()) < TOTAL + PRODUCERS) {
      assert.ok(Date.now() < deadline, `only ${await depth()} items queued`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(producers.map((p) => p.close()));

    const mesh = new MeshBackend({
      url: srv.base,
      key: 'mesh-key',
      site: 'demo',
      backoff: { initialMs: 20, maxMs: 200 },
    });
    const states: StateChange[] = [];
    mesh.on('state', (s) => states.push(s));
    const seen = new Map<string, number>();
    let afterReconnect = 0;
    let closes = 0;
    let restart: Promise<void> | undefined;
    const connections = () => states.filter((s) => s.state === 'connected').length;
    try {
      for await (const item of mesh.pop<{ event: string; frame?: { data: string } }>('clients')) {
        if (item.data.event === 'close') closes++;
        if (item.data.event === 'message') {
          const text = item.data.frame!.data;
          seen.set(text, (seen.get(text) ?? 0) + 1);
          if (connections() > 1) afterReconnect++;
          if (seen.size === 3000 && restart === undefined) restart = srv.restart();
        }
        // The producers' close items were queued after every frame: once they are in, all is.
        if (closes === PRODUCERS) break;
      }
      await restart;
    } finally {
      await mesh.close();
    }
    const twice = [...seen].filter(([, count]) => count > 1).map(([text]) => text);
    assert.deepEqual(twice, [], 'no item delivered twice');
    for (let n = 0; n < TOTAL; n++) assert.equal(seen.get(`item-${n}`), 1, `item-${n} exactly once`);
    assert.ok(
      states.some((s) => s.state === 'reconnecting' && s.code === 1012),
      'the restart closed the backend’s connection with 1012',
    );
    assert.ok(afterReconnect > 0, 'items were still queued at the restart and came over the new connection');
    assert.equal(await depth(), 0, 'nothing left in the topic');
  });
});
