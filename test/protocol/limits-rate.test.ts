import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

// Rate 5/s, burst 5: the listener's backstop cuts only past twice that (10 back to back).
const LIMITS = { max_messages_per_second: 5, max_messages_burst: 5 };
const NAMESPACES = {
  demo: {
    secret: 's',
    api_keys: ['k'],
    rocket: { path: '/app', users: { reader: { secret: 'r', permissions: ['READ'] } } },
  },
};
const BAD_REQUEST = '{"request":"nope"}';

describe('limits: inbound message rate', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer({ namespaces: NAMESPACES, limits: LIMITS });
  });
  after(() => server.close());

  it('closes a flooding connection with 1008 "rate limit exceeded"; others keep working', async () => {
    const url = server.wsUrl('/ws?site=demo');
    const bystander = await RawClient.connect(url);
    const flooder = await RawClient.connect(url);
    for (let i = 0; i < 200; i++) flooder.send(BAD_REQUEST);
    const closed = await flooder.closed;
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'rate limit exceeded');

    bystander.send(BAD_REQUEST);
    assert.equal((await bystander.next()).response, 'error');
    await bystander.close();
  });

  it('applies to every dialect: site, chat, mesh gateway clients and rocket', async () => {
    for (const path of ['/ws?site=demo', '/ws?username=flood', '/client?site=demo', '/app']) {
      const flooder = await RawClient.connect(server.wsUrl(path));
      for (let i = 0; i < 200; i++) flooder.send('{"ping":true}');
      const closed = await flooder.closed;
      assert.equal(closed.code, 1008, path);
    }
  });

  it('leaves a connection within twice the burst alone: every frame is answered', async () => {
    const c = await RawClient.connect(server.wsUrl('/ws?site=demo'));
    for (let i = 0; i < 10; i++) c.send(BAD_REQUEST);
    for (let i = 0; i < 10; i++) assert.equal((await c.next()).response, 'error', `answer ${i}`);
    assert.equal(c.ws.readyState, c.ws.OPEN);
    await c.close();
  });
});
