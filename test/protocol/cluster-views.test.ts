// /stats and the admin API's cluster views on a single node (memory engine): the cluster is this
// node, so the per-node list has one entry equal to the top-level figures. The multi-node case
// is test/cluster/cluster-views.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, BOSS, CONFIG } from '../helpers/admin-fixtures.js';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

describe('cluster views on one node', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const clients: RawClient[] = [];

  before(async () => {
    server = await startTestServer(CONFIG);
    for (const ns of ['demo', 'demo', 'other']) {
      clients.push(await RawClient.connect(server.wsUrl(`/ws?site=${ns}`)));
    }
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  test('/stats keeps its top-level fields and adds this node as the whole cluster', async () => {
    const r = await get(`${server.url}/stats`, ADMIN);
    assert.equal(r.status, 200);
    const s = r.body;
    assert.equal(s.node_id, server.hub.nodeId);
    assert.equal(s.connections.total, 3);
    assert.equal(typeof s.uptime, 'number');
    assert.equal(typeof s.memory, 'number');
    assert.equal(s.nodes.length, 1);
    assert.equal(s.nodes[0].node, server.hub.nodeId);
    assert.deepEqual(s.nodes[0].connections, {
      total: 3,
      by_dialect: { site: 3 },
      by_namespace: { demo: 2, other: 1 },
    });
    assert.equal(s.cluster.nodes, 1);
    assert.equal(s.cluster.connections.total, 3);
    assert.deepEqual(s.missing, []);

    const local = await get(`${server.url}/stats?local=1`, ADMIN);
    assert.equal(local.body.connections.total, 3);
    assert.equal(local.body.nodes, undefined, 'local=1 asks no node');
  });

  test('/admin/api/stats adds cluster totals and per-node figures', async () => {
    const r = await get(`${server.url}/admin/api/stats`, ADMIN);
    assert.equal(r.status, 200);
    assert.equal(r.body.connections.total, 3);
    assert.equal(r.body.cluster.connections.total, 3);
    assert.deepEqual(
      r.body.nodes.map((n: { node: number }) => n.node),
      [server.hub.nodeId],
    );
    assert.deepEqual(r.body.missing, []);
    assert.equal(r.headers.get('x-switchboard-missing-nodes'), null);
  });

  test('/admin/api/connections lists connections with their node; a manager sees its namespace only', async () => {
    const all = await get(`${server.url}/admin/api/connections`, ADMIN);
    assert.equal(all.status, 200);
    assert.equal(all.body.length, 3);
    assert.ok(all.body.every((c: { node: number }) => c.node === server.hub.nodeId));
    const local = await get(`${server.url}/admin/api/connections?local=1&namespace=other`, ADMIN);
    assert.deepEqual(
      local.body.map((c: { namespace: string; node: number }) => [c.namespace, c.node]),
      [['other', server.hub.nodeId]],
    );
    const managed = await get(`${server.url}/admin/api/connections`, BOSS);
    assert.equal(managed.status, 200);
    assert.equal(managed.body.length, 2);
    assert.ok(managed.body.every((c: { namespace: string }) => c.namespace === 'demo'));
    const one = await get(`${server.url}/admin/api/connections/${managed.body[0].id}`, BOSS);
    assert.equal(one.body.node, server.hub.nodeId);
  });
});
