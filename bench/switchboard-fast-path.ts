// Bench-only experiment, the lever after the fast path that src/ now has (per-turn cork and
// pre-framed frames, src/transport/client-socket.ts): patched into a running Switchboard inside the
// server child, never imported by the server itself. `batched`: the site dialect queues its
// pre-built frames per socket and writes each socket's queue as one Buffer when the turn ends, so a
// delivery costs an array push instead of a stream write. The patch skips ClientSocket's
// slow-consumer check and is measured only, not proposed as is. (The earlier `cork` and
// `preframed` patches are gone: src/ does both now.)
import type { Duplex } from 'node:stream';
import { renderOnce } from '../src/core/render-cache.js';
import type { Publication } from '../src/core/types.js';
import { encodeMessage } from '../src/dialects/site/codec.js';
import { SiteSession } from '../src/dialects/site/session.js';
import { ClientSocket } from '../src/transport/client-socket.js';
import { rawSocket, textFrame } from './ws-fast-path.js';

export type SwitchboardFastPath = 'batched';

const frameOf = (p: Publication) => textFrame(encodeMessage(p));
const socketOf = (session: SiteSession) => (session as unknown as { socket: ClientSocket }).socket;

/** Frames queued per TCP socket during a turn, each socket written once when the turn ends. */
class TurnBatcher {
  private readonly queues = new WeakMap<Duplex, Buffer[]>();
  private readonly waiting: Duplex[] = [];
  private scheduled = false;
  private readonly flushAll = () => {
    this.scheduled = false;
    for (const socket of this.waiting) this.flush(socket);
    this.waiting.length = 0;
  };

  push(socket: Duplex, frame: Buffer): void {
    let queue = this.queues.get(socket);
    if (queue === undefined) {
      queue = [];
      this.queues.set(socket, queue);
    }
    if (queue.length === 0) this.waiting.push(socket);
    queue.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushAll);
    }
  }

  /** Writes what is queued for `socket` now (also before any other write, to keep the order). */
  flush(socket: Duplex): void {
    const queue = this.queues.get(socket);
    if (queue === undefined || queue.length === 0) return;
    socket.write(queue.length === 1 ? queue[0]! : Buffer.concat(queue));
    queue.length = 0;
  }
}

export function applyFastPath(kind: SwitchboardFastPath): void {
  if (kind !== 'batched') return;
  const batcher = new TurnBatcher();
  const send = ClientSocket.prototype.send;
  // Anything else written to the socket must leave after the frames already queued for it.
  ClientSocket.prototype.send = function (this: ClientSocket, data: string | Buffer, binary?: boolean) {
    if (this.open) batcher.flush(rawSocket(this.ws));
    return send.call(this, data, binary);
  };
  SiteSession.prototype.deliver = function (this: SiteSession, p: Publication) {
    const socket = socketOf(this);
    if (!socket.open) return false;
    batcher.push(rawSocket(socket.ws), renderOnce(p, 'site-frame', frameOf));
    return true;
  };
}
