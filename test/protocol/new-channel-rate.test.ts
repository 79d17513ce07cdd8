// `namespaces.N.max_new_channels_per_minute`: how many channels new to the node one connection may
// give history per minute (rocket broadcasts, Pusher client events), in each dialect's own error
// shape; channels it already made, and other connections, are not held back. Raw frames.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitHits } from '../helpers/metrics.js';
import * as pusher from './pusher-fixtures.js';
import * as rocket from './rocket-fixtures.js';

const LIMIT = 'max_new_channels_per_minute';

describe('rocket: new channels one connection may broadcast to per minute', () => {
  const PER_MINUTE = 3;
  const server = rocket.useRocketServer({
    namespaces: {
      ...rocket.ROCKET_NAMESPACES,
      app: { ...rocket.ROCKET_NAMESPACES.app, max_new_channels_per_minute: PER_MINUTE },
    },
  });
  const broadcast = async (writer: Awaited<ReturnType<typeof rocket.connectAs>>, channel: string) => {
    writer.send({ broadcast: { event: 'e', channel, data: channel } });
    assert.deepEqual(await writer.next(), { event: 'e', channel, data: channel });
    assert.deepEqual(await writer.next(), { broadcasted: channel });
  };

  it('answers RATE_LIMITED past the rate, keeps old channels working, and counts it', async () => {
    const writer = await rocket.connectAs(server, 'writer');
    const other = await rocket.connectAs(server, 'writer');
    try {
      const hitsBefore = await limitHits(server.url, LIMIT);
      for (let i = 0; i < PER_MINUTE; i++) {
        await rocket.subscribe(writer, `new-${i}`);
        await broadcast(writer, `new-${i}`);
      }
      await rocket.subscribe(writer, 'one-too-many');
      writer.send({ broadcast: { event: 'e', channel: 'one-too-many', data: 1 } });
      const refused = await rocket.expectErr(writer, 'RATE_LIMITED');
      assert.equal(
        refused.additional_info,
        `too many new channels: at most ${PER_MINUTE} a minute per connection`,
      );
      const { publications } = await server.hub.history('app', 'one-too-many', { last: 10 });
      assert.equal(publications.length, 0, 'nothing was published');
      assert.equal((await limitHits(server.url, LIMIT)) - hitsBefore, 1);

      // The channels it made still take its broadcasts; another connection has its own allowance.
      await broadcast(writer, 'new-0');
      await rocket.subscribe(other, 'one-too-many');
      await broadcast(other, 'one-too-many');
    } finally {
      await rocket.closeAll(writer, other);
    }
  });
});

describe('pusher: new channels one connection may send client events to per minute', () => {
  const PER_MINUTE = 2;
  const server = pusher.usePusherServer({
    namespaces: {
      ...pusher.PUSHER_NAMESPACES,
      app: { ...pusher.PUSHER_NAMESPACES.app, max_new_channels_per_minute: PER_MINUTE },
    },
  });

  it('answers pusher:error 4301 past the rate and keeps the connection', async () => {
    const a = await pusher.connect(server);
    const b = await pusher.connect(server);
    const channels = ['private-r0', 'private-r1', 'private-r2'];
    try {
      for (const channel of channels) {
        await pusher.subscribe(a, channel);
        await pusher.subscribe(b, channel);
      }
      const hitsBefore = await limitHits(server.url, LIMIT);
      for (const channel of channels.slice(0, PER_MINUTE)) {
        a.raw.send({ event: 'client-move', channel, data: { on: channel } });
        assert.deepEqual((await pusher.nextEvent(b.raw)).data, { on: channel });
      }
      a.raw.send({ event: 'client-move', channel: 'private-r2', data: { on: 'private-r2' } });
      await pusher.expectError(
        a.raw,
        4301,
        new RegExp(
          `^Client event rejected: too many new channels: at most ${PER_MINUTE} a minute per connection$`,
        ),
      );
      assert.ok(await b.raw.silentFor(200), 'the refused event reached nobody');
      assert.equal((await limitHits(server.url, LIMIT)) - hitsBefore, 1);
      // Same connection, a channel it already gave history: delivered.
      a.raw.send({ event: 'client-move', channel: 'private-r0', data: { on: 'again' } });
      assert.deepEqual((await pusher.nextEvent(b.raw)).data, { on: 'again' });
      // Another connection may create the channel.
      b.raw.send({ event: 'client-move', channel: 'private-r2', data: { from: 'b' } });
      assert.deepEqual((await pusher.nextEvent(a.raw)).data, { from: 'b' });
    } finally {
      await pusher.closeAll(a, b);
    }
  });
});
