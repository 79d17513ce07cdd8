import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KOZMA_NAME, KOZMA_ROOM, KozmaBot } from '../../src/dialects/chat/kozma.js';
import { KOZMA_APHORISMS } from '../../src/dialects/chat/kozma-aphorisms.js';

/** The bot's timers are unref'd (they never hold the process open), so the test holds it open. */
async function holdingLoop<T>(work: () => Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1000);
  try {
    return await work();
  } finally {
    clearInterval(hold);
  }
}

describe('Kozma bot', () => {
  it('has at least 50 distinct, non-blank aphorisms', () => {
    assert.ok(KOZMA_APHORISMS.length >= 50, `only ${KOZMA_APHORISMS.length}`);
    assert.equal(new Set(KOZMA_APHORISMS).size, KOZMA_APHORISMS.length, 'no duplicates');
    for (const a of KOZMA_APHORISMS) assert.equal(a, a.trim());
    for (const famous of ['Никто не обнимет необъятного!', 'Смотри в корень!', 'Бди!']) {
      assert.ok(KOZMA_APHORISMS.includes(famous), famous);
    }
  });

  it('posts to room kozma as "Козьма Прутков" on its injected schedule, until stopped', async () => {
    const posts: [string, string, string][] = [];
    let reached: () => void = () => {};
    const third = new Promise<void>((r) => {
      reached = r;
    });
    const delays: number[] = [];
    const bot = new KozmaBot({
      firstDelayMs: 0,
      nextDelayMs: () => {
        delays.push(1);
        return 1;
      },
      random: () => 0.5,
      post: async (room, text, sender) => {
        posts.push([room, text, sender]);
        if (posts.length === 3) reached();
      },
    });
    bot.start();
    await holdingLoop(() => third);
    await bot.stop();
    const count = posts.length;
    await holdingLoop(() => new Promise((r) => setTimeout(r, 20)));
    assert.equal(posts.length, count, 'no post after stop()');
    for (const [room, text, sender] of posts) {
      assert.equal(room, KOZMA_ROOM);
      assert.equal(sender, KOZMA_NAME);
      assert.ok(KOZMA_APHORISMS.includes(text));
    }
    assert.notEqual(posts[0]![1], posts[1]![1], 'never the same aphorism twice in a row');
    assert.ok(delays.length >= 2, 'the next delay is asked after each post');
  });

  it('keeps going after a failed post', async () => {
    let calls = 0;
    let done: () => void = () => {};
    const second = new Promise<void>((r) => {
      done = r;
    });
    const bot = new KozmaBot({
      firstDelayMs: 0,
      nextDelayMs: () => 0,
      post: async () => {
        calls++;
        if (calls === 2) done();
        if (calls === 1) throw new Error('engine down');
      },
    });
    bot.start();
    await holdingLoop(() => second);
    await bot.stop();
    assert.ok(calls >= 2);
  });
});
