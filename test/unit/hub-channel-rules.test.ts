import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelNameProblem } from '../../src/core/channel-name.js';
import { HubError } from '../../src/core/errors.js';
import { Hub, type HubOptions } from '../../src/core/hub.js';
import type { Engine } from '../../src/engines/engine.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';

const sink = { deliver: () => true, sendRaw: () => true, close: () => {} };

async function makeHub(engine: Engine = new MemoryEngine(1), options: HubOptions = {}) {
  const hub = new Hub(
    engine,
    new Map([['ns', { name: 'ns', historySize: 10, topicSize: 10, topicBytes: 1 << 20, maxTopics: 5 }]]),
    options,
  );
  await hub.start();
  return hub;
}

const code = (c: string) => (err: unknown) => err instanceof HubError && err.code === c;

describe('hub: channel names and the per-connection channel limit', () => {
  it('channelNameProblem: 1-255 code points, no C0/DEL/C1 control characters or lone surrogates', () => {
    for (const ok of ['a', 'n'.repeat(255), '🎉'.repeat(255), 'a b/c:d', 'été']) {
      assert.equal(channelNameProblem(ok), undefined, ok);
    }
    for (const bad of [
      '',
      'n'.repeat(256),
      '🎉'.repeat(256),
      'a\nb',
      '\u0000',
      '\u007f',
      '\u009f',
      'x\ud800',
    ]) {
      assert.notEqual(channelNameProblem(bad), undefined, JSON.stringify(bad));
    }
  });

  it('subscribe refuses a bad name with invalid_channel, and the limit with too_many_channels', async () => {
    const hub = await makeHub(new MemoryEngine(1), { maxChannelsPerConnection: 2 });
    const conn = hub.register({ namespace: 'ns', dialect: 'test', sink });
    await assert.rejects(hub.subscribe(conn, 'bad\u0001'), code('invalid_channel'));
    await hub.subscribe(conn, 'a');
    await hub.subscribe(conn, 'b');
    await assert.rejects(hub.subscribe(conn, 'c'), code('too_many_channels'));
    // Already subscribed stays already_subscribed, not a limit error.
    await assert.rejects(hub.subscribe(conn, 'a'), code('already_subscribed'));
    await hub.unsubscribe(conn, 'a');
    await hub.subscribe(conn, 'c');
    assert.deepEqual([...conn.subscriptions.keys()].sort(), ['b', 'c']);
    // The limit is per connection.
    const other = hub.register({ namespace: 'ns', dialect: 'test', sink });
    await hub.subscribe(other, 'a');
    await hub.subscribe(other, 'b');
  });

  it('claimOnce falls back to a node-local set for engines without one, scoped by namespace', async () => {
    const engine = new MemoryEngine(1) as Engine;
    Object.defineProperty(engine, 'claimOnce', { value: undefined });
    const hub = await makeHub(engine);
    assert.equal(await hub.claimOnce('ns', 'k', 1000), true);
    assert.equal(await hub.claimOnce('ns', 'k', 1000), false);
    assert.equal(await hub.claimOnce('other', 'k', 1000), true);
  });
});
