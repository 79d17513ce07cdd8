// A publication reaches subscribers of every dialect (SPEC §1: one hub), so whatever data one
// dialect accepts must render in all four wire formats. Throws what a renderer throws.
import assert from 'node:assert/strict';
import type { Publication } from '../../src/core/types.js';
import { renderMessage } from '../../src/dialects/chat/codec.js';
import { renderRawFrame } from '../../src/dialects/mesh/codec.js';
import { renderPublication } from '../../src/dialects/rocket/codec.js';
import { encodeMessage } from '../../src/dialects/site/codec.js';

export function renderEverywhere(data: unknown, channel = 'fuzz'): void {
  const p = { channel, ord: 1, time: 0, data } as Publication;
  assert.equal(typeof JSON.parse(encodeMessage(p).toString('utf8')), 'object');
  assert.equal(typeof JSON.parse(renderPublication(p).toString('utf8')), 'object');
  assert.ok(Buffer.isBuffer(renderRawFrame(p).data));
  assert.equal(typeof JSON.parse(renderMessage(p, 'ns', true)).text, 'string');
}
