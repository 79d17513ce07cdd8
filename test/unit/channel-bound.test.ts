// ChannelBound on a real hub over the memory engine: past the bound, new channels evict the least
// recently active ones, also when the evictions come from one listing's snapshot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelBound } from '../../src/core/channel-bound.js';
import { Hub } from '../../src/core/hub.js';
import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';

const MAX = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function boundedHub() {
  const hub = new Hub(
    new MemoryEngine(1),
    new Map([['ns', { name: 'ns', historySize: 10, topicSize: 10, topicBytes: 1 << 20, maxTopics: 5 }]]),
    {},
  );
  await hub.start();
  const bound = new ChannelBound(hub, 'ns', MAX, 'test_channel_bound');
  /** What a dialect does for a client's publication: admit, then publish. */
  const post = async (channel: string) => {
    const name = await bound.admit(channel);
    await hub.publish('ns', name, { data: channel });
    await sleep(3); // distinct publication times, so "least recently active" is unambiguous
  };
  const listed = async () => (await hub.channels('ns')).map((c) => c.name).sort();
  return { hub, post, listed };
}

describe('ChannelBound', () => {
  it('keeps a channel published to after the listing, evicting the next-oldest instead', async () => {
    const { hub, post, listed } = await boundedHub();
    try {
      for (let i = 0; i < MAX; i++) await post(`ch-${i}`);
      await post('ch-5'); // full: lists the namespace, evicts ch-0
      assert.deepEqual(await listed(), ['ch-1', 'ch-2', 'ch-3', 'ch-4', 'ch-5']);
      await post('ch-1'); // ch-1 is now the most recently active
      await post('ch-6'); // evicts the oldest untouched one: ch-2
      assert.deepEqual(await listed(), ['ch-1', 'ch-3', 'ch-4', 'ch-5', 'ch-6']);
      await post('ch-7');
      assert.deepEqual(await listed(), ['ch-1', 'ch-4', 'ch-5', 'ch-6', 'ch-7']);
    } finally {
      await hub.closeEngine();
    }
  });

  it('stays at its bound through many new channels, each evicting the least recently active', async () => {
    const { hub, post, listed } = await boundedHub();
    try {
      for (let i = 0; i < 40; i++) await post(`ch-${i}`);
      assert.deepEqual(await listed(), ['ch-35', 'ch-36', 'ch-37', 'ch-38', 'ch-39']);
      // Past the snapshot's age the next eviction lists afresh, with the same result.
      await sleep(1100);
      await post('ch-0');
      assert.deepEqual(await listed(), ['ch-0', 'ch-36', 'ch-37', 'ch-38', 'ch-39']);
    } finally {
      await hub.closeEngine();
    }
  });
});
