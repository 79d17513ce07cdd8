// The original WebRocket's own protocol test file (nu7hatch/webrocket webrocket_websocket_api_test.go)
// replayed against Switchboard: the same vhost and users, the same frames as Go's encoding/json
// writes them (map keys sorted), on one connection, in the file's order (Go runs a file's tests in
// order, and later tests rely on the session earlier ones left). Then the rule of its source
// (webrocket_websocket_api.go): rights are checked before the payload is looked at.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lateBound } from '../helpers/late-bound.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe('rocket: the original WebRocket test file, frame for frame', () => {
  const server = lateBound<Server>('the server');
  let ws: RawClient;
  before(async () => {
    server.set(
      await startTestServer({
        namespaces: {
          echo: {
            rocket: {
              path: '/echo',
              users: {
                front: { secret: 'read-secret', permissions: ['READ'] },
                back: { secret: 'read-write-secret', permissions: ['READ', 'WRITE'] },
                'no-secret': { secret: '', permissions: ['READ'] },
              },
            },
          },
        },
      }),
    );
  });
  after(async () => {
    await ws?.close();
    await server.value?.close();
  });

  /** wsSendJSON + wsReadResponse. */
  const exchange = async (frame: string) => {
    ws.send(frame);
    return ws.next();
  };
  const expectErr = async (frame: string, err: string) =>
    assert.equal((await exchange(frame)).err, err, frame);
  const authAs = async (user: string, secret: string) =>
    assert.deepEqual(await exchange(`{"authenticate":{"secret":"${secret}","user":"${user}"}}`), {
      authenticated: user,
    });

  it('TestConnect', async () => {
    ws = await RawClient.connect(server.proxy.wsUrl('/echo'));
  });
  it('TestAuthInvalidCredentials', () =>
    expectErr('{"authenticate":{"secret":"invalid-secret","user":"front"}}', 'INVALID_CREDENTIALS'));
  it('TestAuthInvalidData', () => expectErr('{"authenticate":"invalid"}', 'INVALID_PAYLOAD'));
  it('TestAuthWithMissingUserName', () =>
    expectErr('{"authenticate":{"secret":"foo"}}', 'INVALID_USER_NAME'));
  it('TestAuthWithMissingSecret', () =>
    expectErr('{"authenticate":{"user":"front"}}', 'INVALID_CREDENTIALS'));
  it('TestAuthWithInvalidUser', () => expectErr('{"authenticate":{"user":"invalid"}}', 'USER_NOT_FOUND'));
  it('TestAuthInvalidUserValue', () =>
    expectErr('{"authenticate":{"secret":"","user":{"foo":"bar"}}}', 'INVALID_USER_NAME'));
  it('TestAuthInvalidSecretValue', () =>
    expectErr('{"authenticate":{"secret":{"foo":"bar"},"user":"front"}}', 'INVALID_CREDENTIALS'));
  it('TestAuthAsSubscriber', () => authAs('front', 'read-secret'));
  it('TestAuthAsPublisher', () => authAs('back', 'read-write-secret'));
  it('TestAuthWithNoSecret', async () =>
    assert.deepEqual(await exchange('{"authenticate":{"user":"no-secret"}}'), {
      authenticated: 'no-secret',
    }));
  it('TestSubscribeWithInvalidData', () => expectErr('{"subscribe":"invalid"}', 'INVALID_PAYLOAD'));
  it('TestSubscribeWithMissingChannelName', () =>
    expectErr('{"subscribe":{"foo":"bar"}}', 'INVALID_CHANNEL_NAME'));
  it('TestSubscribeWithEmptyChannelName', () =>
    expectErr('{"subscribe":{"channel":""}}', 'INVALID_CHANNEL_NAME'));
  it('TestSubscribeWithInvalidChannelName', () =>
    expectErr('{"subscribe":{"channel":{"foo":"bar"}}}', 'INVALID_CHANNEL_NAME'));
  it('TestSubscribeWithNoAccess', async () => {
    assert.deepEqual(await exchange('{"logout":true}'), { loggedOut: true }); // TestLogout(t)
    await expectErr('{"subscribe":{"channel":"hello"}}', 'ACCESS_DENIED');
  });
  it('TestSubscribeWithReadWriteAccess', async () => {
    await authAs('front', 'read-secret');
    assert.deepEqual(await exchange('{"subscribe":{"channel":"hello"}}'), { subscribed: 'hello' });
  });
  it('TestUnsubscribeWithInvalidData', () => expectErr('{"unsubscribe":"invalid"}', 'INVALID_PAYLOAD'));
  it('TestUnsubscribeWithEmptyChannelName', () =>
    expectErr('{"unsubscribe":{"channel":""}}', 'INVALID_CHANNEL_NAME'));
  it('TestUnsubscribeWithInvalidChannelName', () =>
    expectErr('{"unsubscribe":{"channel":{"foo":"bar"}}}', 'INVALID_CHANNEL_NAME'));
  it('TestUnsubscribeWithMissingChannelName', () =>
    expectErr('{"unsubscribe":{"foo":"bar"}}', 'INVALID_CHANNEL_NAME'));
  it('TestUnsubscribe', async () =>
    assert.deepEqual(await exchange('{"unsubscribe":{"channel":"hello"}}'), { unsubscribed: 'hello' }));
  it('TestBroadcastAsSubscriber', async () => {
    await authAs('front', 'read-secret');
    await expectErr('{"broadcast":{"channel":"hello","data":"bar","event":"foo"}}', 'ACCESS_DENIED');
  });
  it('TestBroadcastInvalidData', async () => {
    await authAs('back', 'read-write-secret');
    await expectErr('{"broadcast":"invalid"}', 'INVALID_PAYLOAD');
  });
  it('TestBroadcastInvalidChannel', () =>
    expectErr('{"broadcast":{"channel":"invalid-channel","data":"bar","event":"foo"}}', 'CHANNEL_NOT_FOUND'));
  it('TestBroadcastInvalidChannelName', () =>
    expectErr('{"broadcast":{"channel":{"foo":"bar"},"data":"bar","event":"foo"}}', 'INVALID_CHANNEL_NAME'));
  it('TestBroadcastWithMissingEvent', () =>
    expectErr('{"broadcast":{"channel":"hello","data":"bar"}}', 'INVALID_EVENT_NAME'));
  it('TestBroadcastMissingChannel', () =>
    expectErr('{"broadcast":{"data":"bar","event":"foo"}}', 'INVALID_CHANNEL_NAME'));
  it('TestBroadcast', async () => {
    const ws2 = await RawClient.connect(server.proxy.wsUrl('/echo'));
    ws2.send('{"authenticate":{"secret":"read-secret","user":"front"}}');
    assert.deepEqual(await ws2.next(), { authenticated: 'front' });
    ws2.send('{"subscribe":{"channel":"hello"}}');
    assert.deepEqual(await ws2.next(), { subscribed: 'hello' });
    await authAs('back', 'read-write-secret');
    assert.deepEqual(await exchange('{"broadcast":{"channel":"hello","data":"bar","event":"foo"}}'), {
      broadcasted: 'hello',
    });
    const got = await ws2.next();
    assert.equal(got.event, 'foo');
    assert.equal(got.data, 'bar');
    await ws2.close();
  });
  it('TestLogout', async () => assert.deepEqual(await exchange('{"logout":true}'), { loggedOut: true }));
  it('TestDisconnect', async () => {
    ws.send('{"disconnect":true}');
    assert.equal((await ws.closed).code, 1000);
    assert.equal(ws.buffered, 0);
  });
});

describe('rocket: rights before payload, as webrocket_websocket_api.go checks them', () => {
  const server = lateBound<Server>('the server');
  before(async () => {
    server.set(
      await startTestServer({
        namespaces: {
          echo: {
            rocket: { path: '/echo', users: { front: { secret: 'read-secret', permissions: ['READ'] } } },
          },
        },
      }),
    );
  });
  after(() => server.value?.close());

  it('without a session: ACCESS_DENIED for subscribe, unsubscribe, broadcast, trigger and logout, whatever the payload', async () => {
    const ws = await RawClient.connect(server.proxy.wsUrl('/echo'));
    for (const event of ['subscribe', 'unsubscribe', 'broadcast', 'trigger', 'logout']) {
      for (const payload of ['"invalid"', '[]', 'null', '7', '{}']) {
        ws.send(`{"${event}":${payload}}`);
        assert.equal((await ws.next()).err, 'ACCESS_DENIED', `${event} ${payload}`);
      }
    }
    // READ only: broadcast and trigger still ACCESS_DENIED before their payload.
    ws.send('{"authenticate":{"secret":"read-secret","user":"front"}}');
    assert.deepEqual(await ws.next(), { authenticated: 'front' });
    for (const frame of ['{"broadcast":"invalid"}', '{"trigger":"invalid"}']) {
      ws.send(frame);
      assert.equal((await ws.next()).err, 'ACCESS_DENIED', frame);
    }
    ws.send('{"subscribe":"invalid"}');
    assert.equal((await ws.next()).err, 'INVALID_PAYLOAD');
    ws.send('{"disconnect":"whatever"}');
    assert.equal((await ws.closed).code, 1000);
  });
});
