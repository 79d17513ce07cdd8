// Bench-only experiment: the fast-path levers of ws-fast-path.ts applied to a running Switchboard
// by patching prototypes inside the server child, so their effect on the real hub and site dialect
// is measured before anyone changes src/. Never imported by the server itself.
//
// `cork`: every ClientSocket write holds its TCP socket corked until the end of the turn (all
// dialects). `preframed`: on top of that, the site dialect caches the complete WebSocket frame per
// publication (renderOnce) and writes it straight to the TCP socket. `batched`: the site dialect
// queues those frames per socket and writes each socket's queue as one Buffer when the turn ends,
// so a delivery costs an array push instead of a stream write. The site patches skip
// ClientSocket's slow-consumer check: a real implementation would keep it.
import type { Duplex } from 'node:stream';
import { renderOnce } from '../src/core/render-cache.js';
import type { Publication } from '../src/core/types.js';
import { encodeMessage } from '../src/dialects/site/codec.js';
import { SiteSession } from '../src/dialects/site/session.js';
import { ClientSocket } from '../src/transport/client-socket.js';
import { rawSocket, TurnCorker, textFrame } from './ws-fast-path.js';

export type SwitchboardFastPath = 'cork' | 'preframed' | 'batched';

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
  const corker = new TurnCorker();
  const batcher = new TurnBatcher();
  const send = ClientSocket.prototype.send;
  ClientSocket.prototype.send = function (this: ClientSocket, data: string | Buffer, binary?: boolean) {
    if (this.open) {
      const raw = rawSocket(this.ws);
      if (kind === 'batched') batcher.flush(raw);
      else corker.hold(raw);
    }
    return send.call(this, data, binary);
  };
  if (kind === 'preframed') {
    SiteSession.prototype.deliver = function (this: SiteSession, p: Publication) {
      const socket = socketOf(this);
      if (!socket.open) return false;
      const raw = rawSocket(socket.ws);
      corker.hold(raw);
      raw.write(renderOnce(p, 'site-frame', frameOf));
      return true;
    };
  } else if (kind === 'batched') {
    SiteSession.prototype.deliver = function (this: SiteSession, p: Publication) {
      const socket = socketOf(this);
      if (!socket.open) return false;
      batcher.push(rawSocket(socket.ws), renderOnce(p, 'site-frame', frameOf));
      return true;
    };
  }
}
