// `namespaces.N.max_channels` on the memory engine: channels that clients give history to (rocket
// broadcasts, Pusher client events) are bounded per namespace; the least recently active go with
// their history. Redis: test/cluster/rocket-channel-bound.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitHits } from '../helpers/metrics.js';
import { BOUNDED_NAMESPACES, floodRocketChannels } from './channel-bound-scenario.js';
import * as pusher from './pusher-fixtures.js';
import { useRocketServer } from './rocket-fixtures.js';

describe('rocket: channels with history are bounded per vhost (memory engine)', () => {
  const server = useRocketServer({ namespaces: BOUNDED_NAMESPACES });
  it('broadcasting to max_channels + 3 new channels evicts the 3 oldest with their history', async () => {
    await floodRocketChannels(server);
  });
});

describe('pusher: client events give history to at most max_channels channels', () => {
  const MAX = 3;
  const server = pusher.usePusherServer({
    namespaces: { ...pusher.PUSHER_NAMESPACES, app: { ...pusher.PUSHER_NAMESPACES.app, max_channels: MAX } },
  });
  it('client events on max_channels + 2 private channels evict the 2 oldest with their history', async () => {
    const a = await pusher.connect(server);
    const b = await pusher.connect(server);
    const channels = Array.from({ length: MAX + 2 }, (_, i) => `private-c${i}`);
    try {
      const hitsBefore = await limitHits(server.url, 'max_channels');
      for (const channel of channels) {
        await pusher.subscribe(a, channel);
        await pusher.subscribe(b, channel);
        a.raw.send({ event: 'client-typing', channel, data: { on: channel } });
        const got = await pusher.nextEvent(b.raw);
        assert.equal(got.event, 'client-typing');
        assert.deepEqual(got.data, { on: channel });
        await new Promise((r) => setTimeout(r, 5)); // distinct publication times
      }
      assert.equal((await limitHits(server.url, 'max_channels')) - hitsBefore, 2);
      const listed = (await server.hub.channels('app')).map((c) => c.name).sort();
      assert.deepEqual(listed, channels.slice(2).sort());
      const gone = await server.hub.history('app', 'private-c0', { last: 10 });
      assert.equal(gone.publications.length, 0);
      // An evicted channel still carries client events.
      a.raw.send({ event: 'client-typing', channel: 'private-c0', data: { on: 'again' } });
      assert.deepEqual((await pusher.nextEvent(b.raw)).data, { on: 'again' });
    } finally {
      await pusher.closeAll(a, b);
    }
  });
});
