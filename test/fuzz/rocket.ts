// Fuzz properties of the rocket codec (docs/protocol/rocket.md): every frame, whatever the session's rights, gets
// a typed command or `{"err": ID}` with ID from the rocket error list, never an exception.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import type { Publication } from '../../src/core/types.js';
import { type Access, decodeFrame, renderPublication } from '../../src/dialects/rocket/codec.js';
import { encodeError, RocketErrorId } from '../../src/dialects/rocket/errors.js';
import { Permission } from '../../src/dialects/rocket/permissions.js';
import { anyJson, deeplyMutated, type Frame, hostileFrame, lenientText, nastyString } from './arbitraries.js';
import { property, show } from './property.js';
import { renderEverywhere } from './render-everywhere.js';

const ERROR_IDS = new Set<string>(Object.values(RocketErrorId));
/** The ids the codec itself may produce; the rest need server state (users, channels, backends). */
const CODEC_IDS = new Set<string>([
  RocketErrorId.invalidPayload,
  RocketErrorId.undefinedEvent,
  RocketErrorId.invalidUserName,
  RocketErrorId.accessDenied,
  RocketErrorId.invalidChannelName,
  RocketErrorId.invalidEventName,
]);

const name = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((s) => /^[^\p{Cc}\p{Cs}]{1,255}$/u.test(s));
const userName = fc.stringMatching(/^[A-Za-z0-9_.@-]{1,64}$/);

export const rocketTemplates: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ authenticate: fc.record({ user: userName, secret: fc.string({ maxLength: 10 }) }) }),
  fc.record({ subscribe: fc.record({ channel: name }) }),
  fc.record({ unsubscribe: fc.record({ channel: name }) }),
  fc.record({ broadcast: fc.record({ event: name, channel: name, data: anyJson }) }),
  fc.record({ trigger: fc.record({ event: name, data: anyJson }) }),
  fc.constantFrom({ logout: true }, { disconnect: true }, { logout: {} }),
);

function access(permissions: readonly string[] | undefined): Access {
  return {
    authenticated: permissions !== undefined,
    can: (p: Permission) => permissions?.includes(p) ?? false,
  };
}

const accessArb = fc.constantFrom<readonly string[] | undefined>(
  undefined,
  [],
  [Permission.read],
  [Permission.write],
  [Permission.read, Permission.write, Permission.manage],
);

/** Assert `wire` is a rocket error reply (exported for the server-level fuzz). */
export function assertRocketError(wire: unknown, ids: Set<string> = ERROR_IDS): void {
  assert.ok(
    typeof wire === 'object' && wire !== null && !Array.isArray(wire),
    `not an object: ${show(wire)}`,
  );
  const r = wire as Record<string, unknown>;
  assert.ok(typeof r.err === 'string' && ids.has(r.err), `unknown err: ${show(wire)}`);
  if ('additional_info' in r) assert.equal(typeof r.additional_info, 'string');
  if (r.err === RocketErrorId.undefinedEvent) assert.equal(typeof r.event, 'string', show(wire));
  else assert.ok(!('event' in r), show(wire));
  for (const key of Object.keys(r))
    assert.ok(['err', 'additional_info', 'event'].includes(key), `extra key ${key}`);
}

const NEEDS: Record<string, string | undefined> = {
  subscribe: Permission.read,
  unsubscribe: Permission.read,
  broadcast: Permission.write,
  trigger: Permission.write,
};

type RocketCase = { frame: Frame; permissions: readonly string[] | undefined };

/** The hostile-frame property: a command the rights allow, or a rocket error; never a throw. */
function checkRocketFrame({ frame, permissions }: RocketCase): void {
  const decoded = decodeFrame(lenientText(frame), access(permissions));
  if (!decoded.ok) {
    const wire = JSON.parse(encodeError(decoded.error));
    assertRocketError(wire, CODEC_IDS);
    if (wire.err === RocketErrorId.undefinedEvent) {
      const parsed = JSON.parse(lenientText(frame));
      assert.deepEqual([wire.event], Object.keys(parsed), 'event names the one key sent');
    }
    return;
  }
  const c = decoded.command;
  const needed = NEEDS[c.kind];
  if (needed) assert.ok(permissions?.includes(needed), `${c.kind} accepted without ${needed}`);
  if (c.kind === 'logout') assert.ok(permissions !== undefined, 'logout accepted unauthenticated');
  if ('channel' in c) assert.ok(/^[^\p{Cc}\p{Cs}]{1,255}$/u.test(c.channel), show(c.channel));
  if ('event' in c) assert.ok(/^[^\p{Cc}\p{Cs}]{1,255}$/u.test(c.event), show(c.event));
}

export const rocketProperties = [
  property({
    dialect: 'rocket',
    name: 'hostile frames never throw; every refusal is {"err": ID} from the list',
    weight: 3,
    arbitrary: fc.record({ frame: hostileFrame(rocketTemplates), permissions: accessArb }),
    check: checkRocketFrame,
  }),
  property({
    dialect: 'rocket',
    name: 'values nested 4,000-30,000 deep are refused with INVALID_PAYLOAD "nested too deeply"',
    weight: 0.3,
    arbitrary: fc.record({
      frame: deeplyMutated(rocketTemplates).map((text): Frame => ({ binary: false, text })),
      permissions: accessArb,
    }),
    check(value: RocketCase) {
      checkRocketFrame(value);
      const decoded = decodeFrame(lenientText(value.frame), access(value.permissions));
      if (decoded.ok && 'data' in decoded.command) renderEverywhere(decoded.command.data);
      assert.ok(!decoded.ok, 'a deep message is refused');
      assert.deepEqual(decoded.error, {
        err: RocketErrorId.invalidPayload,
        additional_info: `message is nested too deeply (max ${MAX_JSON_DEPTH} levels)`,
      });
    },
  }),
  property({
    dialect: 'rocket',
    name: 'valid commands decode to the typed command',
    arbitrary: fc.record({ template: rocketTemplates, spaces: fc.boolean() }),
    check({ template, spaces }) {
      const text = JSON.stringify(template, null, spaces ? 2 : undefined);
      const decoded = decodeFrame(text, access([Permission.read, Permission.write]));
      assert.ok(decoded.ok, show(decoded.ok ? null : decoded.error));
      const [event, payload] = Object.entries(template)[0] as [string, Record<string, unknown>];
      const expected: Record<string, unknown> = { kind: event };
      if (event === 'authenticate') Object.assign(expected, { user: payload.user, secret: payload.secret });
      if (event === 'subscribe' || event === 'unsubscribe') expected.channel = payload.channel;
      if (event === 'broadcast' || event === 'trigger') {
        expected.event = payload.event;
        if (event === 'broadcast') expected.channel = payload.channel;
        expected.data = JSON.parse(JSON.stringify(payload.data ?? null));
      }
      assert.deepEqual(decoded.command, expected);
    },
  }),
  property({
    dialect: 'rocket',
    name: 'names outside the rule are refused with the matching error',
    arbitrary: fc.record({
      bad: fc.oneof(
        fc.constantFrom('', '\u0000', 'a\nb', '\u007f', 'x'.repeat(256), '\ud800'),
        nastyString.filter((s) => !/^[^\p{Cc}\p{Cs}]{1,255}$/u.test(s)),
      ),
      where: fc.constantFrom('subscribe', 'broadcast-event', 'broadcast-channel', 'trigger'),
    }),
    check({ bad, where }) {
      const frame =
        where === 'subscribe'
          ? { subscribe: { channel: bad } }
          : where === 'trigger'
            ? { trigger: { event: bad } }
            : where === 'broadcast-event'
              ? { broadcast: { event: bad, channel: 'c' } }
              : { broadcast: { event: 'e', channel: bad } };
      const decoded = decodeFrame(JSON.stringify(frame), access([Permission.read, Permission.write]));
      assert.ok(!decoded.ok, `accepted ${show(bad)}`);
      const want =
        where === 'subscribe' || where === 'broadcast-channel'
          ? 'INVALID_CHANNEL_NAME'
          : 'INVALID_EVENT_NAME';
      assert.equal(decoded.error.err, want);
    },
  }),
  property({
    dialect: 'rocket',
    name: 'any publication renders to {event, channel, data}',
    arbitrary: fc.record({ channel: name, event: fc.option(name, { nil: undefined }), data: anyJson }),
    check({ channel, event, data }) {
      const p = { channel, event, ord: 1, time: 0, data } as Publication;
      const wire = JSON.parse(renderPublication(p).toString('utf8'));
      assert.deepEqual(wire, { event: event ?? 'message', channel, data: JSON.parse(JSON.stringify(data)) });
    },
  }),
];
