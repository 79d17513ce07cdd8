import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { framePayload, isBinaryFrame } from './frame.js';
import { type SocketTransport, transportOf } from './transport-state.js';
import { Hold, type Holdable } from './write-batcher.js';

export interface SocketLimits {
  /** Past this many bytes waiting in the socket, the client is closed as a slow consumer. */
  maxOutboundBytes: number;
  /**
   * Deliveries (`sendFrame`) may be held across turns for up to this long when writes come faster
   * (write-batcher.ts); 0 or absent: every turn writes at once.
   */
  coalesceMs?: number;
}

/**
 * How long a close handshake may take before the socket is cut. A slow consumer's close frame
 * waits behind everything already buffered for it, and a client that never reads never answers:
 * without this cut its socket (and the buffered bytes) would stay until TCP gives up.
 */
const CLOSE_GRACE_MS = 3000;

/**
 * The most a socket holds corked within one turn before it is flushed anyway: large enough that a
 * burst still leaves in few syscalls (hundreds of typical frames per writev), small enough that a
 * turn that never ends soon cannot hold much or hide a backlog from the slow-consumer check.
 */
const MAX_HELD_BYTES = 64 * 1024;

// Constant option objects: `ws.send` copies them, so one per kind serves every write.
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/**
 * The parts of `ws` 8's internals the fast path relies on (node_modules/ws/lib/websocket.js and
 * sender.js, ws 8.x; docs/benchmarks.md "Coupling to ws internals"). `_socket` is the TCP socket
 * under a server-side WebSocket; the Sender writes a message synchronously to it only while its
 * `_state` is DEFAULT (0) with an empty `_queue` (otherwise — compressing, reading a Blob — it
 * queues, and a frame written past it would overtake the queued ones) and `_firstFragment` is true
 * (no fragmented message is half sent).
 */
interface WsInternals {
  _socket?: Duplex;
  _extensions?: Record<string, unknown>;
  _sender?: { _state?: unknown; _queue?: unknown; _firstFragment?: unknown };
}
type SenderInternals = { _state: number; _queue: unknown[]; _firstFragment: boolean };

/**
 * ws 8's Receiver queues the TCP chunks of a frame in `_buffers` (receiver.js: `push` in
 * `_write`, `shift` as frames are parsed). Once one frame has arrived that array keeps a backing
 * store of 16 slots (144 B) for as long as the socket lives, though it is empty between frames.
 * Called while ws emits a 'message': if nothing is queued, an empty array takes its place (ws reads
 * `this._buffers` afresh at every use), so an idle connection that once sent a frame holds none.
 */
export function shedReceiverBuffer(ws: WebSocket): void {
  const receiver = (ws as unknown as { _receiver?: { _buffers?: unknown; _bufferedBytes?: unknown } })
    ._receiver;
  if (receiver === undefined || receiver._bufferedBytes !== 0) return;
  const buffers = receiver._buffers;
  if (Array.isArray(buffers) && buffers.length === 0) receiver._buffers = [];
}

/** The Sender when its fields look as ws 8 has them and permessage-deflate is off; else null. */
function directSender(ws: WsInternals): SenderInternals | null {
  const sender = ws._sender;
  if (ws._extensions === undefined || Object.keys(ws._extensions).length > 0) return null;
  if (sender === undefined || typeof sender._state !== 'number' || !Array.isArray(sender._queue)) return null;
  if (typeof sender._firstFragment !== 'boolean') return null;
  return sender as SenderInternals;
}

/** ws writes nothing of its own right now, so a frame may go straight to the TCP socket. */
function senderIdle(sender: SenderInternals): boolean {
  return sender._state === 0 && sender._queue.length === 0 && sender._firstFragment;
}

function corkable(socket: Duplex | undefined): socket is Duplex {
  return socket !== undefined && typeof socket.cork === 'function' && typeof socket.uncork === 'function';
}

/**
 * The write side of a client WebSocket, shared by every dialect: bounded outbound buffer (a
 * client that falls behind gets 1013 "slow consumer" instead of growing our memory) and a close
 * that cannot hang. Writes never throw; they return false when the frame was not queued.
 *
 * Fast path: every write corks the TCP socket for the rest of the event-loop turn, or
 * a delivery while deliveries come faster than `coalesceMs` until that window ends
 * (write-batcher.ts), so a burst to one client is one syscall; `sendFrame` keeps a frame built
 * once per publication (frame.ts) until the hold ends and then writes the hold's frames straight
 * to the TCP socket as one Buffer. Any other write (`send`, a close) first writes the frames kept
 * before it, so frames never reorder between the two paths.
 */
export class ClientSocket implements Holdable {
  private closing = false;
  /** The TCP socket when it can be corked (always, with ws 8 on a real connection); else null. */
  private readonly tcp: Duplex | null;
  /** ws's Sender when pre-framed frames may bypass it (ws 8 fields present, no compression). */
  private readonly sender: SenderInternals | null;
  /** Whether we hold the TCP socket corked, and until when (write-batcher.ts releases it). */
  hold: Hold = Hold.none;
  /** Bytes a turn may hold corked before they are flushed early (see admit). */
  private readonly flushBytes: number;
  /**
   * The pre-framed deliveries of the current hold, not yet handed to the TCP socket: one frame,
   * or several in order. Kept here rather than written into the corked socket one by one because
   * a corked Writable keeps an entry object per write until the uncork; a burst to 19,000 sockets
   * kept 380,000 of them alive across young-generation collections (18% of the burst's time in
   * GC). A reference per frame, freed at the release, costs far less to collect.
   */
  private pending: Buffer | Buffer[] | null = null;
  private pendingBytes = 0;
  /** The listener's batcher and counters (never another server's). */
  private readonly transport: SocketTransport;

  constructor(
    readonly ws: WebSocket,
    private readonly limits: SocketLimits,
  ) {
    const internals = ws as unknown as WsInternals;
    this.tcp = corkable(internals._socket) ? internals._socket : null;
    this.sender = this.tcp === null ? null : directSender(internals);
    this.flushBytes = Math.min(MAX_HELD_BYTES, limits.maxOutboundBytes);
    this.transport = transportOf(ws);
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer, binary = false): boolean {
    if (!this.admit()) return false;
    this.holdCork(false);
    this.writePending();
    this.ws.send(data, binary ? BINARY : TEXT);
    return true;
  }

  /**
   * Write a complete frame made by frame.ts (the same Buffer for every receiver). Falls back to
   * `ws.send` of its payload — same bytes on the wire — whenever ws might hold data of its own.
   */
  sendFrame(frame: Buffer): boolean {
    if (!this.admit()) return false;
    this.holdCork(true);
    const sender = this.sender;
    if (sender !== null && senderIdle(sender)) {
      // Held (holdCork always holds a corkable socket): written at the release, in order.
      this.keep(frame);
    } else {
      this.writePending();
      this.ws.send(framePayload(frame), isBinaryFrame(frame) ? BINARY : TEXT);
    }
    return true;
  }

  private keep(frame: Buffer): void {
    const pending = this.pending;
    if (pending === null) this.pending = frame;
    else if (Array.isArray(pending)) pending.push(frame);
    else this.pending = [pending, frame];
    this.pendingBytes += frame.length;
  }

  /** Hands the kept frames to the (still corked) TCP socket, as one Buffer. */
  private writePending(): void {
    const pending = this.pending;
    if (pending === null) return;
    const bytes = this.pendingBytes;
    this.pending = null;
    this.pendingBytes = 0;
    // ws answered the peer's close meanwhile: nothing may follow its close frame.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const frames = Array.isArray(pending) ? pending : [pending];
    if (senderIdle(this.sender!)) {
      this.tcp!.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
      return;
    }
    // ws began something of its own since (it never does with compression off): queue behind it.
    for (const f of frames) this.ws.send(framePayload(f), isBinaryFrame(f) ? BINARY : TEXT);
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    // The close frame leaves at the end of this turn, not a coalescing window later.
    if (this.hold === Hold.window) this.promoteToTurn();
    try {
      this.writePending();
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
      return;
    }
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }

  /** write-batcher.ts: the hold is over, let everything written in it leave in one writev. */
  releaseCork(): void {
    if (this.hold === Hold.none) return;
    this.hold = Hold.none;
    try {
      this.writePending();
    } catch {
      // A destroyed socket takes nothing more; the close path reports it.
    }
    try {
      this.tcp!.uncork();
    } catch {
      // A destroyed socket has nothing left to flush; the close path reports it.
    }
  }

  /**
   * Open and not too far behind; a client past the limit is closed with 1013. The backlog is
   * judged at the first write of each hold (a turn or a coalescing window), before the cork: what
   * is written during the hold sits corked in `writableLength` until it ends, so counting it would
   * cut a healthy client for the size of one burst (and a burst's pre-framed frames are shared
   * Buffers, not copies). Bytes the kernel did not take when the hold ended stay in
   * `bufferedAmount` and are judged at the next hold's first write, or as soon as the hold has
   * reached `flushBytes` and flushed them.
   */
  private admit(): boolean {
    if (!this.open) return false;
    if (this.hold !== Hold.none) {
      if (this.tcp!.writableLength + this.pendingBytes < this.flushBytes) return true;
      // A turn that writes this much (a long microtask-only publish loop, which never lets the
      // tick run) lets what it holds go now: the hold stays bounded, and what the kernel does not
      // take is judged below as backlog.
      this.writePending();
      this.tcp!.uncork();
      this.tcp!.cork();
    }
    if (this.ws.bufferedAmount > this.limits.maxOutboundBytes) {
      this.transport.counters.slowConsumers++;
      this.close(1013, 'slow consumer');
      return false;
    }
    return true;
  }

  /**
   * Cork for this turn, or (a delivery while writes come faster than the coalescing window) for
   * the window. Anything but a delivery ends a window hold with this turn (deliveries first: one
   * stream), so replies never wait for the window.
   */
  private holdCork(delivery: boolean): void {
    if (this.tcp === null) return;
    const hold = this.hold;
    if (hold === Hold.turn) return;
    if (hold === Hold.window) {
      if (!delivery) this.promoteToTurn();
      return;
    }
    this.tcp.cork();
    const windowMs = this.limits.coalesceMs ?? 0;
    const batcher = this.transport.batcher;
    if (delivery && batcher.holdAcrossTurns(windowMs)) {
      this.hold = Hold.window;
      batcher.holdForWindow(this, windowMs);
    } else {
      this.hold = Hold.turn;
      batcher.holdForTurn(this);
    }
  }

  private promoteToTurn(): void {
    this.hold = Hold.turn;
    this.transport.batcher.holdForTurn(this);
  }
}

const sharedLimits = new WeakMap<object, SocketLimits>();

/**
 * The `SocketLimits` of a config's `limits` section, one object per config: every socket of a
 * server points at the same one instead of carrying its own copy.
 */
export function socketLimitsFor(limits: {
  max_outbound_bytes: number;
  write_coalesce_ms: number;
}): SocketLimits {
  let shared = sharedLimits.get(limits);
  if (shared === undefined) {
    shared = { maxOutboundBytes: limits.max_outbound_bytes, coalesceMs: limits.write_coalesce_ms };
    sharedLimits.set(limits, shared);
  }
  return shared;
}
