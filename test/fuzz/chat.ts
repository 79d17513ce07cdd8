// Fuzz properties of the chat codec (docs/protocol/chat.md): every frame is a ping, a message within the rune
// limits, silently ignored, or a close-1007 verdict whose reason fits a close frame (123 bytes).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import {
  ChatErrorCode,
  type ChatLimits,
  type ClientFrame,
  cutRunes,
  parseClientFrame,
  runeLength,
} from '../../src/dialects/chat/codec.js';
import { deeplyMutated, type Frame, hostileFrame, utf8Bytes } from './arbitraries.js';
import { property, show } from './property.js';
import { guardedRender, nestedData } from './render-everywhere.js';

export const CHAT_LIMITS: ChatLimits = {
  maxMessageLength: 2000,
  maxRoomTitleLength: 100,
  maxUsernameLength: 32,
};

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 });

export const chatTemplates: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ room: text, text, id: fc.string({ maxLength: 12 }) }, { requiredKeys: ['room', 'text'] }),
  fc.record({ ping: fc.boolean() }),
);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The session's handling of one frame without I/O: binary frames must be UTF-8 (nane reads them as
 * text), and a frame that is not closes the connection with 1007.
 */
export function chatVerdict(f: Frame, limits = CHAT_LIMITS): ClientFrame {
  if (!f.binary) return parseClientFrame(f.text, limits);
  let decoded: string;
  try {
    decoded = utf8.decode(f.bytes);
  } catch {
    return { kind: 'invalid', code: ChatErrorCode.invalidJson, reason: 'frame is not valid UTF-8' };
  }
  return parseClientFrame(decoded, limits);
}

const CODES = new Set<string>(Object.values(ChatErrorCode));

export const chatProperties = [
  property<Frame>({
    dialect: 'chat',
    name: 'hostile frames never throw; refusals are 1007 verdicts with a reason of at most 123 bytes',
    weight: 3,
    arbitrary: hostileFrame(chatTemplates),
    check(f) {
      const verdict = chatVerdict(f);
      switch (verdict.kind) {
        case 'invalid':
          assert.ok(CODES.has(verdict.code), verdict.code);
          assert.ok(verdict.reason.length > 0 && utf8Bytes(verdict.reason) <= 123, show(verdict.reason));
          return;
        case 'message':
          assert.ok(verdict.room.length > 0 && verdict.text.length > 0);
          assert.ok(runeLength(verdict.room) <= CHAT_LIMITS.maxRoomTitleLength, 'room over the limit');
          assert.ok(runeLength(verdict.text) <= CHAT_LIMITS.maxMessageLength, 'text over the limit');
          assert.ok(verdict.id === undefined || typeof verdict.id === 'string');
          return;
        case 'ping':
        case 'ignored':
          return;
      }
    },
  }),
  property<Frame>({
    dialect: 'chat',
    name: 'frames nested 4,000-30,000 deep close with 1007 "nested too deeply"',
    weight: 0.3,
    arbitrary: deeplyMutated(chatTemplates).map((text): Frame => ({ binary: false, text })),
    check(f) {
      assert.deepEqual(chatVerdict(f), {
        kind: 'invalid',
        code: ChatErrorCode.tooDeep,
        reason: `message is nested too deeply (max ${MAX_JSON_DEPTH} levels)`,
      });
    },
  }),
  property({
    dialect: 'chat',
    name: `publications of other dialects: the hub refuses data deeper than ${MAX_JSON_DEPTH} levels, anything shallower renders as chat text`,
    weight: 0.2,
    arbitrary: nestedData,
    check({ text, depth }) {
      const data = JSON.parse(text);
      guardedRender(data, depth, () => data);
    },
  }),
  property({
    dialect: 'chat',
    name: 'valid frames decode to the message, trimmed and cut to the rune limits',
    arbitrary: fc.record({
      room: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 150 }),
      text: fc.oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1900, max: 2100 }).map((n) => '🙂'.repeat(n)),
      ),
      id: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
      pad: fc.constantFrom('', ' ', '\n\t '),
      binary: fc.boolean(),
    }),
    check({ room, text: body, id, pad, binary }) {
      const json = JSON.stringify({ room: pad + room + pad, text: pad + body, id });
      const frame: Frame = binary
        ? { binary: true, bytes: Buffer.from(json) }
        : { binary: false, text: json };
      const verdict = chatVerdict(frame);
      const wantRoom = cutRunes(room.trim(), CHAT_LIMITS.maxRoomTitleLength);
      const wantText = cutRunes(body.trim(), CHAT_LIMITS.maxMessageLength);
      if (wantRoom === '' || wantText === '') {
        assert.equal(verdict.kind, 'ignored');
        return;
      }
      const expected: ClientFrame =
        id === undefined
          ? { kind: 'message', room: wantRoom, text: wantText }
          : { kind: 'message', room: wantRoom, text: wantText, id };
      assert.deepEqual(verdict, expected);
    },
  }),
  property({
    dialect: 'chat',
    name: 'ping frames answer pong whatever else they carry',
    arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    check(extra) {
      const verdict = parseClientFrame(JSON.stringify({ ...extra, ping: true }), CHAT_LIMITS);
      assert.deepEqual(verdict, { kind: 'ping' });
    },
  }),
];
