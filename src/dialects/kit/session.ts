import type { RawData, WebSocket } from 'ws';
import type { Connection, ConnectionSink } from '../../core/connection.js';
import type { Hub } from '../../core/hub.js';
import type { Publication } from '../../core/types.js';
import { ClientSocket, type SocketLimits } from '../../transport/client-socket.js';
import { type Backpressure, type RequestRate, SerialInbox } from './serial-inbox.js';

/**
 * How a dialect reads binary frames. Text frames are always text (ws has checked they are UTF-8);
 * frames over `limits.max_frame_bytes` never reach a session (ws closes them with 1009).
 */
export const BinaryFrames = {
  /** As UTF-8 text like a text frame, invalid bytes replaced (rocket, pusher, mesh backends). */
  text: 'text',
  /** As text when they are valid UTF-8; otherwise to `onBinary` (chat refuses them). */
  utf8: 'utf8',
  /** Always to `onBinary`, as bytes (site refuses them, the mesh gateway forwards them). */
  bytes: 'bytes',
} as const;
export type BinaryFrames = (typeof BinaryFrames)[keyof typeof BinaryFrames];

/**
 * How a dialect's inbox is bounded (SerialInbox). `refuse`: past 256 frames waiting, a frame is
 * refused at once (`refuse(frame, 'pending')`), and with a rate a frame past it is refused in its
 * turn (`'rate'`): request/response dialects. `backpressure`: at 1024 waiting the socket is no
 * longer read until 256 are left, so every frame is handled: senders whose every frame counts.
 */
export type InboxBound = 'refuse' | 'backpressure';

/** What one dialect's sessions have in common, a constant per dialect. */
export interface SessionKind {
  dialect: string;
  binaryFrames: BinaryFrames;
  inbox: InboxBound;
}

/** What a session is opened with, per connection. */
export interface SessionInit {
  hub: Hub;
  namespace: string;
  socketLimits: SocketLimits;
  remoteAddress: string | undefined;
  /** The signed-in user from the start, if the dialect knows one at the upgrade (chat). */
  user?: string | undefined;
  /** For a `refuse` inbox: requests per second and burst before they are refused as rate-limited. */
  rate?: RequestRate | undefined;
}

/** Frames a `refuse` inbox holds waiting for an answer before it refuses new ones. */
export const MAX_PENDING_REQUESTS = 256;
/** A `backpressure` inbox stops reading its socket at this many frames waiting, and reads again at the low mark. */
const PENDING_HIGH = 1024;
const PENDING_LOW = 256;

/** Why a frame was refused without being handled. */
export type Refusal = 'rate' | 'pending';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text, or undefined when they are not valid UTF-8. */
function strictUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A frame's bytes as one Buffer, whatever ws handed over (a Buffer, fragments, an ArrayBuffer). */
export function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * The session is kept on its socket so that the 'message', 'close' and 'error' listeners are three
 * functions shared by every socket rather than closures (and their context) per connection.
 */
const SESSION = Symbol('switchboard.session');
type SessionSocket = WebSocket & { [SESSION]: DialectSession };

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as SessionSocket)[SESSION].receive(data, isBinary);
}

function onSocketClose(this: WebSocket): void {
  (this as SessionSocket)[SESSION].onClose();
}

function onSocketError(this: WebSocket, err: Error): void {
  // An 'error' is always followed by 'close'; listening keeps it from being thrown.
  (this as SessionSocket)[SESSION].onSocketError(err);
}

/**
 * What every dialect session does the same way: the bounded write side (ClientSocket), its
 * connection in the hub (registered here, unregistered on close), the socket's listeners, frames
 * turned into text by the dialect's BinaryFrames rule, and its one serial inbox. A dialect
 * writes its rendering (`deliver`), what a frame means (`onText`, `onBinary`) and, for a `refuse`
 * inbox, how it answers a request (`handle`), a refusal (`refuse`) and a failure (`failed`), each
 * in its own wire shape.
 */
export abstract class DialectSession implements ConnectionSink, Backpressure {
  protected readonly socket: ClientSocket;
  readonly conn: Connection;
  readonly hub: Hub;
  /** For a `refuse` inbox (one object shared by every session of a server). */
  private readonly rate: RequestRate | undefined;
  /** Created with the first frame: an idle connection needs none. */
  private queue: SerialInbox | undefined;

  protected constructor(
    ws: WebSocket,
    private readonly kind: SessionKind,
    init: SessionInit,
  ) {
    this.hub = init.hub;
    this.socket = new ClientSocket(ws, init.socketLimits);
    this.rate = init.rate;
    this.conn = init.hub.register({
      namespace: init.namespace,
      dialect: kind.dialect,
      user: init.user,
      sink: this,
      remoteAddress: init.remoteAddress,
    });
    (ws as SessionSocket)[SESSION] = this;
    ws.on('message', onSocketMessage);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
  }

  // ---- ConnectionSink ----------------------------------------------------------------------

  /** The fan-out hot path: write the dialect's rendering of `publication` (one shared frame). */
  abstract deliver(publication: Publication): boolean;

  sendRaw(data: string | Buffer, binary: boolean): boolean {
    return this.socket.send(data, binary);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  // ---- frames ------------------------------------------------------------------------------

  /** @internal the socket's 'message' listener. */
  receive(data: RawData, isBinary: boolean): void {
    const bytes = frameBytes(data);
    const rule = this.kind.binaryFrames;
    if (!isBinary || rule === BinaryFrames.text) {
      this.onText(bytes.toString('utf8'));
    } else if (rule === BinaryFrames.bytes) {
      this.onBinary(bytes);
    } else {
      const text = strictUtf8(bytes);
      if (text === undefined) this.onBinary(bytes);
      else this.onText(text);
    }
  }

  /** A text frame (or a binary one the BinaryFrames rule reads as text). */
  protected abstract onText(text: string): void;

  /** A binary frame the BinaryFrames rule does not read as text. */
  protected onBinary(_bytes: Buffer): void {}

  /** @internal the socket's 'close' listener: the connection leaves the hub. */
  onClose(): void {
    void this.hub.unregister(this.conn);
  }

  /** @internal the socket's 'error' listener ('close' follows). */
  onSocketError(_err: Error): void {}

  // ---- the inbox ---------------------------------------------------------------------------

  /** The connection's one serial inbox, bounded as the dialect's kind says. */
  protected get inbox(): SerialInbox {
    this.queue ??=
      this.kind.inbox === 'refuse'
        ? new SerialInbox(MAX_PENDING_REQUESTS, this.rate)
        : new SerialInbox(PENDING_HIGH, undefined, this);
    return this.queue;
  }

  /**
   * A request for a `refuse` inbox: answered by `handle` in its turn, or refused (`refuse`) past
   * the rate or with too many waiting; `text` is undefined for a frame that is not text.
   */
  protected request(text: string | undefined): void {
    const queued = this.inbox.push(
      (allowed) => (allowed ? this.handle(text) : this.refuse(text, 'rate')),
      (err) => this.failed(err),
    );
    if (!queued) this.refuse(text, 'pending');
  }

  /** Answer one request (`refuse` inboxes). */
  protected handle(_text: string | undefined): void | Promise<void> {}

  /** Answer a request that is not handled, in the dialect's shape. */
  protected refuse(_text: string | undefined, _why: Refusal): void {}

  /** A frame's handling threw or rejected (a hub failure, or a bug). */
  protected failed(_err: unknown): void {}

  // ---- Backpressure (a `backpressure` inbox) -------------------------------------------------

  get resumeAt(): number {
    return PENDING_LOW;
  }

  pause(): void {
    this.socket.ws.pause();
  }

  resume(): void {
    this.socket.ws.resume();
  }
}
