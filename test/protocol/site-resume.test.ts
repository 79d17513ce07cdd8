import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { RawClient } from '../helpers/ws-client.js';
import { burstPoster, fetchToken, poster, publishMany, subscribe, useSiteServer } from './site-fixtures.js';

describe('site: ords and resume with after', () => {
  // history_size 2000 so that the race test's whole burst stays buffered.
  const { server, open } = useSiteServer({
    namespaces: {
      demo: { secret: 'site-secret', post_secret: 'post-secret', history_size: 2000 },
      small: { secret: 'small-secret', post_secret: 'small-post', history_size: 3 },
    },
  });

  /** Read `n` channel messages. */
  async function read(c: RawClient, n: number): Promise<{ message: string; ord: number; body: unknown }[]> {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await c.next());
    return out;
  }

  it('delivers posts with contiguous ords that start from a large, time-derived base', async () => {
    const c = await open();
    assert.equal((await subscribe(server, c, 'live')).response, 'ok');
    const send = poster(server, await fetchToken(server));
    for (let i = 0; i < 5; i++) assert.equal((await send('live', `m${i}`)).status, 200);
    const msgs = await read(c, 5);
    assert.deepEqual(
      msgs.map((m) => m.body),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
    for (let i = 1; i < 5; i++) assert.equal(msgs[i]!.ord, msgs[0]!.ord + i);
    // On the memory engine a channel's first ord is time-derived, not 1.
    assert.ok(msgs[0]!.ord > 1_000_000_000, `first ord ${msgs[0]!.ord}`);
  });

  describe('with 5 buffered messages', () => {
    let ords: number[];
    before(async () => {
      ords = await publishMany(server, 'five', 5);
      assert.equal(ords.length, 5);
    });

    it('after = 0 (and after missing) sends nothing from the buffer, then new messages', async () => {
      for (const afterValue of [0, undefined]) {
        const c = await open();
        const res = await subscribe(server, c, 'five', afterValue === undefined ? {} : { after: afterValue });
        assert.deepEqual(res, { response: 'ok', body: null });
        assert.equal(await c.silentFor(150), true);
      }
    });

    it('after = -1 sends the newest buffered message only', async () => {
      const c = await open();
      assert.equal((await subscribe(server, c, 'five', { after: -1 })).response, 'ok');
      const [m] = await read(c, 1);
      assert.deepEqual(m, { message: 'five', ord: ords[4], body: { n: 4 } });
      assert.equal(await c.silentFor(150), true);
    });

    it('after = N (the 2nd ord) sends the 3rd to 5th, in order, after the ok', async () => {
      const c = await open();
      assert.deepEqual(await subscribe(server, c, 'five', { after: ords[1], reqId: 'r' }), {
        response: 'ok',
        req_id: 'r',
        body: null,
      });
      const msgs = await read(c, 3);
      assert.deepEqual(
        msgs.map((m) => m.ord),
        ords.slice(2),
      );
      assert.deepEqual(
        msgs.map((m) => m.body),
        [{ n: 2 }, { n: 3 }, { n: 4 }],
      );
      assert.equal(await c.silentFor(150), true);
    });

    it('after = the newest ord sends nothing, then the next message', async () => {
      const c = await open();
      assert.equal((await subscribe(server, c, 'five', { after: ords[4] })).response, 'ok');
      assert.equal(await c.silentFor(150), true);
      const send = poster(server, await fetchToken(server));
      await send('five-other', 'elsewhere');
      await send('five', 'next');
      const [m] = await read(c, 1);
      assert.deepEqual(m, { message: 'five', ord: ords[4]! + 1, body: 'next' });
      ords.push(ords[4]! + 1);
    });

    it('after = -1 on a channel never published to sends nothing', async () => {
      const c = await open();
      assert.equal((await subscribe(server, c, 'empty', { after: -1 })).response, 'ok');
      assert.equal(await c.silentFor(150), true);
    });
  });

  it('an after older than the buffer gives only what is buffered (history_size)', async () => {
    const ords = await publishMany(server, 'bounded', 3, 'small');
    const send = poster(server, await fetchToken(server, 'small'), 'small');
    for (let i = 3; i < 7; i++) assert.equal((await send('bounded', { n: i })).status, 200);
    const c = await open('small');
    // ords[0] is long gone: only the 3 newest (n = 4, 5, 6) are buffered.
    assert.equal((await subscribe(server, c, 'bounded', { after: ords[0], site: 'small' })).response, 'ok');
    const msgs = await read(c, 3);
    assert.deepEqual(
      msgs.map((m) => m.body),
      [{ n: 4 }, { n: 5 }, { n: 6 }],
    );
    assert.deepEqual(
      msgs.map((m) => m.ord),
      [ords[0]! + 4, ords[0]! + 5, ords[0]! + 6],
    );
    assert.equal(await c.silentFor(150), true);
  });

  it('a subscribe racing 1,000 concurrent posts sees each ord once, in order, with no gap', async () => {
    const channel = 'race';
    const [base] = await publishMany(server, channel, 1);
    const burst = burstPoster(server, await fetchToken(server));
    const c = await open();
    const token = await fetchToken(server);
    // Subscribe once a good part of the burst has landed and the rest is still in flight, so the
    // subscribe reads a real backlog while live publications keep arriving.
    let landed = 0;
    let enoughLanded: () => void = () => undefined;
    const quarter = new Promise<void>((resolve) => {
      enoughLanded = resolve;
    });
    const posts: Promise<number>[] = [];
    for (let i = 0; i < 1000; i++) {
      posts.push(
        burst.send(channel, i).then((status) => {
          if (++landed === 250) enoughLanded();
          return status;
        }),
      );
    }
    await quarter;
    const res = await subscribe(server, c, channel, { after: base, token });
    const statuses = await Promise.all(posts).finally(() => burst.close());
    assert.deepEqual(res, { response: 'ok', body: null });
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
    );
    const seen: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const m = await c.next(10_000);
      assert.equal(m.message, channel);
      seen.push(m.ord);
    }
    const expected = Array.from({ length: 1000 }, (_, i) => base! + 1 + i);
    assert.deepEqual(seen, expected);
    assert.equal(await c.silentFor(200), true);
  });
});
