import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ChatErrorCode } from '../../src/dialects/chat/codec.js';
import { MeshErrorCode } from '../../src/dialects/mesh/errors.js';
import { PusherCode } from '../../src/dialects/pusher/protocol.js';
import { RocketErrorId } from '../../src/dialects/rocket/errors.js';
import { SiteErrorCode } from '../../src/dialects/site/codec.js';

// docs/errors.md promises every error a client can see; this keeps the promise when a dialect
// gains a code. Each code must appear in its dialect's section as a table cell: `code`.
const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}`);
  assert.ok(start >= 0, `docs/errors.md has a "## ${heading}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

const cases: [string, Record<string, string | number>][] = [
  ['site', SiteErrorCode],
  ['mesh', MeshErrorCode],
  ['rocket', RocketErrorId],
  ['chat', ChatErrorCode],
  ['pusher', PusherCode],
];

describe('docs/errors.md lists every client-visible error code', () => {
  for (const [dialect, codes] of cases) {
    it(`lists every ${dialect} code in the ${dialect} section`, () => {
      const text = section(dialect);
      const missing = Object.values(codes).filter((code) => !text.includes(`| \`${code}\` |`));
      assert.deepEqual(missing, [], `${dialect} codes missing from docs/errors.md`);
    });
  }
});
