// The load generator's side: thousands of lean WebSocket clients in one process. `ws` connects
// and runs the scenario's handshake; after that a client's socket is read raw (raw-frames.ts):
// frames are parsed straight from the socket's chunks, each payload scanned in place for bench
// markers (payload.ts) and counted, with no JSON work, no ws Receiver and no Buffer per frame.
// Latency is sampled only while a paced phase asks for it, against the time the chunk arrived.
import WebSocket from 'ws';
import { nowMicros, scanRange } from './payload.js';
import { RawFrameReader, type RawSink, rawConnection } from './raw-frames.js';

export interface ClientSpec {
  url(index: number): string;
  /**
   * The loopback source address of client `index` (127.0.0.2, …): one source address has only
   * the ephemeral port range (~28,000 ports here), so tens of thousands of clients spread over
   * several. Unset or undefined: the kernel's choice (127.0.0.1, a port free for the destination).
   */
  localAddress?(index: number): string | undefined;
  /** Runs once per client after the socket opens; resolves once the client is subscribed. */
  handshake?(ws: WebSocket, index: number): Promise<void>;
  /**
   * A data frame without a bench marker (keep-alives such as NATS `PING`): its payload, a view
   * into the socket's chunk valid only during the call. Answer through `ws.send`.
   */
  onOtherFrame?(ws: WebSocket, frame: Buffer): void;
}

/** A client that could not connect: the upgrade was refused (HTTP status) or the socket failed. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly index: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

const CONNECT_CONCURRENCY = 100;

export class ClientPool implements RawSink {
  readonly sockets: WebSocket[] = [];
  /** Markers received since the last reset. */
  delivered = 0;
  /** Frame bytes received since the last reset. */
  bytes = 0;
  private target = Number.POSITIVE_INFINITY;
  private wake: (() => void) | undefined;
  private samples: Float64Array | undefined;
  private sampleCount = 0;
  private receivedAt = 0;
  private readonly recordStamp = (sentMicros: number) => {
    if (this.samples !== undefined && this.sampleCount < this.samples.length) {
      this.samples[this.sampleCount++] = this.receivedAt - sentMicros;
    }
  };

  /** Milliseconds from `new WebSocket` to the end of the handshake, per client of the last grow(). */
  handshakeMs: number[] = [];

  private constructor(private readonly spec: ClientSpec) {}

  /** Opens `count` clients, `CONNECT_CONCURRENCY` at a time, each through its handshake. */
  static async open(spec: ClientSpec, count: number): Promise<ClientPool> {
    const pool = new ClientPool(spec);
    await pool.grow(count);
    return pool;
  }

  /** Opens `count` more clients (indices continue where the pool is); the pool closes on failure. */
  async grow(count: number): Promise<void> {
    const first = this.sockets.length;
    const end = first + count;
    let next = first;
    let failure: unknown;
    this.handshakeMs = [];
    const worker = async () => {
      while (next < end && failure === undefined) {
        const index = next++;
        try {
          const t0 = performance.now();
          this.sockets.push(await this.openOne(index));
          this.handshakeMs.push(performance.now() - t0);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    // Every worker stops at the first failure; all are settled before the pool is closed, so no
    // socket opened late is left behind.
    await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, worker));
    if (failure !== undefined) {
      this.close();
      throw failure;
    }
  }

  private openOne(index: number): Promise<WebSocket> {
    const ws = new WebSocket(this.spec.url(index), {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      createConnection: rawConnection as never,
      localAddress: this.spec.localAddress?.(index),
    });
    return new Promise<WebSocket>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () =>
          reject(
            new ConnectError(
              `upgrade refused with HTTP ${res.statusCode}: ${body.slice(0, 200)}`,
              index,
              res.statusCode,
            ),
          ),
        );
      });
      ws.once('error', (err) => reject(new ConnectError(`client ${index} failed: ${err.message}`, index)));
      ws.once('open', () => {
        const ready = this.spec.handshake?.(ws, index) ?? Promise.resolve();
        ready.then(
          () => {
            try {
              RawFrameReader.takeOver(ws, this);
            } catch (err) {
              ws.terminate();
              reject(err);
              return;
            }
            resolve(ws);
          },
          (err: unknown) => {
            ws.terminate();
            reject(err);
          },
        );
      });
    });
  }

  /** RawSink: a chunk arrived on some client's socket. */
  onChunk(): void {
    if (this.samples !== undefined) this.receivedAt = nowMicros();
  }

  /** RawSink: a data frame whose payload is `buf[start, end)`. */
  onData(ws: WebSocket, buf: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    const n = scanRange(buf, start, end, this.samples === undefined ? undefined : this.recordStamp);
    if (n === 0) {
      this.spec.onOtherFrame?.(ws, buf.subarray(start, end));
      return;
    }
    this.delivered += n;
    if (this.delivered >= this.target) this.wake?.();
  }

  reset(): void {
    this.delivered = 0;
    this.bytes = 0;
  }

  /** Start keeping latency samples (µs), up to `capacity` of them. */
  startSampling(capacity: number): void {
    this.samples = new Float64Array(capacity);
    this.sampleCount = 0;
  }

  stopSampling(): Float64Array {
    const out = (this.samples ?? new Float64Array(0)).subarray(0, this.sampleCount);
    this.samples = undefined;
    return out;
  }

  /**
   * Resolves when `target` markers have arrived since the last reset, or when nothing arrived
   * for `stallMs` (then `complete` is false and the shortfall is what was lost or still queued).
   */
  waitFor(target: number, stallMs: number): Promise<{ complete: boolean; at: number }> {
    this.target = target;
    return new Promise((resolve) => {
      let seen = this.delivered;
      let quietSince = Date.now();
      const finish = (complete: boolean) => {
        clearInterval(timer);
        this.wake = undefined;
        this.target = Number.POSITIVE_INFINITY;
        resolve({ complete, at: performance.now() });
      };
      const timer = setInterval(() => {
        if (this.delivered !== seen) {
          seen = this.delivered;
          quietSince = Date.now();
        } else if (Date.now() - quietSince > stallMs) finish(false);
      }, 100);
      this.wake = () => finish(true);
      if (this.delivered >= target) finish(true);
    });
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.length = 0;
  }
}
