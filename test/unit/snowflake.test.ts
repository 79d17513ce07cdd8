import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeOfClientId, SNOWFLAKE_EPOCH, SnowflakeGenerator } from '../../src/core/snowflake.js';
import { Ring } from '../../src/engines/memory/ring.js';

describe('snowflake client ids', () => {
  it('encodes time, node id and sequence as the snowflake layout has them', () => {
    const before = BigInt(Date.now());
    const id = BigInt(new SnowflakeGenerator(513).next());
    const ms = (id >> 22n) + SNOWFLAKE_EPOCH;
    assert.ok(ms >= before && ms <= BigInt(Date.now()));
    assert.equal(Number((id >> 12n) & 1023n), 513);
    assert.equal(nodeOfClientId(id.toString()), 513);
  });

  it('never repeats, even for 10,000 ids in the same millisecond range', () => {
    const gen = new SnowflakeGenerator(1);
    const ids = Array.from({ length: 10_000 }, () => gen.next());
    assert.equal(new Set(ids).size, ids.length);
    const sorted = [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    assert.deepEqual(sorted, ids, 'increasing');
  });

  it('refuses node ids outside 0..1023 and reads no node from garbage', () => {
    assert.throws(() => new SnowflakeGenerator(1024));
    assert.throws(() => new SnowflakeGenerator(-1));
    assert.equal(nodeOfClientId('abc'), undefined);
    assert.equal(nodeOfClientId('99999999999999999999999'), undefined);
  });
});

describe('history ring', () => {
  it('keeps the newest entries up to its capacity', () => {
    const r = new Ring<number>(3);
    for (let i = 0; i < 5; i++) r.push(i);
    assert.deepEqual(r.slice(0), [2, 3, 4]);
    assert.equal(r.at(0), 2);
    assert.deepEqual(r.resized(2).slice(0), [3, 4]);
    assert.deepEqual(r.resized(5).slice(0), [2, 3, 4]);
  });
});
