// Fuzz properties of the site codec (docs/protocol/site.md): every frame gets either a typed request or an
// error response `{"response":"error","req_id"?,"body":"..."}`, never an exception.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import type { JsonValue, Publication } from '../../src/core/types.js';
import {
  BINARY_FRAME_ERROR,
  type DecodeResult,
  decodeRequest,
  encodeError,
  encodeMessage,
  encodeOk,
} from '../../src/dialects/site/codec.js';
import { anyJson, deeplyMutated, type Frame, hostileFrame, nastyString } from './arbitraries.js';
import { property, show } from './property.js';
import { guardedRender, nestedData } from './render-everywhere.js';

const nonEmpty = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
const reqIdArb = fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: undefined });

/** Well-formed subscribe and unsubscribe requests, as objects (req_id possibly absent or null). */
export const siteTemplates: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record(
    {
      request: fc.constant('subscribe'),
      req_id: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(null)),
      body: fc.record(
        {
          channel: nonEmpty,
          after: fc.oneof(fc.constant(-1), fc.constant(0), fc.integer({ min: 1 }), fc.constant(null)),
          token: nonEmpty,
          auth: nonEmpty,
        },
        { requiredKeys: ['channel', 'token', 'auth'] },
      ),
    },
    { requiredKeys: ['request', 'body'] },
  ),
  fc.record(
    {
      request: fc.constant('unsubscribe'),
      req_id: fc.string({ maxLength: 10 }),
      body: fc.record({ channel: nonEmpty }),
    },
    { requiredKeys: ['request', 'body'] },
  ),
);

/** The session's handling of one frame, without I/O: binary frames are refused before decoding. */
export function decodeFrame(f: Frame): DecodeResult {
  return f.binary ? { ok: false, error: BINARY_FRAME_ERROR } : decodeRequest(f.text);
}

function parsedObject(f: Frame): Record<string, unknown> | undefined {
  if (f.binary) return undefined;
  try {
    const v: unknown = JSON.parse(f.text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Assert `wire` is a site error response for frame `f` (exported for the server-level fuzz). */
export function assertSiteError(wire: unknown, sentReqId: unknown): void {
  assert.ok(
    typeof wire === 'object' && wire !== null && !Array.isArray(wire),
    `not an object: ${show(wire)}`,
  );
  const r = wire as Record<string, unknown>;
  assert.equal(r.response, 'error', show(wire));
  assert.equal(typeof r.body, 'string', show(wire));
  assert.ok((r.body as string).length > 0, 'empty error message');
  for (const key of Object.keys(r))
    assert.ok(['response', 'req_id', 'body'].includes(key), `extra key ${key}`);
  if (typeof sentReqId === 'string') assert.equal(r.req_id, sentReqId, 'a readable string req_id is echoed');
  if (sentReqId === undefined || sentReqId === null)
    assert.ok(!('req_id' in r), `req_id invented: ${show(wire)}`);
  // Echoed as JSON can carry it: a number past the double range (1e400) parses as Infinity and
  // goes back as null.
  if ('req_id' in r)
    assert.deepEqual(r.req_id, JSON.parse(JSON.stringify(sentReqId)), 'req_id echoes what was sent');
}

/** The hostile-frame property: a typed, sane request or an error response; never a throw. */
function checkSiteFrame(f: Frame): void {
  const decoded = decodeFrame(f);
  if (decoded.ok) {
    const r = decoded.request;
    assert.ok(typeof r.channel === 'string' && r.channel.length > 0);
    assert.ok(r.reqId === undefined || typeof r.reqId === 'string');
    if (r.kind === 'subscribe') {
      assert.ok(Number.isSafeInteger(r.after) && r.after >= -1, `after ${r.after}`);
      assert.ok(r.token.length > 0 && r.auth.length > 0);
    }
    JSON.parse(encodeOk(r.reqId));
    return;
  }
  assertSiteError(JSON.parse(encodeError(decoded.error)), parsedObject(f)?.req_id);
}

export const siteProperties = [
  property<Frame>({
    dialect: 'site',
    name: 'hostile frames never throw; every refusal is an error response',
    weight: 3,
    arbitrary: hostileFrame(siteTemplates),
    check: checkSiteFrame,
  }),
  property<Frame>({
    dialect: 'site',
    name: 'values nested 4,000-30,000 deep (req_id, body fields) get an error response',
    weight: 0.3,
    arbitrary: deeplyMutated(siteTemplates).map((text): Frame => ({ binary: false, text })),
    check(f) {
      checkSiteFrame(f);
      const decoded = decodeFrame(f);
      assert.ok(!decoded.ok, 'a deep request is refused');
      assert.equal(decoded.error.message, `request is nested too deeply (max ${MAX_JSON_DEPTH} levels)`);
    },
  }),
  property({
    dialect: 'site',
    name: `a /post body deeper than ${MAX_JSON_DEPTH} levels is refused; any message shallower renders in every dialect`,
    weight: 0.2,
    arbitrary: nestedData,
    check({ text, depth }) {
      const body = JSON.parse(`{"channel":"c","message":${text},"token":"t","auth":"a"}`);
      guardedRender(body, depth + 1, () => body.message);
    },
  }),
  property({
    dialect: 'site',
    name: 'valid requests decode to the typed request',
    arbitrary: fc.record({
      kind: fc.constantFrom('subscribe', 'unsubscribe'),
      reqId: reqIdArb,
      nullReqId: fc.boolean(),
      channel: fc.oneof(
        nonEmpty,
        nastyString.filter((s) => s.length > 0),
      ),
      after: fc.option(fc.oneof(fc.constant(-1), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)), {
        nil: undefined,
      }),
      token: nonEmpty,
      auth: nonEmpty,
      extra: fc.option(anyJson, { nil: undefined }),
    }),
    check(v) {
      const body: Record<string, unknown> =
        v.kind === 'subscribe'
          ? {
              channel: v.channel,
              token: v.token,
              auth: v.auth,
              ...(v.after === undefined ? {} : { after: v.after }),
            }
          : { channel: v.channel };
      if (v.extra !== undefined) body.unknown_key = v.extra;
      const frame: Record<string, unknown> = { request: v.kind, body };
      if (v.reqId !== undefined) frame.req_id = v.reqId;
      else if (v.nullReqId) frame.req_id = null;
      const decoded = decodeRequest(JSON.stringify(frame));
      assert.ok(decoded.ok, show(decoded.ok ? null : decoded.error.message));
      const expected =
        v.kind === 'subscribe'
          ? {
              kind: v.kind,
              reqId: v.reqId,
              channel: v.channel,
              after: v.after ?? 0,
              token: v.token,
              auth: v.auth,
            }
          : { kind: v.kind, reqId: v.reqId, channel: v.channel };
      assert.deepEqual(decoded.request, expected);
    },
  }),
  property({
    dialect: 'site',
    name: 'any publication renders to {message, ord, body} and parses back',
    arbitrary: fc.record({
      channel: nonEmpty,
      ord: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      data: fc.oneof(
        anyJson,
        fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      ),
    }),
    check({ channel, ord, data }) {
      const p: Publication = { channel, ord, time: 0, data: data as JsonValue };
      const wire = JSON.parse(encodeMessage(p).toString('utf8'));
      const body = Buffer.isBuffer(data) ? data.toString('base64') : JSON.parse(JSON.stringify(data));
      assert.deepEqual(wire, { message: channel, ord, body });
    },
  }),
];
