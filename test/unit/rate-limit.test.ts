import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionLimiter } from '../../src/transport/limits.js';
import { TokenBucket } from '../../src/transport/rate-limit.js';

function fakeClock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function takeAll(bucket: TokenBucket): number {
  let n = 0;
  while (bucket.take()) n++;
  return n;
}

describe('TokenBucket', () => {
  it('starts full: allows exactly `burst` takes back to back', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, now: clock.now });
    assert.equal(takeAll(bucket), 5);
    assert.equal(bucket.take(), false);
  });

  it('refills at ratePerSec, never above burst', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 5, now: clock.now });
    takeAll(bucket);
    clock.advance(100); // one token at 10/s
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    clock.advance(250); // 2.5 tokens: two whole ones
    assert.equal(takeAll(bucket), 2);
    clock.advance(60_000);
    assert.equal(bucket.available, 5);
    assert.equal(takeAll(bucket), 5);
  });

  it('lets a client at the sustained rate through forever and cuts one above it', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSec: 100, burst: 200, now: clock.now });
    for (let i = 0; i < 10_000; i++) {
      clock.advance(10); // exactly 100/s
      assert.equal(bucket.take(), true, `take ${i}`);
    }
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      clock.advance(5); // 200/s: the burst drains at 100 a second
      if (!bucket.take()) refused++;
    }
    assert.ok(refused > 0, 'twice the rate is refused once the burst is spent');
  });

  it('does not drain when the clock steps backwards', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSec: 1, burst: 3, now: clock.now });
    clock.advance(-5000);
    assert.equal(takeAll(bucket), 3);
  });

  it('refuses nonsense options', () => {
    assert.throws(() => new TokenBucket({ ratePerSec: 0, burst: 1 }), RangeError);
    assert.throws(() => new TokenBucket({ ratePerSec: 1, burst: 0 }), RangeError);
    assert.throws(() => new TokenBucket({ ratePerSec: Number.NaN, burst: 1 }), RangeError);
  });
});

describe('ConnectionLimiter', () => {
  it('admits up to the per-IP limit and gives the slot back on release, once', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 100, maxConnectionsPerIp: 2 });
    const a = limiter.admit('10.0.0.1');
    const b = limiter.admit('::ffff:10.0.0.1'); // the same client on a dual-stack socket
    assert.ok(a.ok && b.ok);
    const c = limiter.admit('10.0.0.1');
    assert.equal(c.ok, false);
    assert.match(c.ok ? '' : c.error, /your address/);
    assert.ok(limiter.admit('10.0.0.2').ok, 'other addresses are not affected');
    a.release();
    a.release(); // idempotent: a double release must not free someone else's slot
    assert.equal(limiter.openFrom('10.0.0.1'), 1);
    assert.ok(limiter.admit('10.0.0.1').ok);
    assert.equal(limiter.admit('10.0.0.1').ok, false);
  });

  it('enforces the total across addresses and forgets addresses with no connection', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 3, maxConnectionsPerIp: 10 });
    const slots = ['1.1.1.1', '2.2.2.2', '3.3.3.3'].map((ip) => limiter.admit(ip));
    const refused = limiter.admit('4.4.4.4');
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error, /too many connections/);
    for (const s of slots) if (s.ok) s.release();
    assert.equal(limiter.open, 0);
    assert.equal(limiter.openFrom('1.1.1.1'), 0);
    assert.ok(limiter.admit('4.4.4.4').ok);
  });
});
