import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Publication } from '../../src/core/types.js';
import {
  type ChatLimits,
  cutRunes,
  parseClientFrame,
  renderMessage,
  resolveUsername,
  runeLength,
} from '../../src/dialects/chat/codec.js';

const LIMITS: ChatLimits = { maxMessageLength: 5, maxRoomTitleLength: 3, maxUsernameLength: 4 };
const EMOJI = '😀'; // one rune, two UTF-16 units, four UTF-8 bytes

describe('chat codec: runes', () => {
  it('counts and cuts code points, never splitting a surrogate pair', () => {
    assert.equal(runeLength('я😀a'), 3);
    assert.equal(cutRunes(`${EMOJI}${EMOJI}${EMOJI}`, 2), `${EMOJI}${EMOJI}`);
    assert.equal(cutRunes('яяяя', 3), 'яяя');
    assert.equal(cutRunes('ab', 5), 'ab');
    assert.equal(cutRunes('', 5), '');
  });
});

describe('chat codec: client frames', () => {
  it('reads a message, trimming room and text and keeping a string id', () => {
    assert.deepEqual(parseClientFrame('{"room":" r ","text":"  hi \\n","id":"x1"}', LIMITS), {
      kind: 'message',
      room: 'r',
      text: 'hi',
      id: 'x1',
    });
    assert.deepEqual(parseClientFrame('{"room":"r","text":"hi","extra":[1]}', LIMITS), {
      kind: 'message',
      room: 'r',
      text: 'hi',
    });
  });

  it('cuts room and text to their limits in runes', () => {
    const f = parseClientFrame(JSON.stringify({ room: 'яяяя', text: `${EMOJI.repeat(6)}` }), LIMITS);
    assert.deepEqual(f, { kind: 'message', room: 'яяя', text: EMOJI.repeat(5) });
    const exact = parseClientFrame(JSON.stringify({ room: 'я😀я', text: 'ёёёёё' }), LIMITS);
    assert.deepEqual(exact, { kind: 'message', room: 'я😀я', text: 'ёёёёё' });
  });

  it('ignores empty, blank, absent or null room or text', () => {
    for (const raw of [
      '{"room":"r","text":""}',
      '{"room":"r","text":"  \\t "}',
      '{"room":"","text":"t"}',
      '{"room":"  ","text":"t"}',
      '{"text":"t"}',
      '{"room":"r"}',
      '{"room":null,"text":"t"}',
      '{}',
      '{"xx":"123"}',
      '{"ping":false}',
    ]) {
      assert.equal(parseClientFrame(raw, LIMITS).kind, 'ignored', raw);
    }
  });

  it('answers ping only to "ping": true, whatever else the frame holds', () => {
    assert.deepEqual(parseClientFrame('{"ping":true}', LIMITS), { kind: 'ping' });
    assert.deepEqual(parseClientFrame('{"ping":true,"room":"r","text":"t"}', LIMITS), { kind: 'ping' });
    assert.equal(parseClientFrame('{"ping":null,"room":"r","text":"t"}', LIMITS).kind, 'message');
  });

  it('marks bad frames invalid with a short reason', () => {
    const cases: [string, RegExp][] = [
      ['not json', /invalid JSON/],
      ['{"room":"r",', /invalid JSON/],
      ['[1,2]', /object/],
      ['"text"', /object/],
      ['null', /object/],
      ['42', /object/],
      ['{"room":5,"text":"t"}', /"room" must be a string/],
      ['{"room":"r","text":{"a":1}}', /"text" must be a string/],
      ['{"room":"r","text":"t","id":7}', /"id" must be a string/],
      ['{"ping":"yes"}', /"ping" must be a boolean/],
    ];
    for (const [raw, reason] of cases) {
      const f = parseClientFrame(raw, LIMITS);
      assert.equal(f.kind, 'invalid', raw);
      if (f.kind === 'invalid') {
        assert.match(f.reason, reason, raw);
        assert.ok(Buffer.byteLength(f.reason) <= 123, 'a close reason fits in a close frame');
      }
    }
  });
});

describe('chat codec: usernames', () => {
  it('trims, prefers username over name, and refuses over-long names with 400', () => {
    assert.deepEqual(resolveUsername(' bob ', null, 4), { ok: true, username: 'bob' });
    assert.deepEqual(resolveUsername('  ', 'ann', 4), { ok: true, username: 'ann' });
    assert.deepEqual(resolveUsername('я😀яя', null, 4), { ok: true, username: 'я😀яя' });
    const long = resolveUsername('я😀яяя', null, 4);
    assert.equal(long.ok, false);
    if (!long.ok) {
      assert.equal(long.status, 400);
      assert.match(long.error, /longer than 4/);
    }
    const blank = resolveUsername(' ', '', 4);
    assert.equal(blank.ok, false);
    if (!blank.ok) assert.equal(blank.status, 401);
  });
});

describe('chat codec: rendering', () => {
  const base: Publication = { channel: 'Room', ord: 7, time: Date.UTC(2024, 0, 2, 3, 4, 5, 60), data: 'hi' };

  it('renders nane keys in order, id only live and only when given', () => {
    const p = { ...base, sender: 'bob', id: 'c1' };
    assert.equal(
      renderMessage(p, 'chat', true),
      '{"id":"c1","room":"Room","created":"2024-01-02T03:04:05.060Z","sender":{"username":"bob"},"text":"hi"}',
    );
    assert.equal(
      renderMessage(p, 'chat', false),
      '{"room":"Room","created":"2024-01-02T03:04:05.060Z","sender":{"username":"bob"},"text":"hi"}',
    );
    assert.ok(!('id' in JSON.parse(renderMessage({ ...base, sender: 'b' }, 'chat', true))));
  });

  it('signs backend publications with the namespace and writes non-string data as JSON text', () => {
    const m = JSON.parse(renderMessage({ ...base, data: { a: [1, 'я'] } }, 'chat', true));
    assert.deepEqual(m.sender, { username: 'chat' });
    assert.equal(m.text, '{"a":[1,"я"]}');
    const bin = JSON.parse(renderMessage({ ...base, data: Buffer.from([1, 2, 3]) }, 'chat', true));
    assert.equal(bin.text, 'AQID');
    assert.match(m.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  });
});
