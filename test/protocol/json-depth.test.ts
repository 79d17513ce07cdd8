// limits.max_json_depth against a real server: every place JSON enters (site, rocket, mesh and
// chat frames, /post, /v1/mesh/*, the admin API) refuses a value one level deeper than the
// configured limit in its own shape, and takes one at the limit. The whole message counts.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { get, post } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const DEPTH = 4;
const ADMIN_KEY = 'depth-admin-key';
const API_KEY = 'depth-mesh-key';
const CONFIG = {
  admin: { key: ADMIN_KEY },
  limits: { max_json_depth: DEPTH },
  chat: { namespace: 'chat' },
  namespaces: {
    demo: {
      secret: 'site-secret',
      post_secret: 'post-secret',
      api_keys: [API_KEY],
      rocket: { path: '/rk', users: { w: { secret: 'w', permissions: ['READ', 'WRITE'] } } },
    },
  },
};

const tooDeep = (what: string) => `${what} is nested too deeply (max ${DEPTH} levels)`;
const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64');

describe(`limits.max_json_depth: ${DEPTH}`, () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer(CONFIG);
  });
  after(async () => {
    await server.close();
  });

  it('site: a frame one level too deep gets an error response with its string req_id', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    try {
      c.send({ request: 'unsubscribe', req_id: 'a', body: { channel: 'c', x: [[1]] } });
      assert.deepEqual(await c.next(), {
        response: 'error',
        req_id: 'a',
        body: 'not subscribed to channel c',
      });
      c.send({ request: 'unsubscribe', req_id: 'b', body: { channel: 'c', x: [[[1]]] } });
      assert.deepEqual(await c.next(), { response: 'error', req_id: 'b', body: tooDeep('request') });
      c.send({ request: 'unsubscribe', req_id: [[[[1]]]], body: { channel: 'c' } });
      assert.deepEqual(await c.next(), { response: 'error', body: tooDeep('request') });
    } finally {
      await c.close();
    }
  });

  it('/post refuses a body one level too deep with 400; a message at the limit reaches subscribers', async () => {
    const token = (await get(`${server.url}/token?site=demo`)).body.token;
    const signed = { channel: 'c', token, auth: hmac('post-secret', token) };
    const sub = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    try {
      sub.send({
        request: 'subscribe',
        req_id: 's',
        body: { channel: 'c', token, auth: hmac('site-secret', `c${token}`) },
      });
      assert.deepEqual(await sub.next(), { response: 'ok', req_id: 's', body: null });
      const refused = await post(`${server.url}/post?site=demo`, { ...signed, message: [[[[1]]]] });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, { status: 'error', message: tooDeep('request body') });
      const accepted = await post(`${server.url}/post?site=demo`, { ...signed, message: [[[1]]] });
      assert.equal(accepted.status, 200, accepted.text);
      const msg = await sub.next();
      assert.deepEqual([msg.message, msg.body], ['c', [[[1]]]]);
    } finally {
      await sub.close();
    }
  });

  it('rocket: INVALID_PAYLOAD for a message one level too deep, broadcasts at the limit go through', async () => {
    const c = await RawClient.connect(server.wsUrl('/rk'));
    try {
      c.send({ authenticate: { user: 'w', secret: 'w' } });
      assert.deepEqual(await c.next(), { authenticated: 'w' });
      c.send({ subscribe: { channel: 'r' } });
      assert.deepEqual(await c.next(), { subscribed: 'r' });
      c.send({ broadcast: { event: 'e', channel: 'r', data: [[[1]]] } });
      assert.deepEqual(await c.next(), { err: 'INVALID_PAYLOAD', additional_info: tooDeep('message') });
      c.send({ broadcast: { event: 'e', channel: 'r', data: [[1]] } });
      const answers = [await c.next(), await c.next()];
      assert.deepEqual(
        answers.find((a) => 'broadcasted' in a),
        { broadcasted: 'r' },
      );
      assert.deepEqual(
        answers.find((a) => 'data' in a),
        { event: 'e', channel: 'r', data: [[1]] },
      );
    } finally {
      await c.close();
    }
  });

  it('mesh: 101 with the request id over /ws/v1, 101 with HTTP 200 over /v1/mesh/*', async () => {
    const c = await RawClient.connect(server.wsUrl(`/ws/v1?site=demo&key=${API_KEY}`));
    try {
      c.send({ m: 'mesh.publish', p: { c: 'm', d: [[[1]]] }, i: 7 });
      assert.deepEqual(await c.next(), { E: { c: 101, m: tooDeep('request') }, i: 7 });
      c.send({ m: 'mesh.publish', p: { c: 'm', d: [[1]] }, i: 8 });
      const ok = await c.next();
      assert.deepEqual([ok.E, ok.i], [null, 8]);
    } finally {
      await c.close();
    }
    const headers = { authorization: `Bearer ${API_KEY}` };
    const refused = await post(`${server.url}/v1/mesh/publish?site=demo`, { c: 'm', d: [[[[1]]]] }, headers);
    assert.equal(refused.status, 200);
    assert.deepEqual(refused.body, { E: { c: 101, m: tooDeep('request body') } });
    const accepted = await post(`${server.url}/v1/mesh/publish?site=demo`, { c: 'm', d: [[[1]]] }, headers);
    assert.equal(accepted.body.E, null, accepted.text);
  });

  it('admin API: 400 bad_request for a body one level too deep', async () => {
    const url = `${server.url}/admin/api/namespaces/demo/channels/a/publish`;
    const headers = { authorization: `Bearer ${ADMIN_KEY}` };
    const refused = await post(url, { data: [[[[1]]]] }, headers);
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { error: { code: 'bad_request', message: tooDeep('request body') } });
    const accepted = await post(url, { data: [[[1]]] }, headers);
    assert.equal(accepted.status, 200, accepted.text);
  });

  it('chat: a frame one level too deep closes with 1007 and the reason', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?username=deep'));
    c.send({ room: 'r', text: 'hi', x: [[[[1]]]] });
    assert.deepEqual(await c.closed, { code: 1007, reason: tooDeep('message') });
    await c.close();
  });
});
