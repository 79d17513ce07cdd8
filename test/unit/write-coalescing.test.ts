// Write coalescing (src/transport/write-batcher.ts through ClientSocket): what leaves a socket,
// and when. The TCP side is a real Writable whose every _write/_writev is one "syscall", so the
// tests see exactly the writes the kernel would get; the batcher's clock is faked so "faster than
// the window" does not depend on this machine's speed.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { ClientSocket } from '../../src/transport/client-socket.js';
import { textFrame } from '../../src/transport/frame.js';
import { bindTransport, SocketTransport } from '../../src/transport/transport-state.js';

/** A TCP socket stand-in: records each write that would be a syscall, as the bytes it carried. */
class RecordingSocket extends Writable {
  readonly syscalls: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.syscalls.push(chunk.toString('latin1'));
    done();
  }
  override _writev(chunks: { chunk: Buffer }[], done: () => void): void {
    this.syscalls.push(Buffer.concat(chunks.map((c) => c.chunk)).toString('latin1'));
    done();
  }
}

/** The parts of a ws 8 server socket that ClientSocket reads; `send` writes an unmasked frame. */
function fakeWs(tcp: RecordingSocket): WebSocket {
  return {
    readyState: 1,
    get bufferedAmount() {
      return tcp.writableLength;
    },
    _socket: tcp,
    _extensions: {},
    _sender: { _state: 0, _queue: [], _firstFragment: true },
    send(data: string | Buffer) {
      tcp.write(textFrame(data));
    },
    close(code: number) {
      tcp.write(Buffer.from([0x88, 2, code >> 8, code & 0xff]));
    },
    terminate() {},
    once() {},
  } as unknown as WebSocket;
}

const frame = (text: string) => textFrame(text);
const wire = (...texts: string[]) => texts.map((t) => frame(t).toString('latin1')).join('');
const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const WINDOW_MS = 20;

describe('write coalescing', () => {
  let now = 1_000_000;
  // One listener's transport per test, its batcher on the fake clock.
  let transport: SocketTransport;
  beforeEach(() => {
    transport = new SocketTransport(() => now);
  });
  afterEach(async () => {
    await sleep(WINDOW_MS * 2); // no hold may outlive its test
  });

  function socketPair(coalesceMs = WINDOW_MS) {
    const tcp = new RecordingSocket();
    const ws = fakeWs(tcp);
    bindTransport(ws, transport);
    const socket = new ClientSocket(ws, { maxOutboundBytes: 1 << 20, coalesceMs });
    return { tcp, socket };
  }

  /** Delivery '1' leaves at once; '2', a millisecond after that write, is held for the window. */
  async function holdingOne(socket: ClientSocket): Promise<void> {
    socket.sendFrame(frame('1'));
    await endOfTurn();
    now += 1;
    socket.sendFrame(frame('2'));
    await endOfTurn();
  }

  it('writes everything of one turn in one write, at the end of that turn', async () => {
    const { tcp, socket } = socketPair();
    socket.sendFrame(frame('a'));
    socket.send('reply');
    socket.sendFrame(frame('b'));
    assert.deepEqual(tcp.syscalls, [], 'held until the turn ends');
    await endOfTurn();
    assert.deepEqual(tcp.syscalls, [wire('a', 'reply', 'b')]);
  });

  it('does not hold the first delivery after a quiet spell', async () => {
    const { tcp, socket } = socketPair();
    socket.sendFrame(frame('warm'));
    await endOfTurn();
    now += WINDOW_MS + 1; // quieter than the window
    socket.sendFrame(frame('lone'));
    await endOfTurn();
    assert.deepEqual(tcp.syscalls, [wire('warm'), wire('lone')]);
  });

  it('holds deliveries that come faster than the window and writes them together when it ends', async () => {
    const { tcp, socket } = socketPair();
    const other = socketPair();
    socket.sendFrame(frame('1'));
    await endOfTurn();
    assert.deepEqual(tcp.syscalls, [wire('1')]);
    for (const n of ['2', '3', '4']) {
      now += 1; // each one turn, a millisecond, after the last
      socket.sendFrame(frame(n));
      other.socket.sendFrame(frame(n));
      await endOfTurn();
    }
    assert.deepEqual(tcp.syscalls, [wire('1')], 'held across turns');
    assert.deepEqual(other.tcp.syscalls, []);
    await sleep(WINDOW_MS * 2);
    assert.deepEqual(tcp.syscalls, [wire('1'), wire('2', '3', '4')]);
    assert.deepEqual(other.tcp.syscalls, [wire('2', '3', '4')]);
  });

  it('lets a reply end the hold with its own turn, held deliveries first', async () => {
    const { tcp, socket } = socketPair();
    await holdingOne(socket);
    socket.send('reply');
    await endOfTurn();
    assert.deepEqual(tcp.syscalls, [wire('1'), wire('2', 'reply')]);
    await sleep(WINDOW_MS * 2);
    assert.equal(tcp.syscalls.length, 2, 'the window has nothing left to write');
  });

  it('lets a close end the hold with its own turn', async () => {
    const { tcp, socket } = socketPair();
    await holdingOne(socket);
    socket.close(1012, 'restart');
    await endOfTurn();
    assert.equal(tcp.syscalls.length, 2);
    assert.equal(tcp.syscalls[1], wire('2') + Buffer.from([0x88, 2, 0x03, 0xf4]).toString('latin1'));
  });

  it('never holds across turns with a window of 0', async () => {
    const { tcp, socket } = socketPair(0);
    for (const n of ['1', '2', '3']) {
      now += 1;
      socket.sendFrame(frame(n));
      await endOfTurn();
    }
    assert.deepEqual(tcp.syscalls, [wire('1'), wire('2'), wire('3')]);
  });
});
