// The heartbeat wheel (src/transport/heartbeat.ts): how many sockets one event-loop turn pings,
// that every socket is still pinged once per interval, and that a socket that reads nothing is
// terminated at its second visit. The sockets are stand-ins with the parts the wheel reads
// (`_socket.bytesRead`, `ping`, `terminate`); turns are told apart by a microtask, which runs
// once at the end of every timer or immediate callback, so nothing depends on this machine's speed.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { HeartbeatWheel, PINGS_PER_TURN } from '../../src/transport/heartbeat.js';

interface FakeSocket {
  _socket: { bytesRead: number };
  pings: number;
  terminated: boolean;
  /** A live peer answers every ping (its pong is read); a dead one reads nothing. */
  dead: boolean;
}

/** Pings per turn, in order: a turn's count closes in the microtask after its first ping. */
const turns: number[] = [];
let open = false;

function fake(dead = false): FakeSocket & WebSocket {
  const s = {
    _socket: { bytesRead: 100 },
    pings: 0,
    terminated: false,
    dead,
    ping() {
      s.pings++;
      if (!s.dead) s._socket.bytesRead += 2; // the pong
      if (!open) {
        open = true;
        turns.push(0);
        queueMicrotask(() => {
          open = false;
        });
      }
      turns[turns.length - 1]!++;
    },
    terminate() {
      s.terminated = true;
    },
    on() {
      return s;
    },
  };
  return s as unknown as FakeSocket & WebSocket;
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
}

describe('heartbeat wheel', () => {
  let wheel: HeartbeatWheel | undefined;
  afterEach(() => {
    wheel?.stop();
    turns.length = 0;
  });

  it('spreads the pings over the interval as the sockets came, each socket pinged once per round', async () => {
    wheel = new HeartbeatWheel(1280); // 64 slots, one every 20 ms
    const early = Array.from({ length: 300 }, () => fake());
    for (const s of early) wheel.add(s);
    await new Promise((r) => setTimeout(r, 60));
    const late = Array.from({ length: 300 }, () => fake());
    for (const s of late) wheel.add(s);
    // Nothing is pinged before its first round is over.
    assert.ok([...early, ...late].every((s) => s.pings === 0));
    await until(() => late.every((s) => s.pings >= 1));
    // Two groups added ticks apart: two slots, two turns of 300, the early group first.
    assert.deepEqual(turns, [300, 300]);
    assert.ok(early.every((s) => s.pings === 1));
    assert.ok([...early, ...late].every((s) => !s.terminated));
  });

  it('pings a crowded slot in turns of at most PINGS_PER_TURN', async () => {
    wheel = new HeartbeatWheel(10); // one slot
    const sockets = Array.from({ length: 2000 }, () => fake());
    for (const s of sockets) wheel.add(s);
    await until(() => sockets.every((s) => s.pings >= 1));
    assert.equal(turns[0], PINGS_PER_TURN);
    assert.ok(Math.max(...turns) <= PINGS_PER_TURN, `pings per turn: ${turns.join(' ')}`);
  });

  it('terminates a socket that read nothing since its last ping at its next visit, among many live ones', async () => {
    wheel = new HeartbeatWheel(320); // 32 slots
    const live = Array.from({ length: 999 }, () => fake());
    const dead = fake(true);
    for (const s of live.slice(0, 500)) wheel.add(s);
    wheel.add(dead);
    for (const s of live.slice(500)) wheel.add(s);
    await until(() => dead.terminated);
    // Its first visit pinged it; the second, one round later, found nothing read and closed it.
    assert.equal(dead.pings, 1);
    // Meanwhile every live socket went through one or two rounds and is still open.
    assert.ok(live.every((s) => !s.terminated && s.pings <= 2));
  });

  it('forgets a deleted socket', async () => {
    wheel = new HeartbeatWheel(20); // 2 slots
    const gone = fake(true);
    const kept = fake();
    wheel.add(gone);
    wheel.add(kept);
    wheel.delete(gone);
    await until(() => kept.pings >= 3);
    assert.equal(gone.pings, 0);
    assert.equal(gone.terminated, false);
  });
});
