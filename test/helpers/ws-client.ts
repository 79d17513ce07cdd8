import { WebSocket } from 'ws';

export interface Frame {
  data: string | Buffer;
  binary: boolean;
}

const DEFAULT_WAIT_MS = 3000;

/**
 * A raw-frame test client: it sends exactly the bytes it is given and hands back every frame it
 * receives, so protocol tests see the wire, not a library's idea of it. Every wait has a timeout,
 * so a server that stays silent fails the test instead of hanging it.
 */
export class RawClient {
  private readonly frames: Frame[] = [];
  private readonly waiters: ((f: Frame) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, binary: boolean) => {
      const frame = { data: binary ? data : data.toString('utf8'), binary };
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  static connect(url: string, options: { headers?: Record<string, string> } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: options.headers, perMessageDeflate: false });
      const client = new RawClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () =>
          reject(new UpgradeRefused(res.statusCode ?? 0, body, res.headers['content-type'])),
        );
      });
    });
  }

  /** Send a JSON value as a text frame (or a string verbatim). */
  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  sendBinary(data: Buffer): void {
    this.ws.send(data, { binary: true });
  }

  nextFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push(waiter);
    });
  }

  /** The next frame, parsed as JSON. */
  async next<T = any>(timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    const f = await this.nextFrame(timeoutMs);
    return JSON.parse(f.data.toString()) as T;
  }

  /** Resolve true if no frame arrives within `ms` (for "nothing else was sent" checks). */
  async silentFor(ms = 150): Promise<boolean> {
    if (this.frames.length > 0) return false;
    try {
      await this.nextFrame(ms).then((f) => this.frames.unshift(f));
      return false;
    } catch {
      return true;
    }
  }

  /** Frames received and not yet read. */
  get buffered(): number {
    return this.frames.length;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string | undefined,
  ) {
    super(`upgrade refused with HTTP ${status}: ${body}`);
  }

  json(): any {
    return JSON.parse(this.body);
  }
}

/** Expect the upgrade to be refused; returns the refusal. */
export async function expectRefused(url: string, headers?: Record<string, string>): Promise<UpgradeRefused> {
  try {
    const c = await RawClient.connect(url, { headers });
    await c.close();
  } catch (err) {
    if (err instanceof UpgradeRefused) return err;
    throw err;
  }
  throw new Error(`expected ${url} to be refused, but it connected`);
}
