import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get } from '../helpers/http.js';
import { startTestServer } from '../helpers/server.js';
import { expectRefused, RawClient } from '../helpers/ws-client.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

const EMOJI = '😀'; // one rune, two UTF-16 units, four bytes
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d)$/;

// Small limits so every "exactly at" and "one over" case is cheap to write.
const CHAT = {
  max_message_length: 12,
  max_room_title_length: 6,
  max_username_length: 8,
  max_messages_in_room: 3,
};

describe('chat over WebSocket (nane /ws)', () => {
  let server: Server;
  const open: RawClient[] = [];
  const connect = async (query: string) => {
    const c = await RawClient.connect(server.wsUrl(`/ws?${query}`));
    open.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer({ chat: CHAT });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await server.close();
  });

  it('broadcasts a message to every chat client, the sender too, with the id echoed to all', async () => {
    const alice = await connect('username=alice');
    const bob = await connect('username=bob');
    alice.send({ room: 'r1', text: 'hello', id: 'a-1' });
    const seenByAlice = await alice.next();
    const seenByBob = await bob.next();
    assert.deepEqual(seenByBob, seenByAlice, 'everyone gets the same live rendering');
    assert.deepEqual(Object.keys(seenByAlice), ['id', 'room', 'created', 'sender', 'text']);
    assert.equal(seenByAlice.id, 'a-1');
    assert.equal(seenByAlice.room, 'r1');
    assert.deepEqual(seenByAlice.sender, { username: 'alice' });
    assert.equal(seenByAlice.text, 'hello');
    assert.match(seenByAlice.created, RFC3339);
    assert.ok(Math.abs(Date.parse(seenByAlice.created) - Date.now()) < 60_000);
  });

  it('sends no id key when the client gave none', async () => {
    const c = await connect('username=noid');
    c.send({ room: 'r1', text: 'plain' });
    const m = await c.next();
    assert.deepEqual(Object.keys(m), ['room', 'created', 'sender', 'text']);
  });

  it('accepts ?name= as well and trims the username', async () => {
    const c = await connect('name=%20%20carl%20');
    c.send({ room: 'r1', text: 'x' });
    assert.deepEqual((await c.next()).sender, { username: 'carl' });
    const d = await connect('username=%20&name=dora');
    d.send({ room: 'r1', text: 'y' });
    assert.deepEqual((await d.next()).sender, { username: 'dora' });
  });

  it('refuses a missing or blank username with 401, and site plus username with 400', async () => {
    for (const q of ['', '?username=', '?username=%20%09', '?name=%20', '?username=&name=']) {
      const r = await expectRefused(server.wsUrl(`/ws${q}`));
      assert.equal(r.status, 401, q);
      assert.match(r.contentType ?? '', /application\/json/);
      assert.match(r.json().error, /username/);
    }
    const both = await expectRefused(server.wsUrl('/ws?site=chat&username=bob'));
    assert.equal(both.status, 400);
  });

  it('accepts a username of exactly max_username_length runes and refuses one more with 400', async () => {
    const exact = `я${EMOJI}яя${EMOJI}ёё${EMOJI}`; // 8 runes, 11 UTF-16 units
    const c = await connect(`username=${encodeURIComponent(`  ${exact} `)}`);
    c.send({ room: 'r1', text: 'x' });
    assert.equal((await c.next()).sender.username, exact);
    const r = await expectRefused(server.wsUrl(`/ws?username=${encodeURIComponent(`${exact}я`)}`));
    assert.equal(r.status, 400);
    assert.match(r.contentType ?? '', /application\/json/);
    assert.match(r.json().error, /longer than 8/);
  });

  it('keeps text and room of exactly their limit in runes and cuts longer ones', async () => {
    const c = await connect('username=limits');
    const text12 = `я${EMOJI}`.repeat(6); // 12 runes, 18 UTF-16 units
    const room6 = `я${EMOJI}яя${EMOJI}я`;
    c.send({ room: room6, text: text12 });
    let m = await c.next();
    assert.equal(m.text, text12);
    assert.equal(m.room, room6);
    c.send({ room: `яяяяя${EMOJI}${EMOJI}`, text: `${text12}${EMOJI}я` });
    m = await c.next();
    assert.equal(m.text, text12, 'cut to 12 runes, no half surrogate pair');
    assert.equal(m.room, `яяяяя${EMOJI}`);
    c.send({ room: 'long room name', text: 'abcdefghijklmnop' });
    m = await c.next();
    assert.equal(m.room, 'long r', 'cut, and not trimmed again after the cut (as nane)');
    assert.equal(m.text, 'abcdefghijkl');
  });

  it('trims room and text, and silently drops a frame whose room or text is empty', async () => {
    const c = await connect('username=trim');
    c.send({ room: '  r2 ', text: '\n  spaced out \t' });
    const m = await c.next();
    assert.equal(m.room, 'r2');
    assert.equal(m.text, 'spaced out');
    for (const f of [
      { room: 'r2', text: '   ' },
      { room: ' ', text: 'x' },
      { room: 'r2' },
      { text: 'x' },
      { xx: '123' },
      {},
    ]) {
      c.send(f);
    }
    assert.ok(await c.silentFor(200), 'no reply to empty frames');
    c.send({ ping: true });
    assert.deepEqual(await c.next(), { pong: true }, 'and the connection stays open');
  });

  it('answers {"ping": true} with {"pong": true}, on text and binary frames', async () => {
    const c = await connect('username=pinger');
    c.send('{"ping":true}');
    assert.equal((await c.nextFrame()).data, '{"pong":true}');
    c.sendBinary(Buffer.from('{"ping":true}'));
    const f = await c.nextFrame();
    assert.equal(f.binary, false, 'replies are text frames');
    assert.deepEqual(JSON.parse(f.data.toString()), { pong: true });
  });

  it('reads binary frames like text frames', async () => {
    const c = await connect('username=binary');
    c.sendBinary(Buffer.from(JSON.stringify({ room: 'r1', text: 'из байтов', id: 'b' })));
    const m = await c.next();
    assert.equal(m.text, 'из байтов');
    assert.equal(m.id, 'b');
  });

  it('closes with 1007 and a reason on invalid JSON, non-objects and wrong field types', async () => {
    const cases: [string | Buffer, RegExp][] = [
      ['{"room": "r1", "text": ', /JSON/],
      ['[1,2,3]', /object/],
      ['null', /object/],
      ['"hello"', /object/],
      ['{"room": 1, "text": "x"}', /room/],
      ['{"room": "r1", "text": ["x"]}', /text/],
      ['{"room": "r1", "text": "x", "id": 5}', /id/],
      ['{"ping": 1}', /ping/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
    ];
    for (const [frame, reason] of cases) {
      const c = await connect('username=bad');
      if (typeof frame === 'string') c.send(frame);
      else c.sendBinary(frame);
      const closed = await c.closed;
      assert.equal(closed.code, 1007, String(frame));
      assert.match(closed.reason, reason, String(frame));
    }
  });

  it('finds rooms case-insensitively and keeps the casing they were created with', async () => {
    const c = await connect('username=caser');
    c.send({ room: 'MiXed', text: 'first' });
    assert.equal((await c.next()).room, 'MiXed');
    c.send({ room: 'mixed', text: 'second' });
    assert.equal((await c.next()).room, 'MiXed');
    c.send({ room: 'MIXED', text: 'third' });
    assert.equal((await c.next()).room, 'MiXed');
    const h = await get(`${server.url}/api/rooms/mIxEd/history`);
    assert.equal(h.status, 200);
    assert.deepEqual(
      h.body.result.map((m: any) => [m.room, m.text]),
      [
        ['MiXed', 'first'],
        ['MiXed', 'second'],
        ['MiXed', 'third'],
      ],
    );
  });

  it('renders publications of other dialects (hub.publish) in chat shape', async () => {
    const c = await connect('username=watcher');
    await server.hub.publish('chat', 'news', { data: { headline: 'я', n: 1 } });
    const backend = await c.next();
    assert.equal(backend.room, 'news');
    assert.deepEqual(backend.sender, { username: 'chat' }, 'no sender: signed with the namespace');
    assert.equal(backend.text, '{"headline":"я","n":1}');
    assert.ok(!('id' in backend));
    await server.hub.publish('chat', 'news', { data: 'from rocket', sender: 'rocketeer', event: 'e' });
    const rocket = await c.next();
    assert.deepEqual(rocket.sender, { username: 'rocketeer' });
    assert.equal(rocket.text, 'from rocket');
    c.send({ room: 'NEWS', text: 'reply' });
    assert.equal((await c.next()).room, 'news', 'a room created by another dialect is found too');
  });

  it('delivers messages of one client in the order it sent them', async () => {
    const sender = await connect('username=order');
    const listener = await connect('username=listen');
    const rooms = ['o1', 'o2', 'o1', 'o3', 'o2'];
    rooms.forEach((room, i) => {
      sender.send({ room, text: `m${i}` });
    });
    const got: string[] = [];
    for (let i = 0; i < rooms.length; i++) got.push((await listener.next()).text);
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});
