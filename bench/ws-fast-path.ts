// The fan-out fast path's levers (test/protocol/fast-path.test.ts), tried on the plain `ws` baseline so their worth is measured
// before anyone changes src/: (1) coalescing — cork a client's TCP socket at its first write in an
// event-loop turn and uncork once when the turn's synchronous work is done, so everything queued
// for it in that turn leaves in one writev; (2) pre-framing — a server→client frame is unmasked, so
// the complete WebSocket frame (header + payload) is built once per message and the same bytes
// are written to every socket, skipping ws's per-client Sender work.
//
// ws's own sendFrame does cork(); write(header); write(payload); uncork() — cork is counted, so
// an outer cork held for the turn keeps its uncork from flushing. Uncorking on process.nextTick
// runs after the current macrotask's microtasks (a whole awaited publish loop), so a lone message
// at a low rate still leaves in the same turn: no added latency.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** The TCP socket under a server-side `ws` WebSocket (a documented-by-use internal field). */
export const rawSocket = (ws: WebSocket): Duplex => (ws as unknown as { _socket: Duplex })._socket;

export class TurnCorker {
  private readonly corked: Duplex[] = [];
  private scheduled = false;
  private readonly flush = () => {
    this.scheduled = false;
    for (const s of this.corked) s.uncork();
    this.corked.length = 0;
  };
  private readonly marks = new WeakSet<Duplex>();

  /** Call before writing to `socket`: corks it once per turn and schedules the uncork. */
  hold(socket: Duplex): void {
    if (socket.writableCorked > 0 && this.marks.has(socket)) return;
    socket.cork();
    this.marks.add(socket);
    this.corked.push(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => {
        for (const s of this.corked) this.marks.delete(s);
        this.flush();
      });
    }
  }
}

/** A complete unmasked, final text frame (RFC 6455 §5.2) carrying `payload`. */
export function textFrame(payload: Buffer): Buffer {
  const len = payload.length;
  const headerLength = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + len);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (len < 126) frame[1] = len;
  else if (len < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
