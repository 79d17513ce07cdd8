import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SiteClientError } from '../../src/client/errors.js';
import { SiteClient } from '../../src/client/site-client.js';
import { classifyServerError } from '../../src/client/wire.js';
import { channelNameProblem } from '../../src/core/channel-name.js';
import { Hub } from '../../src/core/hub.js';
import { decodeRequest } from '../../src/dialects/site/codec.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { FakeSocket, until } from './site-client-fake-socket.js';

// The messages come from the server's own code where it exposes them, so a reworded server
// message fails here instead of silently turning into `unknown` in applications.
describe('client SDK names the newer site errors', () => {
  it('invalid channel names, both messages of the shared rule', () => {
    assert.equal(classifyServerError(channelNameProblem('')!), 'invalid_channel');
    assert.equal(classifyServerError(channelNameProblem('bad\u0001name')!), 'invalid_channel');
    assert.equal(classifyServerError(channelNameProblem('x'.repeat(256))!), 'invalid_channel');
  });

  it('too many channels, as the hub words it', async () => {
    const settings = { name: 'demo', historySize: 10, topicSize: 10, topicBytes: 1 << 20, maxTopics: 5 };
    const hub = new Hub(new MemoryEngine(1), new Map([['demo', settings]]), { maxChannelsPerConnection: 1 });
    await hub.start();
    const conn = hub.register({
      namespace: 'demo',
      dialect: 'site',
      sink: { deliver: () => true, sendRaw: () => true, close: () => undefined },
    });
    try {
      await hub.subscribe(conn, 'one');
      const refused = await hub.subscribe(conn, 'two').then(
        () => assert.fail('the second channel was accepted'),
        (err: Error) => err.message,
      );
      assert.equal(classifyServerError(refused), 'too_many_channels');
      // Not confused with its neighbour.
      assert.equal(classifyServerError('too many requests waiting for an answer'), 'too_many_requests');
    } finally {
      await hub.unregister(conn);
    }
  });

  it('a request nested too deeply, as the site codec words it', () => {
    const decoded = decodeRequest(`${'['.repeat(80)}${']'.repeat(80)}`, 64);
    assert.equal(decoded.ok, false);
    assert.ok(!decoded.ok);
    assert.equal(decoded.error.code, 'too_deep');
    assert.equal(classifyServerError(decoded.error.message), 'too_deep');
  });

  it('a one-use post token posted twice (HTTP /post)', () => {
    assert.equal(classifyServerError('token already used: get a new one from /token'), 'token_used');
  });
});

describe('SiteClient reports a newer site error with its code', () => {
  let client: SiteClient | undefined;
  beforeEach(() => FakeSocket.reset());
  afterEach(() => client?.close());

  it('rejects a subscribe refused for too many channels', async () => {
    client = new SiteClient({
      url: 'ws://example.test/ws?site=demo',
      WebSocket: FakeSocket,
      getAuth: async () => ({ token: 't', auth: 'a' }),
      random: () => 0,
    });
    const p = client.subscribe('news', () => undefined);
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.last.open();
    await until(() => FakeSocket.last.requests('subscribe').length === 1);
    FakeSocket.last.receive({
      response: 'error',
      req_id: FakeSocket.last.requests('subscribe')[0]!.req_id,
      body: 'too many channels: at most 128 per connection',
    });
    await assert.rejects(p, (e: SiteClientError) => {
      assert.equal(e.kind, 'server');
      assert.equal(e.serverCode, 'too_many_channels');
      assert.equal(e.channel, 'news');
      return true;
    });
  });
});
