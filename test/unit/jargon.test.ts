/**
 * The repository talks about the product: what a reader of src/, docs/ or the README meets must be
 * explained there. Words that only made sense in the project's planning (a "seed" document, a
 * "SPEC §" section, an "issue N") fail this test, and so does a file naming CONNMIX without saying
 * what it is (a WebSocket gateway) where it first names it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// dist/test/unit/jargon.test.js → the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TEXT = /\.(ts|js|mjs|md|html|css|json|ya?ml)$/;

function walk(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path).flatMap((name) => walk(join(path, name)));
}

const FILES = ['src', 'docs', 'README.md'].flatMap((p) => walk(join(ROOT, p))).filter((f) => TEXT.test(f));

/**
 * The rest of the repository is the product too, but there "seed" has meanings of its own (a
 * fuzz run's random seed, the seed nodes of a Redis Cluster): only the planning phrasings fail
 * (this file excepted, whose samples must hold them).
 */
const OTHER_FILES = ['test', 'bench', 'examples', 'scripts', 'deploy', 'web']
  .flatMap((p) => walk(join(ROOT, p)))
  .filter((f) => TEXT.test(f) && !f.endsWith('jargon.test.ts'));
const OTHER_BANNED: Array<[RegExp, string]> = [
  [/\bseeds? \d{3}\b|\b[Tt]he seeds?(?:'s|’s)?\b(?! (?:node|value|of the run))/g, 'seed'],
  [/\bSPEC\b/g, 'SPEC'],
  [/\bissues? \d+/gi, 'issue number'],
];

const BANNED: Array<[RegExp, string]> = [
  // `FUZZ_SEED` (a variable name) does not match: `_` is a word character.
  [/\bseeds?\b/gi, 'seed'],
  [/\bSPEC\b/g, 'SPEC'],
  [/\bissues? #?\d+/gi, 'issue number'],
];

function hits(text: string, re: RegExp): string[] {
  return [...text.matchAll(re)].map((m) => {
    const line = text.slice(0, m.index).split('\n').length;
    return `line ${line}: …${text.slice(Math.max(0, m.index - 30), m.index + 30).replace(/\n/g, ' ')}…`;
  });
}

describe('the repository explains itself', () => {
  test(`src/, docs/ and README.md (${FILES.length} files) hold no planning jargon`, () => {
    assert.ok(FILES.length > 50, 'the walk found the sources');
    const found: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(file, 'utf8');
      for (const [re, what] of BANNED) {
        for (const hit of hits(text, re)) found.push(`${relative(ROOT, file)} ${hit} (${what})`);
      }
    }
    assert.deepEqual(found, []);
  });

  test(`test/, bench/, examples/, scripts/, deploy/, web/ (${OTHER_FILES.length} files) hold no planning jargon`, () => {
    assert.ok(OTHER_FILES.length > 50, 'the walk found the files');
    const found: string[] = [];
    for (const file of OTHER_FILES) {
      const text = readFileSync(file, 'utf8');
      for (const [re, what] of OTHER_BANNED) {
        for (const hit of hits(text, re)) found.push(`${relative(ROOT, file)} ${hit} (${what})`);
      }
    }
    assert.deepEqual(found, []);
  });

  test('a file naming CONNMIX says it was a WebSocket gateway where it first names it', () => {
    const found: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(file, 'utf8');
      const first = text.indexOf('CONNMIX');
      if (first < 0) continue;
      const around = text.slice(Math.max(0, first - 120), first + 160);
      if (!/gateway/i.test(around)) found.push(`${relative(ROOT, file)} ${hits(text, /CONNMIX/g)[0]}`);
    }
    assert.deepEqual(found, []);
  });

  test('the checks catch what they are for', () => {
    const sample = 'As the seed says (SPEC §4, issue 12); FUZZ_SEED=3 is fine.';
    assert.deepEqual(
      BANNED.map(([re]) => hits(sample, re).length),
      [1, 1, 1],
    );
    const other =
      'Rocket (seed 002), as the seed does (SPEC §7, issue 8); a fixed seed and seeds: [] are fine.';
    assert.deepEqual(
      OTHER_BANNED.map(([re]) => hits(other, re).length),
      [2, 1, 1],
    );
  });
});
