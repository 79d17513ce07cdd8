import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OnceSet } from '../../src/core/once-set.js';

describe('OnceSet', () => {
  it('lets a key be claimed once until its TTL passes, then again', () => {
    let now = 10_000;
    const set = new OnceSet(() => now);
    assert.equal(set.claim('a', 500), true);
    assert.equal(set.claim('a', 500), false);
    assert.equal(set.claim('b', 500), true);
    now += 499;
    assert.equal(set.claim('a', 500), false);
    now += 1;
    assert.equal(set.claim('a', 500), true);
  });

  it('forgets expired keys in its sweep, so memory stays bounded', () => {
    let now = 10_000;
    const set = new OnceSet(() => now);
    for (let i = 0; i < 1000; i++) set.claim(`k${i}`, 100);
    assert.equal(set.size, 1000);
    now += 2000;
    set.claim('fresh', 100);
    assert.equal(set.size, 1);
  });
});
