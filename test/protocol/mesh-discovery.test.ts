// Node discovery as the CONNMIX PHP SDK does it before it connects (connmix-php
// src/NodeSynchronizer.php loadVersion/loadNodes, src/Client.php node/newNode): GET {host}/version,
// take the first of `apis`, GET {host}/{version}/nodes, then open ws://{api_server}/ws/v1 of a
// node. The SDK sends no key; the namespace "default" trusts loopback here.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { get } from '../helpers/http.js';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer } from '../helpers/server.js';
import { Backend, type MeshTestServer } from './mesh-fixtures.js';

/** GET with a Host header of our choosing (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('mesh node discovery: GET /version and GET /v1/nodes', () => {
  const server = lateBound<MeshTestServer>('the server');
  before(async () => {
    server.set(
      await startTestServer({
        namespaces: {
          default: { trusted_networks: ['127.0.0.0/8'] },
          keyed: { api_keys: ['keyed-key'] },
        },
      }),
    );
  });
  after(() => server.value?.close());

  it('walks the SDK’s discovery and connects to the node it names', async () => {
    const { url } = server.proxy;
    const version = await get(`${url}/version`);
    assert.equal(version.status, 200);
    assert.deepEqual(version.body.apis, ['v1']);
    const apiVersion = version.body.apis[0]; // array_shift($body['apis'])
    const nodes = await get(`${url}/${apiVersion}/nodes`);
    assert.equal(nodes.status, 200);
    const port = new URL(url).port;
    assert.deepEqual(nodes.body, { nodes: [{ id: 1, api_server: `127.0.0.1:${port}` }] });
    const node = nodes.body.nodes[0]!; // $nodes[array_rand($nodes)]
    const b = await Backend.connect(`ws://${node.api_server}/ws/v1`);
    b.sendRaw('{"m":"mesh.publish","p":{"c":"user_10001","d":"{\\"broadcast\\":\\"ok\\"}"},"i":1}');
    assert.deepEqual(await b.replyTo(1), { E: null, r: { s: 0, f: 0 }, i: 1 });
    await b.close();
  });

  it('/version is public; /v1/nodes wants the namespace’s key or a trusted network', async () => {
    const { url } = server.proxy;
    assert.equal((await get(`${url}/version?site=keyed`)).status, 200);
    const refused = await get(`${url}/v1/nodes?site=keyed`);
    assert.equal(refused.status, 401);
    assert.equal(typeof refused.body.error, 'string');
    assert.equal((await get(`${url}/v1/nodes?site=keyed&key=wrong`)).status, 401);
    assert.equal((await get(`${url}/v1/nodes?site=nope`)).status, 404);
    const keyed = await get(`${url}/v1/nodes?site=keyed`, { authorization: 'Bearer keyed-key' });
    assert.equal(keyed.status, 200);
    assert.equal(keyed.body.nodes.length, 1);
  });

  it('lists the Host of the request for a node bound to a wildcard address without advertise_address', async () => {
    const hub = server.proxy.hub;
    const own = hub.advertisedAddress;
    hub.listeningAt(null); // what a 0.0.0.0 bind leaves
    try {
      const r = await getWithHost(`${server.proxy.url}/v1/nodes`, 'gw.internal:6789');
      assert.deepEqual(r.body, { nodes: [{ id: 1, api_server: 'gw.internal:6789' }] });
      const odd = await getWithHost(`${server.proxy.url}/v1/nodes`, 'bad host/with path');
      assert.deepEqual(odd.body, { nodes: [], unlisted: [1] });
    } finally {
      hub.listeningAt(own);
    }
  });
});

describe('mesh node discovery: listen.advertise_address', () => {
  const server = lateBound<MeshTestServer>('the server');
  before(async () => {
    server.set(
      await startTestServer({
        node_id: 7,
        listen: { advertise_address: 'backend-gw.internal:7000' },
        namespaces: { default: { trusted_networks: ['127.0.0.1'] } },
      }),
    );
  });
  after(() => server.value?.close());

  it('lists the configured address as the node’s api_server', async () => {
    const r = await get(`${server.proxy.url}/v1/nodes`);
    assert.deepEqual(r.body, { nodes: [{ id: 7, api_server: 'backend-gw.internal:7000' }] });
  });
});
