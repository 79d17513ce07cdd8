// Fuzz properties of the pusher codec (protocol 7): every frame decodes to a typed command or to
// a refusal that the session sends as Pusher's `pusher:error` ({"code": null, "message"}); never
// an exception. Publications of any dialect render to {"event","channel","data": string}.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import type { Publication } from '../../src/core/types.js';
import { channelNameProblem, decodeFrame, errorFrame } from '../../src/dialects/pusher/protocol.js';
import { renderEvent } from '../../src/dialects/pusher/render.js';
import { anyJson, deeplyMutated, type Frame, hostileFrame, lenientText, nastyString } from './arbitraries.js';
import { property, show } from './property.js';

const channelName = fc.oneof(
  fc.stringMatching(/^(private-|presence-|private-encrypted-|cache-)?[A-Za-z0-9_\-=@,.;]{1,30}$/),
  nastyString,
);
const eventName = fc.oneof(fc.stringMatching(/^client-[a-z]{1,12}$/), nastyString);
const text = fc.string({ maxLength: 80 });

/** What pusher-js and the server SDKs send, and a few events no client sends. */
export const pusherTemplates: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ event: fc.constant('pusher:ping'), data: fc.constant({}) }),
  fc.record({ event: fc.constant('pusher:pong'), data: fc.constant({}) }),
  fc.record({
    event: fc.constant('pusher:subscribe'),
    data: fc.record({ channel: channelName, auth: text, channel_data: text }, { requiredKeys: ['channel'] }),
  }),
  fc.record({ event: fc.constant('pusher:unsubscribe'), data: fc.record({ channel: channelName }) }),
  fc.record({ event: fc.constant('pusher:signin'), data: fc.record({ auth: text, user_data: text }) }),
  fc.record({ event: eventName, channel: channelName, data: anyJson }),
  fc.record({ event: fc.constantFrom('pusher:nope', 'pusher_internal:member_added', 'x'), data: anyJson }),
);

/**
 * `wire` is Pusher's error frame: `{"event":"pusher:error","data":{"code","message"}}` with the
 * code null or in 4000-4399 and a non-empty message (exported for the server-level fuzz).
 */
export function assertPusherError(wire: unknown): void {
  const w = wire as { event?: unknown; data?: { code?: unknown; message?: unknown } } | null;
  assert.equal(w?.event, 'pusher:error', show(wire));
  assert.deepEqual(Object.keys(w as object).sort(), ['data', 'event'], show(wire));
  assert.deepEqual(Object.keys(w!.data ?? {}).sort(), ['code', 'message'], show(wire));
  const { code, message } = w!.data!;
  assert.ok(code === null || (Number.isInteger(code) && (code as number) >= 4000 && (code as number) < 4400));
  assert.ok(typeof message === 'string' && message.length > 0, show(wire));
}

/** The hostile-frame property: a well-formed command, or a refusal in Pusher's error shape. */
function checkPusherFrame(frame: Frame): void {
  const decoded = decodeFrame(lenientText(frame), MAX_JSON_DEPTH);
  if (!decoded.ok) {
    assertPusherError(JSON.parse(errorFrame(null, decoded.message)));
    return;
  }
  const c = decoded.command;
  if (c.kind === 'subscribe') {
    assert.equal(channelNameProblem(c.channel), undefined, show(c.channel));
    assert.ok(c.auth === undefined || typeof c.auth === 'string');
    assert.ok(c.channelData === undefined || typeof c.channelData === 'string');
  }
  if (c.kind === 'unsubscribe') assert.ok(typeof c.channel === 'string' && c.channel !== '');
  if (c.kind === 'signin') assert.ok(typeof c.auth === 'string' && typeof c.userData === 'string');
  if (c.kind === 'client-event') {
    assert.ok(c.event.startsWith('client-') && c.event.length <= 200, show(c.event));
    assert.ok(typeof c.channel === 'string' && c.channel !== '');
    // What the hub will publish must render for every Pusher receiver.
    JSON.parse(
      renderEvent({ channel: c.channel, event: c.event, ord: 1, time: 0, data: c.data } as Publication),
    );
  }
}

export const pusherProperties = [
  property({
    dialect: 'pusher',
    name: 'hostile frames never throw; every refusal is a pusher:error {code, message}',
    weight: 3,
    arbitrary: hostileFrame(pusherTemplates),
    check: checkPusherFrame,
  }),
  property({
    dialect: 'pusher',
    name: 'values nested 4,000-30,000 deep are refused as nested too deeply',
    weight: 0.3,
    arbitrary: deeplyMutated(pusherTemplates),
    check(text: string) {
      const decoded = decodeFrame(text, MAX_JSON_DEPTH);
      assert.ok(!decoded.ok, 'a deep message is refused');
      assert.match(decoded.message, /nested deeper than 64 levels|Invalid JSON/);
      assertPusherError(JSON.parse(errorFrame(null, decoded.message)));
    },
  }),
  property({
    dialect: 'pusher',
    name: 'subscribe frames with a valid channel decode to the typed command, data as object or text',
    arbitrary: fc.record({
      channel: fc.stringMatching(/^(private-|presence-)?[A-Za-z0-9_\-=@,.;]{1,60}$/),
      auth: fc.option(text, { nil: undefined }),
      channelData: fc.option(text, { nil: undefined }),
      asText: fc.boolean(),
    }),
    check({ channel, auth, channelData, asText }) {
      const data = { channel, auth, channel_data: channelData };
      const frame = JSON.stringify({ event: 'pusher:subscribe', data: asText ? JSON.stringify(data) : data });
      const decoded = decodeFrame(frame, MAX_JSON_DEPTH);
      assert.ok(decoded.ok, show(decoded));
      assert.deepEqual(decoded.command, { kind: 'subscribe', channel, auth, channelData });
    },
  }),
  property({
    dialect: 'pusher',
    name: 'any publication renders to {event, channel, data} with data a string',
    arbitrary: fc.record({
      channel: fc.string({ minLength: 1, maxLength: 40 }),
      event: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
      data: anyJson,
    }),
    check({ channel, event, data }) {
      const p = { channel, event, ord: 1, time: 0, data } as Publication;
      const wire = JSON.parse(renderEvent(p));
      const expected = typeof data === 'string' ? data : JSON.stringify(data);
      assert.deepEqual(wire, { event: event ?? 'message', channel, data: expected });
    },
  }),
];
