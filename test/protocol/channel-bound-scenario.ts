// The rocket side of `namespaces.N.max_channels`, shared by the memory-engine test
// (test/protocol/channel-bound.test.ts) and the Redis one (test/cluster/rocket-channel-bound.test.ts):
// one WRITE user subscribes to ever new channels and broadcasts to each, in raw rocket frames.
import assert from 'node:assert/strict';
import { limitHits } from '../helpers/metrics.js';
import type { RawClient } from '../helpers/ws-client.js';
import {
  closeAll,
  connectAs,
  ROCKET_NAMESPACES,
  type RocketTestServer,
  subscribe,
} from './rocket-fixtures.js';

export const MAX_CHANNELS = 5;
export const EXTRA = 3;

/** ROCKET_NAMESPACES with the app vhost bounded to MAX_CHANNELS channels. */
export const BOUNDED_NAMESPACES = {
  ...ROCKET_NAMESPACES,
  app: { ...ROCKET_NAMESPACES.app, max_channels: MAX_CHANNELS },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function broadcast(sender: RawClient, channel: string, data: unknown): Promise<void> {
  sender.send({ broadcast: { event: 'e', channel, data } });
  assert.deepEqual(await sender.next(), { event: 'e', channel, data });
  assert.deepEqual(await sender.next(), { broadcasted: channel });
}

const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `ch-${from + i}`);

/**
 * Broadcasts to MAX_CHANNELS + EXTRA new channels: the EXTRA oldest lose their history and leave
 * the listing, /metrics counts each eviction, and every channel still carries broadcasts.
 * `historyGone`, when given, looks in the engine's own store (Redis keys) for the channel's history.
 */
export async function floodRocketChannels(
  server: RocketTestServer,
  historyGone?: (channel: string) => Promise<boolean>,
): Promise<void> {
  const writer = await connectAs(server, 'writer');
  const reader = await connectAs(server, 'reader');
  const all = names(0, MAX_CHANNELS + EXTRA);
  const newest = all[all.length - 1]!;
  await subscribe(reader, newest);
  try {
    const hitsBefore = await limitHits(server.url, 'max_channels');
    const big = 'x'.repeat(5_000);
    for (const channel of all) {
      await subscribe(writer, channel);
      await broadcast(writer, channel, big);
      await sleep(5); // distinct publication times: "least recently active" is then unambiguous
    }
    assert.deepEqual(await reader.next(), { event: 'e', channel: newest, data: big });

    assert.equal((await limitHits(server.url, 'max_channels')) - hitsBefore, EXTRA, 'each eviction counted');
    const listed = (await server.hub.channels('app')).map((c) => c.name).sort();
    assert.deepEqual(listed, names(EXTRA, MAX_CHANNELS + EXTRA).sort(), 'the newest channels are kept');
    for (const channel of names(0, EXTRA)) {
      const { publications } = await server.hub.history('app', channel, { last: 10 });
      assert.equal(publications.length, 0, `${channel}: its history went with it`);
      if (historyGone) assert.ok(await historyGone(channel), `${channel}: nothing left in the engine`);
    }
    for (const channel of names(EXTRA, MAX_CHANNELS + EXTRA)) {
      const { publications } = await server.hub.history('app', channel, { last: 10 });
      assert.equal(publications.length, 1, `${channel} keeps its history`);
      if (historyGone) assert.ok(!(await historyGone(channel)), `${channel}: still stored`);
    }

    // Kept channels still carry broadcasts, and an evicted one can be used again (evicting the
    // least recently active one in its turn).
    await broadcast(writer, newest, 'again');
    assert.deepEqual(await reader.next(), { event: 'e', channel: newest, data: 'again' });
    await broadcast(writer, 'ch-0', 'back');
    assert.equal((await limitHits(server.url, 'max_channels')) - hitsBefore, EXTRA + 1);
    const after = (await server.hub.channels('app')).map((c) => c.name);
    assert.ok(after.includes('ch-0') && !after.includes(`ch-${EXTRA}`), `listed: ${after}`);
    assert.equal(after.length, MAX_CHANNELS);
  } finally {
    await closeAll(writer, reader);
  }
}
