// Property-based fuzzing of every dialect's codec, sized for `npm test` (a few thousand cases in
// a few seconds); `npm run fuzz` runs the same properties with over 100,000 cases. A property
// that fails because of a reported bug (`knownBug`) is a todo here, still run and still reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_PROPERTIES, runsFor } from '../fuzz/all-properties.js';
import { runProperty } from '../fuzz/property.js';

const PER_DIALECT = Number(process.env.FUZZ_TEST_RUNS_PER_DIALECT ?? 1_000);

for (const p of ALL_PROPERTIES) {
  const options = p.knownBug ? { todo: `known bug: ${p.knownBug}` } : {};
  test(`fuzz ${p.dialect}: ${p.name}`, options, () => {
    const { failure } = runProperty(p, runsFor(p, PER_DIALECT));
    assert.equal(failure, undefined, failure);
  });
}
