/**
 * CONNMIX's PHP SDK against a two-node cluster on real Redis, replaying its steps from its source:
 * discovery (connmix-php src/NodeSynchronizer.php: GET /version, GET /v1/nodes), one consumer per
 * listed node (src/Connector.php then/addEngine, src/V1/AsyncNodeEngine.php: ws://{api_server}/ws/v1
 * and pop('foo')), then a reply through the node that an event's `n` names (src/Client.php node($id):
 * the listed node whose id equals n), with the client id as a PHP int (src/V1/SyncNode.php meshSend).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { Backend } from '../protocol/mesh-fixtures.js';
import { deleteRedisPrefix, REDIS_URL, until } from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
type Server = Awaited<ReturnType<typeof startTestServer>>;
const CONFIG = { namespaces: { default: { trusted_networks: ['127.0.0.1'], client_topic: 'foo' } } };

describe('cluster: mesh node discovery and the SDK’s reconnect to an event’s node', () => {
  const servers: Server[] = [];
  const backends: Backend[] = [];
  before(async () => {
    for (const nodeId of [311, 312]) {
      const engine = new RedisEngine({ url: REDIS_URL, prefix, nodeId, controlTimeoutMs: 1000 });
      servers.push(await startTestServer({ ...CONFIG, node_id: nodeId }, { engine }));
    }
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all(servers.map((s) => s.close()));
    await deleteRedisPrefix(prefix);
  });

  it('lists both nodes on either node, then delivers through the node named by n', async () => {
    const [a, b] = servers as [Server, Server];
    const expected = servers.map((s) => ({ id: s.hub.nodeId, api_server: new URL(s.url).host }));
    for (const s of [a, b]) {
      const version = await get(`${s.url}/version`);
      assert.equal(version.body.apis[0], 'v1');
      assert.deepEqual((await get(`${s.url}/v1/nodes`)).body, { nodes: expected });
    }
    const { nodes } = (await get(`${a.url}/v1/nodes`)).body as { nodes: typeof expected };

    // One async engine per listed node, each consuming topic foo.
    let i = 0;
    for (const node of nodes) {
      const consumer = await Backend.connect(`ws://${node.api_server}/ws/v1`);
      backends.push(consumer);
      consumer.sendRaw(`{"m":"queue.pop","p":["foo"],"i":${++i}}`);
      assert.deepEqual(await consumer.replyTo(i), { E: null, r: { s: true }, i });
    }

    // A gateway client on node B: its handshake reaches one of the consumers, naming node B.
    const client = await RawClient.connect(b.wsUrl('/client'));
    const event = () => backends.flatMap((c) => c.events).find((e) => e.p.d?.event === 'handshake');
    await until(() => event() !== undefined, 'the handshake item');
    const { n, c } = event().p;
    assert.equal(n, b.hub.nodeId);

    // $client->node($n): the listed node whose id == n, then meshSend((int) $c, ...) there.
    const target = nodes.find((node) => node.id === n)!;
    const sync = await Backend.connect(`ws://${target.api_server}/ws/v1`);
    backends.push(sync);
    sync.sendRaw(`{"m":"mesh.send","p":{"c":${c},"d":"{\\"result\\":\\"ok\\"}"},"i":1}`);
    assert.deepEqual(await sync.replyTo(1), { E: null, r: { s: true }, i: 1 });
    assert.deepEqual(await client.nextFrame(), { data: '{"result":"ok"}', binary: false });
    await client.close();
  });
});
