import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Access,
  decodeFrame,
  encodeReply,
  isValidName,
  renderPublication,
} from '../../src/dialects/rocket/codec.js';
import { encodeError, RocketErrorId } from '../../src/dialects/rocket/errors.js';
import type { Permission } from '../../src/dialects/rocket/permissions.js';

const access = (...perms: Permission[]): Access => ({
  authenticated: perms.length > 0,
  can: (p) => perms.includes(p),
});
const anonymous = access();
const reader = access('READ');
const writer = access('READ', 'WRITE');
// Authenticated but with no permission at all: distinct from anonymous for logout.
const nobody: Access = { authenticated: true, can: () => false };

const errOf = (text: string, a: Access = writer) => {
  const r = decodeFrame(text, a);
  assert.equal(r.ok, false, `expected an error for ${text}`);
  return r.ok ? undefined : r.error.err;
};
const cmdOf = (text: string, a: Access = writer) => {
  const r = decodeFrame(text, a);
  assert.ok(r.ok, `expected a command for ${text}: ${JSON.stringify(r)}`);
  return r.command;
};

describe('rocket codec: framing', () => {
  it('refuses what is not a JSON object with exactly one key as INVALID_PAYLOAD', () => {
    for (const text of [
      '',
      'nope',
      '{',
      '[]',
      '[{"subscribe":{}}]',
      '"subscribe"',
      '42',
      'null',
      'true',
      '{}',
    ]) {
      assert.equal(errOf(text), RocketErrorId.invalidPayload, text);
    }
    assert.equal(errOf('{"subscribe":{"channel":"a"},"broadcast":{}}'), RocketErrorId.invalidPayload);
    assert.equal(errOf('\u0000\u00ff\u0001garbage'), RocketErrorId.invalidPayload);
  });

  it('answers an unknown event with UNDEFINED_EVENT and names it', () => {
    const r = decodeFrame('{"publish":{"channel":"a"}}', writer);
    assert.deepEqual(r, { ok: false, error: { err: 'UNDEFINED_EVENT', event: 'publish' } });
    // Case matters: event names are the original protocol's exact keys.
    assert.equal(errOf('{"Subscribe":{"channel":"a"}}'), RocketErrorId.undefinedEvent);
  });

  it('checks the frame before permissions: an unknown event is UNDEFINED_EVENT even when anonymous', () => {
    assert.equal(errOf('{"hello":true}', anonymous), RocketErrorId.undefinedEvent);
  });
});

describe('rocket codec: authenticate', () => {
  it('decodes user and optional secret', () => {
    assert.deepEqual(cmdOf('{"authenticate":{"user":"joe","secret":"53cr37"}}', anonymous), {
      kind: 'authenticate',
      user: 'joe',
      secret: '53cr37',
    });
  });

  // webrocket_websocket_api.go doAuthenticate: `secret, ok := payload["secret"].(string); if !ok { secret = "" }`.
  it('reads a missing or non-string secret as "" (TestAuthWithMissingSecret, TestAuthInvalidSecretValue)', () => {
    for (const secret of [
      '',
      ',"secret":null',
      ',"secret":{"foo":"bar"}',
      ',"secret":5',
      ',"secret":["s"]',
    ]) {
      assert.deepEqual(cmdOf(`{"authenticate":{"user":"joe"${secret}}}`, anonymous), {
        kind: 'authenticate',
        user: 'joe',
        secret: '',
      });
    }
  });

  it('checks INVALID_PAYLOAD, then INVALID_USER_NAME', () => {
    assert.equal(errOf('{"authenticate":"joe"}', anonymous), RocketErrorId.invalidPayload);
    assert.equal(errOf('{"authenticate":["joe"]}', anonymous), RocketErrorId.invalidPayload);
    // TestAuthInvalidUserValue: a user that is not a string.
    assert.equal(
      errOf('{"authenticate":{"user":{"foo":"bar"},"secret":""}}', anonymous),
      RocketErrorId.invalidUserName,
    );
    for (const user of ['', 'a b', 42, null, 'x'.repeat(65), 'jo\u0000e']) {
      const text = JSON.stringify({ authenticate: { user, secret: 's' } });
      assert.equal(errOf(text, anonymous), RocketErrorId.invalidUserName, text);
    }
    assert.equal(errOf('{"authenticate":{"secret":"s"}}', anonymous), RocketErrorId.invalidUserName);
  });
});

describe('rocket codec: subscribe and unsubscribe', () => {
  for (const event of ['subscribe', 'unsubscribe'] as const) {
    it(`${event}: ACCESS_DENIED → INVALID_PAYLOAD → INVALID_CHANNEL_NAME`, () => {
      // Rights come first, whatever the payload (webrocket_websocket_api.go doSubscribe/doUnsubscribe).
      for (const payload of ['"hello"', '["hello"]', 'null', '42', '{"channel":"a"}']) {
        assert.equal(errOf(`{"${event}":${payload}}`, anonymous), RocketErrorId.accessDenied, payload);
        assert.equal(errOf(`{"${event}":${payload}}`, nobody), RocketErrorId.accessDenied, payload);
      }
      assert.equal(errOf(`{"${event}":"hello"}`, reader), RocketErrorId.invalidPayload);
      assert.equal(errOf(`{"${event}":["hello"]}`, reader), RocketErrorId.invalidPayload);
      // Not READ: denied even though the channel name is invalid too.
      assert.equal(errOf(`{"${event}":{"channel":""}}`, anonymous), RocketErrorId.accessDenied);
      assert.equal(errOf(`{"${event}":{"channel":"hello"}}`, nobody), RocketErrorId.accessDenied);
      assert.equal(errOf(`{"${event}":{}}`, reader), RocketErrorId.invalidChannelName);
      assert.equal(errOf(`{"${event}":{"channel":""}}`, reader), RocketErrorId.invalidChannelName);
      assert.equal(errOf(`{"${event}":{"channel":7}}`, reader), RocketErrorId.invalidChannelName);
      assert.deepEqual(cmdOf(`{"${event}":{"channel":"hello"}}`, reader), { kind: event, channel: 'hello' });
    });
  }

  it('says why access was denied', () => {
    const r = decodeFrame('{"subscribe":{"channel":"a"}}', anonymous);
    assert.ok(!r.ok);
    assert.match(r.error.additional_info ?? '', /authenticated/);
  });
});

describe('rocket codec: broadcast', () => {
  it('ACCESS_DENIED → INVALID_PAYLOAD → INVALID_EVENT_NAME → INVALID_CHANNEL_NAME', () => {
    assert.equal(errOf('{"broadcast":"x"}', anonymous), RocketErrorId.accessDenied);
    assert.equal(errOf('{"broadcast":"x"}', reader), RocketErrorId.accessDenied);
    assert.equal(errOf('{"broadcast":"x"}', writer), RocketErrorId.invalidPayload);
    assert.equal(errOf('{"broadcast":{}}', reader), RocketErrorId.accessDenied);
    assert.equal(errOf('{"broadcast":{"event":"e","channel":"c"}}', reader), RocketErrorId.accessDenied);
    assert.equal(errOf('{"broadcast":{"channel":""}}', writer), RocketErrorId.invalidEventName);
    assert.equal(errOf('{"broadcast":{"event":"","channel":"c"}}', writer), RocketErrorId.invalidEventName);
    assert.equal(errOf('{"broadcast":{"event":"e"}}', writer), RocketErrorId.invalidChannelName);
    assert.equal(
      errOf('{"broadcast":{"event":"e","channel":false}}', writer),
      RocketErrorId.invalidChannelName,
    );
  });

  it('defaults data to null and keeps any JSON value', () => {
    assert.deepEqual(cmdOf('{"broadcast":{"event":"hello","channel":"world"}}'), {
      kind: 'broadcast',
      event: 'hello',
      channel: 'world',
      data: null,
    });
    assert.deepEqual(cmdOf('{"broadcast":{"event":"hello","channel":"world","data":{"x":[1,"2"]}}}'), {
      kind: 'broadcast',
      event: 'hello',
      channel: 'world',
      data: { x: [1, '2'] },
    });
  });
});

describe('rocket codec: trigger, logout, disconnect', () => {
  it('trigger: ACCESS_DENIED → INVALID_PAYLOAD → INVALID_EVENT_NAME', () => {
    assert.equal(errOf('{"trigger":1}', anonymous), RocketErrorId.accessDenied);
    assert.equal(errOf('{"trigger":1}', reader), RocketErrorId.accessDenied);
    assert.equal(errOf('{"trigger":1}', writer), RocketErrorId.invalidPayload);
    assert.equal(errOf('{"trigger":{"event":""}}', reader), RocketErrorId.accessDenied);
    assert.equal(errOf('{"trigger":{"data":1}}', writer), RocketErrorId.invalidEventName);
    assert.deepEqual(cmdOf('{"trigger":{"event":"hello","data":{"x":1}}}'), {
      kind: 'trigger',
      event: 'hello',
      data: { x: 1 },
    });
    assert.deepEqual(cmdOf('{"trigger":{"event":"hello"}}'), { kind: 'trigger', event: 'hello', data: null });
  });

  // doLogout and doDisconnect never read the payload.
  it('logout: ACCESS_DENIED without a session whatever the payload; any session logs out', () => {
    for (const payload of ['true', 'false', '"yes"', '{}', 'null', '[1]']) {
      assert.equal(errOf(`{"logout":${payload}}`, anonymous), RocketErrorId.accessDenied, payload);
      assert.deepEqual(cmdOf(`{"logout":${payload}}`, reader), { kind: 'logout' }, payload);
    }
    assert.deepEqual(cmdOf('{"logout":true}', nobody), { kind: 'logout' });
  });

  it('disconnect needs no session and closes whatever the payload', () => {
    for (const payload of ['true', '0', '"please"', '{}', 'null']) {
      assert.deepEqual(cmdOf(`{"disconnect":${payload}}`, anonymous), { kind: 'disconnect' }, payload);
    }
  });
});

describe('rocket codec: names and encoding', () => {
  it('accepts printable names up to 255 characters, Unicode included', () => {
    for (const ok of ['a', 'news/today', 'room:1', 'Привет мир', '🚀', 'x'.repeat(255)]) {
      assert.ok(isValidName(ok), ok);
    }
    for (const bad of ['', 'x'.repeat(256), 'a\nb', 'tab\t', '\u007f', '\ud800', 3, null]) {
      assert.ok(!isValidName(bad), JSON.stringify(bad));
    }
  });

  it('encodes replies and errors in the original protocol’s shapes', () => {
    assert.equal(encodeReply('authenticated', 'joe'), '{"authenticated":"joe"}');
    assert.equal(encodeReply('loggedOut', true), '{"loggedOut":true}');
    assert.equal(encodeError({ err: 'ACCESS_DENIED' }), '{"err":"ACCESS_DENIED"}');
    assert.equal(
      encodeError({ err: 'ACCESS_DENIED', additional_info: 'why' }),
      '{"err":"ACCESS_DENIED","additional_info":"why"}',
    );
  });

  it('renders a publication as the broadcast payload itself', () => {
    const base = { channel: 'world', ord: 7, time: 1 };
    assert.deepEqual(JSON.parse(renderPublication({ ...base, data: { x: 1 }, event: 'hello' }).toString()), {
      event: 'hello',
      channel: 'world',
      data: { x: 1 },
    });
    // Publications from other dialects have no event: they render as "message".
    assert.deepEqual(JSON.parse(renderPublication({ ...base, data: 'hi' }).toString()), {
      event: 'message',
      channel: 'world',
      data: 'hi',
    });
    assert.deepEqual(JSON.parse(renderPublication({ ...base, data: Buffer.from([1, 2, 255]) }).toString()), {
      event: 'message',
      channel: 'world',
      data: 'AQL/',
    });
  });
});
