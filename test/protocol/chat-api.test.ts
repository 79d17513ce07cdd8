import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { chatDialect } from '../../src/dialects/chat/index.js';
import { KOZMA_NAME, KozmaBot } from '../../src/dialects/chat/kozma.js';
import { KOZMA_APHORISMS } from '../../src/dialects/chat/kozma-aphorisms.js';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe('chat REST API (/api/*) and the page', () => {
  let server: Server;
  let client: RawClient;
  /** Send a message and wait for its echo, so that it is in the history before the next step. */
  const say = async (room: string, text: string, id?: string) => {
    client.send(id === undefined ? { room, text } : { room, text, id });
    return client.next();
  };

  before(async () => {
    server = await startTestServer({ chat: { max_messages_in_room: 3 } });
    client = await RawClient.connect(server.wsUrl('/ws?username=api'));
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('GET /api/settings reports the limits and the uptime in nanoseconds', async () => {
    const res = await get(`${server.url}/api/settings`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const s = res.body.result;
    assert.deepEqual(Object.keys(s).sort(), [
      'max_message_length',
      'max_room_title_length',
      'max_username_length',
      'uptime',
    ]);
    assert.equal(s.max_message_length, 10500);
    assert.equal(s.max_room_title_length, 50);
    assert.equal(s.max_username_length, 50);
    assert.ok(Number.isInteger(s.uptime) && s.uptime >= 0);
    const later = await get(`${server.url}/api/settings`);
    assert.ok(later.body.result.uptime >= s.uptime, 'uptime grows');
  });

  it('GET /api/rooms lists an empty result before any message', async () => {
    const res = await get(`${server.url}/api/rooms`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { result: [] });
  });

  it('history is oldest → newest, bounded by max_messages_in_room, and never carries id', async () => {
    for (let i = 1; i <= 5; i++) await say('bounded', `n${i}`, `id-${i}`);
    const res = await get(`${server.url}/api/rooms/bounded/history`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(
      res.body.result.map((m: any) => m.text),
      ['n3', 'n4', 'n5'],
    );
    for (const m of res.body.result) {
      assert.deepEqual(Object.keys(m), ['room', 'created', 'sender', 'text']);
      assert.deepEqual(m.sender, { username: 'api' });
    }
  });

  it('GET /api/rooms gives each room with its last message, without id', async () => {
    await say('second', 'only one', 'with-id');
    const res = await get(`${server.url}/api/rooms`);
    const rooms = res.body.result as any[];
    const bounded = rooms.find((r) => r.name === 'bounded');
    const second = rooms.find((r) => r.name === 'second');
    assert.equal(bounded.last_message.text, 'n5');
    assert.equal(second.last_message.text, 'only one');
    assert.ok(!('id' in second.last_message));
    assert.deepEqual(Object.keys(second), ['name', 'last_message']);
  });

  it('GET /api/rooms/{name} gives one room like the original server did', async () => {
    const res = await get(`${server.url}/api/rooms/SECOND`);
    assert.equal(res.status, 200);
    assert.equal(res.body.result.name, 'second');
    assert.equal(res.body.result.last_message.text, 'only one');
  });

  it('answers an unknown room with 404 {"error": "room NAME not found"} as JSON', async () => {
    for (const path of ['/api/rooms/nowhere/history', '/api/rooms/nowhere']) {
      const res = await get(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(res.body, { error: 'room nowhere not found' });
    }
    const bad = await get(`${server.url}/api/rooms/%E0%A4%A/history`);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('reaches rooms whose names hold "/" both with %2F and with a raw slash', async () => {
    await say('a/b', 'slashed');
    await say('44 %88 & me / 55', 'odd');
    await say('x/history', 'tricky');
    for (const path of ['/api/rooms/a%2Fb/history', '/api/rooms/a/b/history', '/api/rooms/A%2fB/history']) {
      const res = await get(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.deepEqual(
        res.body.result.map((m: any) => [m.room, m.text]),
        [['a/b', 'slashed']],
      );
    }
    const odd = await get(`${server.url}/api/rooms/${encodeURIComponent('44 %88 & me / 55')}/history`);
    assert.equal(odd.body.result[0].text, 'odd');
    // A path ending in /history always asks for a history: room "x/history" has one...
    const tricky = await get(`${server.url}/api/rooms/${encodeURIComponent('x/history')}/history`);
    assert.equal(tricky.body.result[0].text, 'tricky');
    const trickyRaw = await get(`${server.url}/api/rooms/x/history/history`);
    assert.equal(trickyRaw.body.result[0].text, 'tricky');
    // ...and its info is reached only with the slash encoded.
    const info = await get(`${server.url}/api/rooms/x%2Fhistory`);
    assert.equal(info.body.result.name, 'x/history');
  });

  it('serves the chat page at / and its assets with their content types', async () => {
    const page = await get(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.text, /<meta name="viewport"/);
    assert.match(page.text, /\/assets\/chat\/app\.js/);
    const js = await get(`${server.url}/assets/chat/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    const css = await get(`${server.url}/assets/chat/style.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    for (const path of [
      '/assets/chat/nope.js',
      '/assets/chat/..%2F..%2Fpackage.json',
      '/assets/chat/x.exe',
    ]) {
      const res = await get(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
    }
  });
});

describe('the Kozma Prutkov bot on a real server', () => {
  it('with injected timing, posts into room kozma as an ordinary publisher and stops on stop()', async () => {
    const server = await startTestServer();
    const client = await RawClient.connect(server.wsUrl('/ws?username=reader'));
    let posted = 0;
    const bot = new KozmaBot({
      firstDelayMs: 0,
      nextDelayMs: () => 5,
      post: (room, text, sender) => {
        posted++;
        return server.hub.publish('chat', room, { data: text, sender });
      },
    });
    const hold = setInterval(() => {}, 1000); // the bot's timers are unref'd
    try {
      bot.start();
      const first = await client.next();
      const second = await client.next();
      await bot.stop();
      for (const m of [first, second]) {
        assert.equal(m.room, 'kozma');
        assert.deepEqual(m.sender, { username: KOZMA_NAME });
        assert.ok(KOZMA_APHORISMS.includes(m.text));
      }
      const atStop = posted;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(posted, atStop, 'no post after stop()');
      // Every post made before stop() reaches the reader (the last ones may still be on their
      // way: posts 5 ms apart are written together, limits.write_coalesce_ms), and nothing else.
      for (let n = 2; n < atStop; n++) assert.equal((await client.next()).room, 'kozma');
      assert.ok(await client.silentFor(100), 'nothing beyond the posts made before stop()');
      const history = await get(`${server.url}/api/rooms/kozma/history`);
      assert.equal(history.body.result.length, atStop);
    } finally {
      clearInterval(hold);
      await client.close();
      await server.close();
    }
  });

  it('is started by the dialect when chat.kozma is on, and stopped by Dialect.close()', async () => {
    const server = await startTestServer();
    const client = await RawClient.connect(server.wsUrl('/ws?username=closer'));
    // A second chat dialect on the same hub, with the bot on and fast timing injected.
    const dialect = chatDialect(
      {
        hub: server.hub,
        config: { ...server.config, chat: { ...server.config.chat, kozma: true } },
        logger: pino({ level: 'silent' }),
        startedAt: Date.now(),
        ready: () => true,
        transport: server.transport,
      },
      { kozma: { firstDelayMs: 0, nextDelayMs: () => 5 } },
    );
    const hold = setInterval(() => {}, 1000);
    try {
      for (let i = 0; i < 2; i++) {
        const m = await client.next();
        assert.equal(m.room, 'kozma');
        assert.equal(m.sender.username, KOZMA_NAME);
      }
      await dialect.close?.();
      // Every post made before close() reaches the reader (the last may still be on its way:
      // posts 5 ms apart are written together, limits.write_coalesce_ms), and nothing else.
      const made = (await get(`${server.url}/api/rooms/kozma/history`)).body.result.length;
      for (let n = 2; n < made; n++) assert.equal((await client.next()).room, 'kozma');
      assert.ok(await client.silentFor(100), 'nothing after close()');
    } finally {
      clearInterval(hold);
      await client.close();
      await server.close();
    }
  });

  it('runs with chat.kozma (the --kozma flag): the first post lands in room kozma after about 5 s', async () => {
    const server = await startTestServer({ chat: { kozma: true } });
    const client = await RawClient.connect(server.wsUrl('/ws?username=patient'));
    const hold = setInterval(() => {}, 1000);
    try {
      const m = await client.next(15_000);
      assert.equal(m.room, 'kozma');
      assert.equal(m.sender.username, 'Козьма Прутков');
      assert.ok(KOZMA_APHORISMS.includes(m.text));
      const rooms = await get(`${server.url}/api/rooms`);
      assert.ok(rooms.body.result.some((r: any) => r.name === 'kozma'));
    } finally {
      clearInterval(hold);
      await client.close();
      await server.close(); // closes the dialect, which stops the bot's timer
    }
  });
});
