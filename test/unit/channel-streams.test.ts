/** ChannelStreams (the cluster layer's per-channel ordering) fed envelopes directly: no backend. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryCount, Publication } from '../../src/core/types.js';
import { ChannelStreams } from '../../src/engines/cluster/channel-streams.js';
import type { Envelope } from '../../src/engines/cluster/envelope.js';

const pub = (ord: number, channel = 'ch', time = ord): Publication => ({ channel, ord, time, data: ord });
const env = (ord: number, channel = 'ch', countRequest?: { id: string; node: number }): Envelope =>
  countRequest
    ? { ns: 'ns', publication: pub(ord, channel), countRequest }
    : { ns: 'ns', publication: pub(ord, channel) };

function setup(history: Publication[] = [], channels: string[] = []) {
  const delivered: number[] = [];
  const answers: { id: string; counts: DeliveryCount }[] = [];
  const reads: number[] = [];
  const streams = new ChannelStreams({
    deliver: (_ns, p) => {
      delivered.push(p.ord);
      return { delivered: 1, failed: 0 };
    },
    answerCount: (req, counts) => answers.push({ id: req.id, counts }),
    historyAfter: async (_ns, ch, after) => {
      reads.push(after);
      return history.filter((p) => p.channel === ch && p.ord > after);
    },
    channelsSince: async () => channels,
    onError: (err) => {
      throw err;
    },
  });
  return { streams, delivered, answers, reads };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ChannelStreams', () => {
  it('holds live traffic until the baseline, then drops what it already covers', () => {
    const { streams, delivered } = setup();
    assert.equal(streams.open('ns', 'ch'), true);
    streams.onMessage(env(5));
    streams.onMessage(env(6));
    assert.deepEqual(delivered, []);
    streams.setBaseline('ns', 'ch', 5);
    assert.deepEqual(delivered, [6]);
  });

  it('drops duplicates (a channel heard on two topics) and answers their count requests with zero', () => {
    const { streams, delivered, answers } = setup();
    streams.open('ns', 'ch');
    streams.setBaseline('ns', 'ch', 0);
    streams.onMessage(env(1, 'ch', { id: 'r1', node: 1 }));
    streams.onMessage(env(1, 'ch', { id: 'r1', node: 1 }));
    assert.deepEqual(delivered, [1]);
    assert.deepEqual(answers, [
      { id: 'r1', counts: { delivered: 1, failed: 0 } },
      { id: 'r1', counts: { delivered: 0, failed: 0 } },
    ]);
  });

  it('repairs a gap from history before delivering what came after it', async () => {
    const { streams, delivered, reads } = setup([pub(1), pub(2), pub(3), pub(4), pub(5)]);
    streams.open('ns', 'ch');
    streams.setBaseline('ns', 'ch', 1);
    streams.onMessage(env(4));
    streams.onMessage(env(5));
    await tick();
    assert.deepEqual(reads, [1]);
    assert.deepEqual(delivered, [2, 3, 4, 5]);
  });

  it('jumps ahead when the missing ords are older than the history window', async () => {
    const { streams, delivered } = setup([pub(9), pub(10)]);
    streams.open('ns', 'ch');
    streams.setBaseline('ns', 'ch', 1);
    streams.onMessage(env(10));
    await tick();
    assert.deepEqual(delivered, [9, 10]);
  });

  it('starts a namespace-watched channel at its first message and forgets it on unwatch', async () => {
    const { streams, delivered, answers } = setup();
    streams.watchNamespace('ns', 0);
    await streams.namespaceSubscribed('ns');
    streams.onMessage(env(7, 'a'));
    streams.onMessage(env(8, 'a'));
    streams.onMessage(env(3, 'b'));
    assert.deepEqual(delivered, [7, 8, 3]);
    streams.unwatchNamespace('ns');
    assert.equal(streams.size, 0);
    streams.onMessage(env(9, 'a', { id: 'late', node: 2 }));
    assert.deepEqual(delivered, [7, 8, 3]);
    assert.deepEqual(answers, [{ id: 'late', counts: { delivered: 0, failed: 0 } }]);
  });

  it('delivers what was published while a namespace SUBSCRIBE was being set up, before what came live', async () => {
    // Watch started at time 100. Channel a: ord 4 before the watch (old), 5 and 6 in the gap
    // between the watch's start and the SUBSCRIBE, 7 live while catching up. Channel b: 2 in the
    // gap and nothing live. Channel c: first heard live during the catch-up, and not listed.
    const history = [pub(4, 'a', 90), pub(5, 'a', 101), pub(6, 'a', 102), pub(7, 'a', 103), pub(2, 'b', 104)];
    const { streams, delivered } = setup(history, ['a', 'b']);
    streams.watchNamespace('ns', 100);
    streams.onMessage(env(7, 'a'));
    streams.onMessage(env(1, 'c'));
    assert.deepEqual(delivered, [], 'nothing before the catch-up');
    await streams.namespaceSubscribed('ns');
    assert.deepEqual(delivered, [5, 6, 7, 2, 1]);
    streams.onMessage(env(8, 'a'));
    streams.onMessage(env(3, 'b'));
    streams.onMessage(env(2, 'c'));
    assert.deepEqual(delivered, [5, 6, 7, 2, 1, 8, 3, 2]);
  });

  it('repairs every stream after a reconnect without waiting for live traffic', async () => {
    const { streams, delivered } = setup([pub(1), pub(2), pub(3)]);
    streams.open('ns', 'ch');
    streams.setBaseline('ns', 'ch', 1);
    streams.resync();
    await tick();
    assert.deepEqual(delivered, [2, 3]);
  });
});
