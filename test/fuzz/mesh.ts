// Fuzz properties of the mesh codec (docs/protocol/mesh.md): every request frame decodes to a typed call or to
// error 101 carrying the request's `i` when it was readable, never an exception.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import { decodeRequest, errorEnvelope, MeshMethod } from '../../src/dialects/mesh/codec.js';
import { anyJson, deeplyMutated, type Frame, hostileFrame, lenientText } from './arbitraries.js';
import { property, show } from './property.js';
import { renderEverywhere } from './render-everywhere.js';

const nonEmpty = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
const clientId = fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String);
const idArb = fc.oneof(fc.integer(), fc.string({ maxLength: 12 }), fc.constant(null));
const base64 = fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a).toString('base64'));

export const meshTemplates: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({
    m: fc.constant(MeshMethod.send),
    p: fc.oneof(
      fc.record({ c: clientId, d: anyJson.filter((d) => d !== null) }),
      fc.record({ c: clientId, d: base64, t: fc.constant('binary') }),
    ),
    i: idArb,
  }),
  fc.record({
    m: fc.constant(MeshMethod.publish),
    p: fc.record({ c: nonEmpty, d: anyJson, t: fc.constantFrom('text', null) }),
    i: idArb,
  }),
  fc.record({
    m: fc.constant(MeshMethod.pop),
    p: fc.record({ t: fc.array(nonEmpty, { minLength: 1, maxLength: 3 }) }),
    i: idArb,
  }),
  fc.record({ m: fc.constant(MeshMethod.unpop), p: fc.constant({}), i: idArb }),
  fc.record({
    m: fc.constant(MeshMethod.call),
    p: fc.record({ c: clientId, f: nonEmpty, a: fc.array(anyJson, { maxLength: 3 }) }),
    i: idArb,
  }),
);

/** The id a reply must carry for `text`: `i` (or the original gateway's `id`) when a string or finite number. */
function readableId(text: string): string | number | null {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const o = v as Record<string, unknown>;
    const raw = o.i !== undefined ? o.i : o.id;
    return typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw)) ? raw : null;
  } catch {
    return null;
  }
}

/** Assert `wire` is a mesh error envelope with code 101 and id `id` (exported for the server fuzz). */
export function assertMeshError(wire: unknown, id: string | number | null | undefined, code = 101): void {
  assert.ok(
    typeof wire === 'object' && wire !== null && !Array.isArray(wire),
    `not an object: ${show(wire)}`,
  );
  const r = wire as Record<string, any>;
  assert.equal(r.E?.c, code, show(wire));
  assert.equal(typeof r.E.m, 'string', show(wire));
  assert.ok(!('r' in r), 'an error carries no result');
  if (id !== undefined) assert.deepEqual(r.i, id, `reply id ${show(wire)}`);
}

/** The hostile-frame property: a typed call with the request's id, or 101; never a throw. */
function checkMeshFrame(f: Frame): void {
  const text = lenientText(f);
  const decoded = decodeRequest(text);
  const id = readableId(text);
  if (decoded.ok) {
    assert.deepEqual(decoded.id, id);
    assert.ok(Object.values(MeshMethod).includes(decoded.call.method));
    return;
  }
  // A non-string, non-number i cannot be echoed: the reply then carries null.
  assertMeshError(JSON.parse(JSON.stringify(errorEnvelope(decoded.error, decoded.id))), decoded.id);
  assert.ok(decoded.id === id || decoded.id === null, `id ${show(decoded.id)} vs readable ${show(id)}`);
}

export const meshProperties = [
  property<Frame>({
    dialect: 'mesh',
    name: 'hostile frames never throw; every refusal is 101 with the readable i',
    weight: 3,
    arbitrary: hostileFrame(meshTemplates),
    check: checkMeshFrame,
  }),
  property<Frame>({
    dialect: 'mesh',
    name: 'values nested 4,000-30,000 deep are refused with 101 "nested too deeply"',
    weight: 0.3,
    arbitrary: deeplyMutated(meshTemplates).map((text): Frame => ({ binary: false, text })),
    check(f) {
      checkMeshFrame(f);
      const decoded = decodeRequest(lenientText(f));
      if (decoded.ok && decoded.call.method === MeshMethod.publish) renderEverywhere(decoded.call.data);
      assert.ok(!decoded.ok, 'a deep request is refused');
      assert.equal(decoded.error.message, `request is nested too deeply (max ${MAX_JSON_DEPTH} levels)`);
    },
  }),
  property({
    dialect: 'mesh',
    name: 'valid requests decode to the typed call',
    arbitrary: fc.record({ template: meshTemplates, seedTypo: fc.boolean() }),
    check({ template, seedTypo }) {
      const frame: Record<string, unknown> = { ...template };
      if (seedTypo) {
        frame.id = frame.i;
        delete frame.i;
      }
      const decoded = decodeRequest(JSON.stringify(frame));
      assert.ok(decoded.ok, show(decoded.ok ? null : decoded.error.message));
      assert.equal(decoded.id, template.i ?? null);
      const p = template.p as Record<string, any>;
      const call = decoded.call;
      switch (call.method) {
        case MeshMethod.send: {
          assert.equal(call.client, p.c);
          if (p.t === 'binary') assert.deepEqual(call.data, Buffer.from(p.d, 'base64'));
          else assert.equal(call.data, typeof p.d === 'string' ? p.d : JSON.stringify(p.d));
          assert.equal(call.binary, p.t === 'binary');
          break;
        }
        case MeshMethod.publish:
          assert.deepEqual(call, {
            method: call.method,
            channel: p.c,
            data: JSON.parse(JSON.stringify(p.d)),
          });
          break;
        case MeshMethod.pop:
          assert.deepEqual(call.topics, p.t);
          break;
        case MeshMethod.unpop:
          break;
        case MeshMethod.call:
          assert.deepEqual(call, {
            method: call.method,
            client: p.c,
            fn: p.f,
            args: JSON.parse(JSON.stringify(p.a)),
          });
          break;
      }
    },
  }),
];
