// The secrets gen-config and the demo setup write are pasted into command lines
// (`switchboard ctl --key "$KEY"`): none may start with `-`, which would read as an option.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomSecret } from '../../src/app/demo-config.js';

describe('randomSecret', () => {
  test('is 32 base64url characters and never starts with "-"', () => {
    // A leading "-" would come up about once in 64 draws: 4000 draws would all but surely hold one.
    for (let i = 0; i < 4000; i++) {
      const s = randomSecret();
      assert.match(s, /^[A-Za-z0-9_][A-Za-z0-9_-]{31}$/);
    }
  });
});
