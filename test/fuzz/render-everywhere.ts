// A publication reaches subscribers of every dialect (one hub), so whatever data one dialect
// accepts must render in all five wire formats. Throws what a renderer throws.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../src/core/json-depth.js';
import type { Publication } from '../../src/core/types.js';
import { renderMessage } from '../../src/dialects/chat/codec.js';
import { renderRawFrame } from '../../src/dialects/mesh/codec.js';
import { renderEvent } from '../../src/dialects/pusher/render.js';
import { renderPublication } from '../../src/dialects/rocket/codec.js';
import { encodeMessage } from '../../src/dialects/site/codec.js';
import { DEEP_DEPTHS } from './arbitraries.js';

export function renderEverywhere(data: unknown, channel = 'fuzz'): void {
  const p = { channel, ord: 1, time: 0, data } as Publication;
  assert.equal(typeof JSON.parse(encodeMessage(p).toString('utf8')), 'object');
  assert.equal(typeof JSON.parse(renderPublication(p).toString('utf8')), 'object');
  assert.ok(Buffer.isBuffer(renderRawFrame(p).data));
  assert.equal(typeof JSON.parse(renderMessage(p, 'ns', true)).text, 'string');
  assert.equal(typeof JSON.parse(renderEvent(p)).data, 'string');
}

/**
 * Data nested `depth` levels (arrays, objects or both), kept as text: fast-check's printing of a
 * counterexample would itself overflow on a parsed deep value. Depths cluster around the default
 * limit (limits.max_json_depth) and span the 4,000-30,000 levels where JSON.stringify overflows.
 */
export const nestedData: fc.Arbitrary<{ text: string; depth: number }> = fc
  .record({
    depth: fc.oneof(
      fc.integer({ min: 0, max: MAX_JSON_DEPTH + 8 }),
      fc.integer({ min: DEEP_DEPTHS.minDepth, max: DEEP_DEPTHS.maxDepth }),
    ),
    kind: fc.constantFrom('array', 'object', 'mixed'),
  })
  .map(({ depth, kind }) => {
    const isArray = (i: number) => kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    const head: string[] = [];
    const tail: string[] = [];
    for (let i = 0; i < depth; i++) {
      head.push(isArray(i) ? '[' : '{"a":');
      tail.push(isArray(i) ? ']' : '}');
    }
    return { text: `${head.join('')}"x"${tail.reverse().join('')}`, depth };
  });

/**
 * The guard every entry point applies (readJson, the codecs, Hub.publish): `value`, holding the
 * data `depth` levels further down, is refused exactly when it is deeper than the limit; what
 * passes renders in every dialect.
 */
export function guardedRender(value: unknown, depth: number, data: () => unknown): void {
  const refused = jsonDepthExceeds(value, MAX_JSON_DEPTH);
  assert.equal(refused, depth > MAX_JSON_DEPTH, `depth ${depth}: refused ${refused}`);
  if (!refused) renderEverywhere(data());
}
