import type { WebSocket } from 'ws';

/**
 * What the heartbeat keeps per socket: the TCP socket's `bytesRead` at the last ping, and the
 * slot of the wheel it is pinged from. A socket that read nothing since its last ping (not even
 * the pong ws answers a ping with) is dropped. Reading the byte count instead of listening for
 * 'pong' keeps one event name off every WebSocket: its listener table is a dictionary, 184 B for
 * up to three names and 280 B for four.
 */
const SEEN = Symbol('switchboard.heartbeatSeen');
const SLOT = Symbol('switchboard.heartbeatSlot');
type Alive = WebSocket & { [SEEN]?: number; [SLOT]?: number; _socket?: { bytesRead?: unknown } };

function bytesRead(ws: Alive): number {
  const read = ws._socket?.bytesRead;
  return typeof read === 'number' ? read : -1;
}

/** Slots of the wheel at most; fewer when the interval is short (a tick is at least MIN_TICK_MS). */
const MAX_SLOTS = 64;
const MIN_TICK_MS = 10;
/**
 * Sockets pinged in one event-loop turn at most. A ping is one write syscall (~10 µs on
 * loopback), so this bounds a turn the heartbeat takes to a few milliseconds; a slot holding more
 * goes on in later turns (setImmediate), letting deliveries and requests in between.
 */
export const PINGS_PER_TURN = 512;

/**
 * The heartbeat as a timing wheel. A timer visits one of `slots` slots every `intervalMs / slots`,
 * so each socket is visited once per `intervalMs`, and the pings of N sockets are spread over the
 * interval as the connections were over time, instead of written in one turn (which at 19,000
 * sockets held the event loop for ~190 ms every interval). A socket joins the slot visited last,
 * so its first ping leaves one interval after it opened; sockets that open together (a reconnect
 * storm) share a slot, whose visit PINGS_PER_TURN bounds per turn.
 *
 * A visit pings a socket that read something since its previous visit and terminates one that
 * read nothing, so a peer that stopped answering is closed within two intervals of the last thing
 * it sent (plus the turns a busy node takes to reach its slot).
 */
export class HeartbeatWheel {
  private readonly slots: Set<Alive>[];
  private readonly timer: NodeJS.Timeout;
  private next = 0;
  /** Visits that did not finish in their turn (a slot over PINGS_PER_TURN), continued in order. */
  private readonly pending: Iterator<Alive>[] = [];
  private draining = false;
  readonly tickMs: number;

  constructor(intervalMs: number) {
    const count = Math.max(1, Math.min(MAX_SLOTS, Math.floor(intervalMs / MIN_TICK_MS)));
    this.slots = Array.from({ length: count }, () => new Set<Alive>());
    this.tickMs = intervalMs / count;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  add(ws: WebSocket): void {
    const alive = ws as Alive;
    // Not a byte count: the first visit only pings.
    alive[SEEN] = -2;
    // The slot just visited: its next visit is one whole interval away.
    const slot = (this.next + this.slots.length - 1) % this.slots.length;
    alive[SLOT] = slot;
    this.slots[slot]!.add(alive);
    // Without a readable byte count (not ws 8 over a net.Socket), pongs are what shows life.
    if (bytesRead(alive) < 0) ws.on('pong', countPong);
  }

  delete(ws: WebSocket): void {
    const slot = (ws as Alive)[SLOT];
    if (slot !== undefined) this.slots[slot]?.delete(ws as Alive);
  }

  stop(): void {
    clearInterval(this.timer);
    this.pending.length = 0;
  }

  /** One slot's visit; what is left past PINGS_PER_TURN goes on in the next turns. */
  private tick(): void {
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    if (slot.size === 0) return;
    this.pending.push(slot.values());
    if (!this.draining) this.drain();
  }

  /** Visits up to PINGS_PER_TURN sockets of the pending slots, then yields the turn. */
  private drain(): void {
    this.draining = false;
    let budget = PINGS_PER_TURN;
    while (this.pending.length > 0 && budget > 0) {
      const it = this.pending[0]!;
      for (;;) {
        if (budget === 0) break;
        const { value: ws, done } = it.next();
        if (done) {
          this.pending.shift();
          break;
        }
        budget--;
        visit(ws);
      }
    }
    if (this.pending.length > 0) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }
}

function visit(ws: Alive): void {
  const read = bytesRead(ws);
  if (read === ws[SEEN]) {
    ws.terminate();
    return;
  }
  ws[SEEN] = read;
  ws.ping();
}

/** Without a byte count every visit reads -1: a pong makes the next visit see a change. */
function countPong(this: Alive): void {
  this[SEEN] = -2;
}
