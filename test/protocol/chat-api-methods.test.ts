// nane's REST API answers every method alike: its routes are registered with no method filter
// (tada-team/nane main.go rootHandler: rtr.HandleFunc(item.path, wrap(item.fn)) for /api/settings,
// /api/rooms, /api/rooms/{name}/history, /api/rooms/{name}), and clients written for it use
// axios.post for all three. The frames below are what axios.post(url) and axios.post(url, {})
// send. Pages of other origins read the API: every answer carries Access-Control-Allow-Origin: *
// and a CORS preflight is answered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

/** What axios sends for axios.post(url, data): JSON body, its Accept header. */
const AXIOS_HEADERS = { accept: 'application/json, text/plain, */*', 'content-type': 'application/json' };

describe('chat API: any method answers like GET, with CORS', () => {
  let server: Server;
  before(async () => {
    server = await startTestServer();
    const client = await RawClient.connect(server.wsUrl('/ws?username=poster'));
    client.send({ room: 'lobby', text: 'hello' });
    await client.next();
    await client.close();
  });
  after(() => server.close());

  const paths = ['/api/settings', '/api/rooms', '/api/rooms/lobby/history', '/api/rooms/lobby'];

  it('POST (axios.post with and without a body), PUT, PATCH, DELETE answer exactly like GET', async () => {
    for (const path of paths) {
      const url = `${server.url}${path}`;
      const viaGet = await http('GET', url);
      assert.equal(viaGet.status, 200, path);
      for (const [method, body, headers] of [
        ['POST', undefined, { accept: AXIOS_HEADERS.accept }],
        ['POST', '{}', AXIOS_HEADERS],
        ['PUT', '{"x":1}', AXIOS_HEADERS],
        ['PATCH', undefined, {}],
        ['DELETE', undefined, {}],
      ] as const) {
        const answer = await http(method, url, body, headers);
        assert.equal(answer.status, 200, `${method} ${path}`);
        if (path === '/api/settings') {
          // uptime moves; everything else is the same answer
          assert.deepEqual({ ...answer.body.result, uptime: 0 }, { ...viaGet.body.result, uptime: 0 });
        } else {
          assert.equal(answer.text, viaGet.text, `${method} ${path}`);
        }
        assert.equal(answer.headers.get('access-control-allow-origin'), '*');
      }
    }
  });

  it('errors answer like GET too, with CORS: 404 for an unknown room whatever the method', async () => {
    for (const method of ['GET', 'POST']) {
      const r = await http(method, `${server.url}/api/rooms/nowhere/history`);
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, { error: 'room nowhere not found' });
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
    }
  });

  it('answers a CORS preflight with 204 and the allowed methods and headers', async () => {
    for (const path of paths) {
      const r = await http('OPTIONS', `${server.url}${path}`, undefined, {
        origin: 'https://elsewhere.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      });
      assert.equal(r.status, 204, path);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.equal(r.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
      assert.equal(r.headers.get('access-control-allow-headers'), 'Content-Type');
    }
    // A plain OPTIONS (no preflight header) is one more method answered like GET, as nane did.
    const plain = await http('OPTIONS', `${server.url}/api/rooms`);
    assert.equal(plain.status, 200);
    assert.equal(plain.body.result[0].name, 'lobby');
  });
});
