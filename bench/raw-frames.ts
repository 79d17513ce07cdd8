// Lean raw-frame reading for the load generator's clients. `ws` connects and runs each
// scenario's handshake; then `takeOver` unhooks ws's Receiver from the TCP socket and parses the
// server's frames here: no Receiver stream, no 'message' event, no Buffer per frame.
//
// Sockets made by `rawConnection` (ws's `createConnection` option) go further: they read into one
// buffer shared by the whole process (net's `onread`), so a read allocates nothing and bypasses
// the Readable stream; until the takeover each read is copied and pushed into the stream as net
// would, for ws's HTTP upgrade and the handshake. Payloads are handed on as `[start, end)` ranges
// of the read; bytes are copied only when a frame straddles reads (and once more, when that frame
// is complete).
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import type WebSocket from 'ws';

export interface RawSink {
  /** A socket chunk arrived (before any of its frames are handed on). */
  onChunk(): void;
  /** A text, binary or continuation frame: its payload is `buf[start, end)`. */
  onData(ws: WebSocket, buf: Buffer, start: number, end: number): void;
}

// ws internals this relies on (ws 8): the socket's 'data' listener and the Receiver's state.
interface WsInternals {
  _socket: Socket | null;
  _receiver: {
    _state: number;
    _buffers: Buffer[];
    _bufferedBytes: number;
    _fin: boolean;
    _opcode: number;
    _payloadLength: number;
    _fragments: Buffer[];
    _totalPayloadLength: number;
  };
}

const GET_INFO = 0;
const GET_PAYLOAD_LENGTH_16 = 1;
const GET_PAYLOAD_LENGTH_64 = 2;
const GET_DATA = 4;

/** A frame header (unmasked) for `length` bytes of payload. */
function header(fin: boolean, opcode: number, length: number): Buffer {
  const b0 = (fin ? 0x80 : 0) | opcode;
  if (length < 126) return Buffer.from([b0, length]);
  if (length < 0x10000) {
    const h = Buffer.from([b0, 126, 0, 0]);
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.from([b0, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
  h.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  h.writeUInt32BE(length >>> 0, 6);
  return h;
}

/** One read buffer for every raw socket: reads are handled synchronously, one at a time. */
const SHARED_READ = Buffer.allocUnsafe(64 * 1024);

/** Where a `rawConnection` socket's reads go: the stream until taken over, then a reader. */
interface ReadHook {
  socket: Socket | undefined;
  reader: RawFrameReader | undefined;
}

const HOOK = Symbol('raw-frames hook');

/**
 * A `createConnection` for ws's client options: a TCP socket reading into the shared buffer.
 * (ws's own `netConnect`, plus `onread`.)
 */
export function rawConnection(options: NetConnectOpts & { socketPath?: string }): Socket {
  const hook: ReadHook = { socket: undefined, reader: undefined };
  const socket = connect({
    ...options,
    path: options.socketPath,
    onread: {
      buffer: SHARED_READ,
      callback: (nread: number, buf: Uint8Array): boolean => {
        if (hook.reader !== undefined) {
          hook.reader.onRead(buf as Buffer, nread);
          return true;
        }
        // Before the takeover: what net does without `onread`.
        return hook.socket!.push(Buffer.from(buf.subarray(0, nread)));
      },
    },
  } as NetConnectOpts);
  hook.socket = socket;
  (socket as unknown as Record<symbol, ReadHook>)[HOOK] = hook;
  return socket;
}

export class RawFrameReader {
  private pend: Buffer[] = [];
  private pendLen = 0;
  private pendNeed = 0;

  private constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly sink: RawSink,
  ) {}

  /**
   * Takes `ws`'s socket over once its handshake is done. Whatever ws's Receiver holds of a frame
   * not yet complete is handed back here as bytes, so nothing already read is lost. Returns false
   * when the socket is already gone.
   */
  static takeOver(ws: WebSocket, sink: RawSink): boolean {
    const internals = ws as unknown as WsInternals;
    const socket = internals._socket;
    if (socket === null || socket.destroyed) return false;
    const wsData = socket.listeners('data').filter((l) => l.name === 'socketOnData');
    if (wsData.length !== 1)
      throw new Error("raw frames: ws's socket 'data' listener not found (ws version?)");
    const receiver = internals._receiver;
    const state = receiver._state;
    if (
      state !== GET_INFO &&
      state !== GET_PAYLOAD_LENGTH_16 &&
      state !== GET_PAYLOAD_LENGTH_64 &&
      state !== GET_DATA
    ) {
      throw new Error(`raw frames: ws Receiver in unexpected state ${state}`);
    }
    const reader = new RawFrameReader(ws, socket, sink);
    // ws's 'close', 'end' and 'error' listeners stay: terminate()/destroy() still close the
    // WebSocket as before (its Receiver just never sees another byte).
    socket.removeListener('data', wsData[0] as (chunk: Buffer) => void);
    // Read but not yet emitted (only if the socket was paused): read() hands it over here, the
    // 'data' it emits has no listener now.
    const unread = socket.readableLength > 0 ? (socket.read(socket.readableLength) as Buffer | null) : null;
    const hook = (socket as unknown as Record<symbol, ReadHook | undefined>)[HOOK];
    if (hook !== undefined) hook.reader = reader;
    else socket.on('data', reader.onChunk);

    // Bytes ws read but has not emitted yet: a fragmented message's earlier frames, and the start
    // of the current frame (whose header ws may already have consumed; it is rebuilt).
    const leftover: Buffer[] = [];
    if (receiver._fragments.length > 0) {
      const data = Buffer.concat(receiver._fragments);
      leftover.push(header(true, 0, data.length), data);
    }
    if (state === GET_PAYLOAD_LENGTH_16 || state === GET_PAYLOAD_LENGTH_64) {
      leftover.push(Buffer.from([(receiver._fin ? 0x80 : 0) | receiver._opcode, receiver._payloadLength]));
    } else if (state === GET_DATA) {
      leftover.push(header(receiver._fin, receiver._opcode, receiver._payloadLength));
    }
    if (receiver._bufferedBytes > 0) leftover.push(...receiver._buffers);
    if (unread !== null) leftover.push(unread);
    receiver._buffers = [];
    receiver._bufferedBytes = 0;
    receiver._fragments = [];
    receiver._totalPayloadLength = 0;
    receiver._state = GET_INFO;
    if (leftover.length > 0) reader.onChunk(Buffer.concat(leftover));
    socket.resume();
    return true;
  }

  /** A chunk of its own (a 'data' event): kept as it is when a frame straddles. */
  private readonly onChunk = (chunk: Buffer): void => {
    if (this.pendLen > 0) {
      this.pend.push(chunk);
      this.pendLen += chunk.length;
      if (this.pendLen < this.pendNeed) return;
      this.sink.onChunk();
      this.parseJoined();
      return;
    }
    this.sink.onChunk();
    this.parse(chunk, chunk.length, false);
  };

  /** `nread` bytes in the shared buffer (an `onread` read): copied only when a frame straddles. */
  onRead(buf: Buffer, nread: number): void {
    if (this.pendLen > 0) {
      this.pend.push(Buffer.from(buf.subarray(0, nread)));
      this.pendLen += nread;
      if (this.pendLen < this.pendNeed) return;
      this.sink.onChunk();
      this.parseJoined();
      return;
    }
    this.sink.onChunk();
    this.parse(buf, nread, true);
  }

  private parseJoined(): void {
    const joined = Buffer.concat(this.pend, this.pendLen);
    this.pend = [];
    this.pendLen = 0;
    this.parse(joined, joined.length, false);
  }

  /** Keeps `buf[off, len)`, a frame's beginning, until `need` bytes of it are there. */
  private stash(buf: Buffer, off: number, len: number, shared: boolean, need: number): void {
    const rest = off === 0 && len === buf.length ? buf : buf.subarray(off, len);
    this.pend.push(shared ? Buffer.from(rest) : rest);
    this.pendLen = len - off;
    this.pendNeed = need;
  }

  /** Frames in `buf[0, len)`; `shared`: the buffer is reused by the next read. */
  private parse(buf: Buffer, len: number, shared: boolean): void {
    let off = 0;
    while (off < len) {
      const avail = len - off;
      if (avail < 2) {
        this.stash(buf, off, len, shared, 2);
        return;
      }
      const b0 = buf[off]!;
      const b1 = buf[off + 1]!;
      let length = b1 & 0x7f;
      let head = 2;
      if (length === 126) {
        head = 4;
        if (avail < head) {
          this.stash(buf, off, len, shared, head);
          return;
        }
        length = buf.readUInt16BE(off + 2);
      } else if (length === 127) {
        head = 10;
        if (avail < head) {
          this.stash(buf, off, len, shared, head);
          return;
        }
        length = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
      }
      const masked = (b1 & 0x80) !== 0; // never from a server, but cheap to honour
      if (masked) {
        head += 4;
        if (avail < head) {
          this.stash(buf, off, len, shared, head);
          return;
        }
      }
      const total = head + length;
      if (avail < total) {
        this.stash(buf, off, len, shared, total);
        return;
      }
      const start = off + head;
      const end = off + total;
      if (masked) {
        const mask = start - 4;
        for (let i = start; i < end; i++) buf[i] = buf[i]! ^ buf[mask + ((i - start) & 3)]!;
      }
      off = end;
      const opcode = b0 & 0x0f;
      if (opcode <= 2) this.sink.onData(this.ws, buf, start, end);
      else if (opcode === 9) this.ws.pong(Buffer.from(buf.subarray(start, end)));
      else if (opcode === 8) {
        this.socket.destroy();
        return;
      }
      // pong (10) and reserved opcodes: ignored.
    }
  }
}
