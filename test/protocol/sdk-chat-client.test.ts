// ChatClient against a real server: a send resolves with the server's broadcast of its id,
// which every chat client receives; rooms and history through the REST API; the client comes
// back after a server restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ChatClient, type ChatMessage } from '../../src/client/chat-client.js';
import type { StateChange } from '../../src/client/types.js';
import { type RestartableServer, startRestartable, until } from './sdk-fixtures.js';

describe('ChatClient against a real server', () => {
  let server: RestartableServer;
  const clients: ChatClient[] = [];
  const chat = (username: string) => {
    const c = new ChatClient({
      url: server.base,
      username,
      WebSocket,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    clients.push(c);
    return c;
  };
  before(async () => {
    server = await startRestartable({});
  });
  after(async () => {
    for (const c of clients) await c.close();
    await server.close();
  });

  it('resolves a send with the echo of its id, which every client receives', async () => {
    const alice = chat('alice');
    const bob = chat('bob');
    const seenByBob: ChatMessage[] = [];
    bob.on('message', (m) => seenByBob.push(m));
    await Promise.all([alice.connect(), bob.connect()]);

    const echoed = await alice.send('Lobby', '  hi everyone ');
    assert.equal(typeof echoed.id, 'string');
    assert.equal(echoed.room, 'Lobby');
    assert.equal(echoed.text, 'hi everyone', 'as the server trimmed it');
    assert.deepEqual(echoed.sender, { username: 'alice' });
    assert.ok(!Number.isNaN(Date.parse(echoed.created)));
    await until(() => seenByBob.length === 1, 'bob’s copy');
    assert.equal(seenByBob[0]!.id, echoed.id, 'the same id reaches every client');

    const own = await bob.send('LOBBY', 'hello, alice', { id: 'bob-1' });
    assert.equal(own.id, 'bob-1');
    assert.equal(own.room, 'Lobby', 'the room keeps its first casing');
    // Two sends in flight at once each resolve with their own echo.
    const [a, b] = await Promise.all([alice.send('Lobby', 'one'), alice.send('Lobby', 'two')]);
    assert.deepEqual([a.text, b.text], ['one', 'two']);
    assert.notEqual(a.id, b.id);

    const rooms = await alice.rooms();
    assert.deepEqual(
      rooms.map((r) => [r.name, r.last_message.text]),
      [['Lobby', 'two']],
    );
    const history = await alice.history('lobby');
    assert.deepEqual(
      history.map((m) => m.text),
      ['hi everyone', 'hello, alice', 'one', 'two'],
    );
    assert.ok(
      history.every((m) => m.id === undefined),
      'history carries no ids',
    );
    assert.equal((await alice.room('LOBBY')).name, 'Lobby');
    assert.equal((await alice.settings()).max_message_length, 10_500);
    await assert.rejects(alice.history('nowhere'), { kind: 'server', code: '404' });
    await assert.rejects(alice.send('Lobby', '   '), { kind: 'usage' });
  });

  it('reconnects after a server restart and sends again', async () => {
    const carol = chat('carol');
    const states: StateChange[] = [];
    carol.on('state', (s) => states.push(s));
    await carol.send('Restart', 'before');
    await server.restart();
    // Sent once the client noticed the restart: it waits for the new connection, then goes out.
    await until(() => states.some((s) => s.state === 'reconnecting' && s.code === 1012), 'the 1012 close');
    const after = await carol.send('Restart', 'after');
    assert.equal(after.text, 'after');
    assert.deepEqual(
      (await carol.history('Restart')).map((m) => m.text),
      ['after'],
      'the memory engine forgot the room; the new message is there',
    );
  });
});
