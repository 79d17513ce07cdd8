/**
 * `/stats` and the admin API show the whole cluster: three in-process servers on the
 * machine's Redis, each asked about the others' connections, subscriptions per namespace and
 * subscribers per channel; then a node that hangs and a node killed with SIGKILL (its registration
 * still live) are listed as not answering while the others' answers still arrive.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ControlReply } from '../../src/engines/engine.js';
import { RedisEngine } from '../../src/engines/redis/redis-engine.js';
import { ADMIN, BOSS, CONFIG } from '../helpers/admin-fixtures.js';
import { get, post } from '../helpers/http.js';
import { waitFor } from '../helpers/redis-procs.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import {
  deleteRedisPrefix,
  type NodeProcess,
  REDIS_URL,
  removeDir,
  startNode,
  tempDir,
  until,
} from './helpers.js';

const prefix = `sbtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
/** Short, so the nodes that never answer cost little; the bound is the engine's, not the test's. */
const CONTROL_TIMEOUT_MS = 400;

type Server = Awaited<ReturnType<typeof startTestServer>>;
interface NsRow {
  name: string;
  rocket_path: string | null;
  connections: number;
  subscriptions: number;
  nodes?: { node: number; connections: number; subscriptions: number }[];
  missing?: { node: number; error: string }[];
}
interface Conn {
  id: string;
  namespace: string;
  node: number;
}

describe('cluster: /stats and the admin API cover every node', () => {
  const servers: Server[] = [];
  const clients: RawClient[] = [];
  let a: Server;
  let b: Server;
  let c: Server;

  /** A site connection to `server`, and its id as that node's hub knows it. */
  const connect = async (server: Server, ns: string) => {
    const known = new Set(Array.from(server.hub.localConnections(), (c) => c.id));
    const client = await RawClient.connect(server.wsUrl(`/ws?site=${ns}`));
    clients.push(client);
    await until(() => server.hub.connectionCount > known.size, 'the connection registered');
    const id = Array.from(server.hub.localConnections(), (c) => c.id).find((k) => !known.has(k))!;
    return { client, id };
  };

  before(async () => {
    for (const nodeId of [301, 302, 303]) {
      const engine = new RedisEngine({
        url: REDIS_URL,
        prefix,
        nodeId,
        controlTimeoutMs: CONTROL_TIMEOUT_MS,
      });
      servers.push(await startTestServer(CONFIG, { engine }));
    }
    [a, b, c] = servers as [Server, Server, Server];
    await connect(a, 'demo');
    await connect(a, 'other');
    await connect(b, 'demo');
    await connect(b, 'demo');
    await connect(c, 'other');
  });
  after(async () => {
    await Promise.all(clients.map((cl) => cl.close()));
    await Promise.all(servers.map((s) => s.close()));
    await deleteRedisPrefix(prefix);
  });

  it('/stats on any node sums every node and lists each one', async () => {
    for (const server of [a, c]) {
      const r = await get(`${server.url}/stats`, ADMIN);
      assert.equal(r.status, 200);
      const s = r.body;
      assert.equal(s.node_id, server.hub.nodeId, 'top-level figures stay this node’s');
      assert.equal(s.connections.total, server.hub.connectionCount);
      assert.equal(typeof s.uptime, 'number');
      assert.deepEqual(s.missing, []);
      assert.deepEqual(
        s.nodes.map((n: { node: number; connections: { total: number } }) => [n.node, n.connections.total]),
        [
          [301, 2],
          [302, 2],
          [303, 1],
        ],
      );
      assert.equal(s.cluster.nodes, 3);
      assert.deepEqual(s.cluster.connections, {
        total: 5,
        by_dialect: { site: 5 },
        by_namespace: { demo: 3, other: 2 },
      });
    }
    const admin = await get(`${b.url}/admin/api/stats`, ADMIN);
    assert.equal(admin.body.node_id, 302);
    assert.equal(admin.body.connections.total, 2);
    assert.equal(admin.body.cluster.connections.total, 5);
  });

  it('lists every node’s connections with their node; local=1 and a manager narrow it', async () => {
    const all = await get<Conn[]>(`${b.url}/admin/api/connections`, ADMIN);
    assert.equal(all.status, 200);
    const expected = servers.flatMap((s) =>
      [...s.hub.localConnections()].map((conn) => ({
        id: conn.id,
        namespace: conn.namespace,
        node: s.hub.nodeId,
      })),
    );
    const byId = (x: Conn, y: Conn) => x.id.localeCompare(y.id);
    assert.deepEqual(
      all.body.map(({ id, namespace, node }) => ({ id, namespace, node })).sort(byId),
      expected.sort(byId),
    );

    const local = await get<Conn[]>(`${b.url}/admin/api/connections?local=1`, ADMIN);
    assert.deepEqual(
      local.body.map((x) => x.node),
      [302, 302],
    );

    const managed = await get<Conn[]>(`${c.url}/admin/api/connections`, BOSS);
    assert.equal(managed.status, 200);
    assert.deepEqual(managed.body.map((x) => x.namespace).sort(), ['demo', 'demo', 'demo']);
    assert.deepEqual([...new Set(managed.body.map((x) => x.node))].sort(), [301, 302]);
  });

  it('shows and kicks a connection held by another node; a manager reaches only its namespace', async () => {
    const mine = await connect(a, 'demo');
    const theirs = await connect(a, 'other');
    const shown = await get(`${c.url}/admin/api/connections/${mine.id}`, BOSS);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.node, 301);
    assert.equal(shown.body.namespace, 'demo');
    assert.equal((await get(`${c.url}/admin/api/connections/${theirs.id}`, BOSS)).status, 404);

    const refused = await post(`${c.url}/admin/api/connections/${theirs.id}/disconnect`, {}, BOSS);
    assert.equal(refused.status, 404, 'another namespace’s connection on another node');
    const kicked = await post(`${c.url}/admin/api/connections/${mine.id}/disconnect`, { code: 4001 }, BOSS);
    assert.equal(kicked.status, 200);
    assert.equal((await mine.client.closed).code, 4001);
    await post(`${c.url}/admin/api/connections/${theirs.id}/disconnect`, {}, ADMIN);
    assert.equal((await theirs.client.closed).code, 1000);
    await until(() => a.hub.connectionCount === 2, 'the kicked connections gone from A');
  });

  it('sums connections and subscriptions per namespace and subscribers per channel over the nodes', async () => {
    // Before: A holds demo + other, B demo + demo, C other; none subscribed to anything.
    const onA = await connect(a, 'demo');
    const onB = await connect(b, 'demo');
    const subscribe = (id: string, channels: string[]) =>
      post(`${c.url}/admin/api/connections/${id}/subscribe`, { channels }, ADMIN);
    assert.equal((await subscribe(onA.id, ['news', 'sport'])).status, 200);
    assert.equal((await subscribe(onB.id, ['news'])).status, 200);

    // C holds no demo connection at all: everything it reports for demo is the others'.
    const r = await get<NsRow[]>(`${c.url}/admin/api/namespaces`, ADMIN);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-switchboard-missing-nodes'), null);
    const demo = r.body.find((n) => n.name === 'demo')!;
    assert.deepEqual([demo.connections, demo.subscriptions], [5, 3]);
    assert.deepEqual(demo.nodes, [
      { node: 301, connections: 2, subscriptions: 2 },
      { node: 302, connections: 3, subscriptions: 1 },
      { node: 303, connections: 0, subscriptions: 0 },
    ]);
    assert.deepEqual(demo.missing, []);
    assert.equal(demo.rocket_path, '/demo', 'the existing fields are still there');
    const other = r.body.find((n) => n.name === 'other')!;
    assert.deepEqual([other.connections, other.subscriptions], [2, 0]);

    const local = await get<NsRow[]>(`${b.url}/admin/api/namespaces?local=1`, ADMIN);
    const localDemo = local.body.find((n) => n.name === 'demo')!;
    assert.deepEqual([localDemo.connections, localDemo.subscriptions], [3, 1]);
    assert.equal(localDemo.nodes, undefined, '?local=1 asks no other node');

    const managed = await get<NsRow[]>(`${c.url}/admin/api/namespaces`, BOSS);
    assert.equal(managed.status, 200);
    assert.deepEqual(
      managed.body.map((n) => [n.name, n.connections, n.subscriptions]),
      [['demo', 5, 3]],
      'a manager sees its own namespace, over every node',
    );

    const subscribers = async (server: Server, query = '', headers = ADMIN) => {
      const list = await get<{ name: string; subscribers: number }[]>(
        `${server.url}/admin/api/namespaces/demo/channels${query}`,
        headers,
      );
      assert.equal(list.status, 200);
      return Object.fromEntries(list.body.map((ch) => [ch.name, ch.subscribers]));
    };
    assert.deepEqual(await subscribers(c), { news: 2, sport: 1 });
    assert.deepEqual(await subscribers(c, '', BOSS), { news: 2, sport: 1 });
    assert.deepEqual(await subscribers(a, '?local=1'), { news: 1, sport: 1 });
    assert.deepEqual(await subscribers(b, '?local=1'), { news: 1 });
    assert.deepEqual(await subscribers(c, '?local=1'), {});
  });

  it('/admin/api/stats counts the channels made through every node, the dashboard’s cheap way', async () => {
    const fresh = async () => (await get(`${b.url}/stats?local=1`, ADMIN)).body.channels as number;
    const before = await fresh();
    await a.hub.publish('demo', 'made-on-a', { data: 1 });
    await c.hub.publish('other', 'made-on-c', { data: 2 });
    assert.equal(await fresh(), before + 2, '/stats counts afresh, whichever node made them');
    // /admin/api/stats answers a count at most a few seconds old: it catches up.
    let polled = -1;
    await waitFor('the polled channel count to include both channels', async () => {
      polled = (await get(`${b.url}/admin/api/stats`, ADMIN)).body.channels;
      return polled === before + 2;
    });
    assert.equal(polled, before + 2);
  });

  describe('with a node that hangs and a node killed with SIGKILL', () => {
    let dir: string;
    let killed: NodeProcess;
    let hung: RedisEngine;

    before(async () => {
      dir = tempDir();
      killed = await startNode({ nodeId: 305, prefix, dir });
      await killed.kill9(); // its registration outlives it until the lease expires
      hung = new RedisEngine({ url: REDIS_URL, prefix, nodeId: 304 });
      await hung.start({
        onPublication: () => ({ delivered: 0, failed: 0 }),
        onControl: () => new Promise<ControlReply>(() => undefined), // never answers
      });
    });
    after(async () => {
      await hung.close();
      removeDir(dir);
    });

    it('answers with the live nodes and lists the others as not answering', async () => {
      assert.deepEqual(await a.hub.clusterNodes(), [301, 302, 303, 304, 305]);
      const r = await get(`${a.url}/stats`, ADMIN);
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.nodes.map((n: { node: number }) => n.node),
        [301, 302, 303],
      );
      assert.equal(r.body.cluster.connections.total, 7);
      const missing = r.body.missing as { node: number; error: string }[];
      assert.deepEqual(
        missing.map((m) => m.node),
        [304, 305],
      );
      assert.match(missing[0]!.error, /did not answer within/);
      assert.match(missing[1]!.error, /not part of the cluster/);

      const list = await get<Conn[]>(`${b.url}/admin/api/connections`, ADMIN);
      assert.equal(list.status, 200);
      assert.equal(list.body.length, 7);
      assert.equal(list.headers.get('x-switchboard-missing-nodes'), '304,305');
    });

    it('lists them as missing from the namespace and channel figures too', async () => {
      const r = await get<NsRow[]>(`${a.url}/admin/api/namespaces`, ADMIN);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-switchboard-missing-nodes'), '304,305');
      const demo = r.body.find((n) => n.name === 'demo')!;
      assert.deepEqual([demo.connections, demo.subscriptions], [5, 3], 'the answering nodes’ sum');
      assert.deepEqual(
        demo.nodes!.map((n) => n.node),
        [301, 302, 303],
      );
      assert.deepEqual(
        demo.missing!.map((m) => m.node),
        [304, 305],
      );
      assert.match(demo.missing![0]!.error, /did not answer within/);

      const channels = await get(`${a.url}/admin/api/namespaces/demo/channels`, ADMIN);
      assert.equal(channels.status, 200);
      assert.equal(channels.headers.get('x-switchboard-missing-nodes'), '304,305');
      assert.equal(channels.body.find((ch: { name: string }) => ch.name === 'news').subscribers, 2);
    });
  });
});
