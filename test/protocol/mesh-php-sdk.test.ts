// The frames the official CONNMIX PHP SDK writes, replayed byte for byte. Every request is
// json_encode(['m' => $method, 'p' => $params, 'i' => AutoIncrement::id()]) (connmix-php
// src/V1/AsyncNode.php send, src/V1/Encoder.php), so:
// - client ids are PHP ints (meshSend(int $clientId, ...), connCall(int $clientId, ...)): bare JSON
//   numbers of up to 64 bits, which a double cannot hold;
// - pop(string ...$topics) sends the topics list itself as "p": {"m":"queue.pop","p":["foo"],"i":1};
// - a call without params sends PHP's empty array: "p":[];
// - json_encode escapes "/" as "\/".
// The SDK opens ws://{api_server}/ws/v1 with no key (src/V1/AsyncNodeEngine.php), so the namespace
// trusts loopback, as a CONNMIX deployment's internal network would be.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { post } from '../helpers/http.js';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer } from '../helpers/server.js';
import { Backend, gatewayClient, type MeshTestServer } from './mesh-fixtures.js';

/** The id as PHP's json_encode writes an int: its digits, unquoted. */
const int = (id: string | bigint) => String(id);
/**
 * Another integer that is the same double as `id`: a client id rounded through a double lands on
 * it. Ids are above 2^60, where doubles are 256 or more apart, so `id + 1` always shares id's
 * double when id itself is one.
 */
const twin = (id: string) => {
  const rounded = BigInt(Number(id));
  return (rounded !== BigInt(id) ? rounded : BigInt(id) + 1n).toString();
};

describe('mesh: the CONNMIX PHP SDK’s frames (numeric client ids, bare-array params)', () => {
  const server = lateBound<MeshTestServer>('the server');
  const backend = lateBound<Backend>('the SDK backend');
  before(async () => {
    server.set(
      await startTestServer({
        namespaces: { default: { trusted_networks: ['127.0.0.1'], client_topic: 'foo' } },
      }),
    );
    backend.set(await Backend.connect(server.proxy.wsUrl('/ws/v1')));
  });
  after(async () => {
    await backend.value?.close();
    await server.value?.close();
  });

  it("$node->pop('foo') subscribes to topic foo", async () => {
    backend.proxy.sendRaw('{"m":"queue.pop","p":["foo"],"i":1}');
    assert.deepEqual(await backend.proxy.replyTo(1), { E: null, r: { s: true }, i: 1 });
  });

  it('meshSend with an int client id reaches exactly that client; an id a double cannot tell from it does not', async () => {
    const b = backend.proxy;
    const { client, id } = await gatewayClient(server.proxy, b, 'default');
    // Doubles cannot tell these two ids apart; the server must.
    assert.equal(Number(id), Number(twin(id)));
    b.sendRaw(`{"m":"mesh.send","p":{"c":${int(id)},"d":"received: http:\\/\\/example.com\\/a"},"i":2}`);
    assert.deepEqual(await b.replyTo(2), { E: null, r: { s: true }, i: 2 });
    assert.deepEqual(await client.nextFrame(), { data: 'received: http://example.com/a', binary: false });
    b.sendRaw(`{"m":"mesh.send","p":{"c":${twin(id)},"d":"not for you"},"i":3}`);
    const miss = await b.replyTo(3);
    assert.equal(miss.E.c, 401);
    assert.ok(miss.E.m.includes(twin(id)), 'the error names the exact id it looked for');
    assert.equal(await client.silentFor(100), true);
    await client.close();
  });

  it('setContextValue, subscribe and unsubscribe with an int client id (conn.call)', async () => {
    const b = backend.proxy;
    const { client, id } = await gatewayClient(server.proxy, b, 'default');
    b.sendRaw(`{"m":"conn.call","p":{"c":${int(id)},"f":"set_context_value","a":["user_id",1000]},"i":4}`);
    assert.deepEqual(await b.replyTo(4), { E: null, r: { s: true }, i: 4 });
    client.send('{"op":"hello"}');
    const [, item] = await b.itemsOf(id, 2);
    assert.deepEqual(item.context, { user_id: 1000 });

    b.sendRaw(`{"m":"conn.call","p":{"c":${int(id)},"f":"subscribe","a":["user_10001"]},"i":5}`);
    assert.deepEqual(await b.replyTo(5), { E: null, r: { s: true }, i: 5 });
    b.sendRaw('{"m":"mesh.publish","p":{"c":"user_10001","d":"{\\"broadcast\\":\\"ok\\"}"},"i":6}');
    assert.deepEqual(await b.replyTo(6), { E: null, r: { s: 1, f: 0 }, i: 6 });
    assert.deepEqual(await client.nextFrame(), { data: '{"broadcast":"ok"}', binary: false });

    b.sendRaw(`{"m":"conn.call","p":{"c":${twin(id)},"f":"subscribe","a":["user_10001"]},"i":7}`);
    assert.equal((await b.replyTo(7)).E.c, 301, 'its double twin is not a live client');
    b.sendRaw(`{"m":"conn.call","p":{"c":${int(id)},"f":"unsubscribe","a":["user_10001"]},"i":8}`);
    assert.deepEqual(await b.replyTo(8), { E: null, r: { s: true }, i: 8 });
    b.sendRaw('{"m":"mesh.publish","p":{"c":"user_10001","d":"gone"},"i":9}');
    assert.deepEqual(await b.replyTo(9), { E: null, r: { s: 0, f: 0 }, i: 9 });
    await client.close();
  });

  it('a fraction or a negative number keeps 101; strings stay accepted', async () => {
    const b = backend.proxy;
    const { client, id } = await gatewayClient(server.proxy, b, 'default');
    let i = 10;
    for (const c of ['1.5', '-1', `${id}.0`, '2.1e18']) {
      b.sendRaw(`{"m":"mesh.send","p":{"c":${c},"d":"x"},"i":${++i}}`);
      assert.equal((await b.replyTo(i)).E.c, 101, `mesh.send ${c}`);
      b.sendRaw(`{"m":"conn.call","p":{"c":${c},"f":"subscribe","a":["r"]},"i":${++i}}`);
      assert.equal((await b.replyTo(i)).E.c, 101, `conn.call ${c}`);
    }
    b.sendRaw(`{"m":"mesh.send","p":{"c":"${id}","d":"as a string"},"i":${++i}}`);
    assert.deepEqual(await b.replyTo(i), { E: null, r: { s: true }, i });
    assert.deepEqual(await client.nextFrame(), { data: 'as a string', binary: false });
    assert.equal(await client.silentFor(50), true);
    await client.close();
  });

  it('POST /v1/mesh/send reads an int client id exactly too', async () => {
    const { client, id } = await gatewayClient(server.proxy, backend.proxy, 'default');
    const url = `${server.proxy.url}/v1/mesh/send`;
    assert.deepEqual((await post(url, `{"c":${int(id)},"d":"over http"}`)).body, { E: null, r: { s: true } });
    assert.deepEqual(await client.nextFrame(), { data: 'over http', binary: false });
    assert.equal((await post(url, `{"c":${twin(id)},"d":"no"}`)).body.E.c, 401);
    assert.equal((await post(url, '{"c":-5,"d":"no"}')).body.E.c, 101);
    assert.equal((await post(url, '{"c":0.5,"d":"no"}')).body.E.c, 101);
    assert.equal(await client.silentFor(50), true);
    await client.close();
  });

  it('a call without params sends "p":[] (queue.unpop)', async () => {
    backend.proxy.sendRaw('{"m":"queue.unpop","p":[],"i":40}');
    assert.deepEqual(await backend.proxy.replyTo(40), { E: null, r: { s: true }, i: 40 });
  });
});
