// The connection half shared by RocketClient, ChatClient and GatewayClient: one WebSocket at a
// time, a reconnect with backoff and jitter after every close the application did not ask for,
// and `state` events. Each client adds its dialect on top through the protected hooks. Nothing
// here imports Node: the WebSocket class is the host's or an injected one.
import { Backoff, type BackoffOptions } from './backoff.js';
import { ClientError } from './client-error.js';
import { Emitter } from './emitter.js';
import { detach, safeClose } from './requests.js';
import { ConnectionState, type StateChange, type WebSocketConstructor, type WebSocketLike } from './types.js';

type Timer = ReturnType<typeof setTimeout>;
// biome-ignore lint/suspicious/noExplicitAny: listener signatures vary per event.
type Listener = (...args: any[]) => void;

const OPEN = 1;
const ABANDON_CODE = 4000;

/** Options every reconnecting client takes. */
export interface SocketOptions {
  /** Defaults to `globalThis.WebSocket`; on Node 20 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  backoff?: Partial<BackoffOptions>;
  /** A socket not open after this long is abandoned and retried. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** A request unanswered this long fails with `timeout` and the socket is replaced. Default 15,000 ms. */
  requestTimeoutMs?: number;
  /** Decide whether a close the client did not ask for is followed by a reconnect. Default: always. */
  shouldReconnect?: (close: { code: number; reason: string }) => boolean;
  /** Source of jitter, 0..1. Default `Math.random`. */
  random?: () => number;
}

export interface SocketEvents {
  state: (change: StateChange) => void;
  error: (error: ClientError) => void;
}

export abstract class ReconnectingSocket<
  Events extends SocketEvents & { [K in keyof Events]: Listener },
> extends Emitter<Events> {
  protected readonly requestTimeoutMs: number;
  private readonly WS: WebSocketConstructor;
  private readonly connectTimeoutMs: number;
  private readonly shouldReconnect: (close: { code: number; reason: string }) => boolean;
  private readonly backoff: Backoff;
  private readonly label: string;
  private current: ConnectionState = ConnectionState.idle;
  private ws: WebSocketLike | undefined;
  /** Bumped whenever a socket is opened or dropped: callbacks of an older one are ignored. */
  private gen = 0;
  private connectTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private closing: Promise<void> | undefined;
  private readyWaiters: { resolve(): void; reject(e: unknown): void }[] = [];
  /** True between `onSocketOpen` and `markReady`: the dialect's handshake (rocket auth) runs. */
  private preparing = false;

  protected constructor(
    protected readonly url: string,
    options: SocketOptions,
    label: string,
  ) {
    super();
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new TypeError(`url must start with ws:// or wss://, got ${url}`);
    }
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new TypeError(
        'no global WebSocket: pass the WebSocket option (on Node 20: `import { WebSocket } from "ws"`)',
      );
    }
    this.WS = WS;
    this.label = label;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.shouldReconnect = options.shouldReconnect ?? (() => true);
    this.backoff = new Backoff(options.backoff ?? {}, options.random ?? Math.random);
  }

  get state(): ConnectionState {
    return this.current;
  }

  /**
   * Open the connection. Resolves once connected (and, for rocket, authenticated); it keeps
   * retrying meanwhile and rejects only if `close()` comes first.
   */
  connect(): Promise<void> {
    if (this.current === ConnectionState.closed) return Promise.reject(this.closedError());
    if (this.current === ConnectionState.connected && !this.preparing) return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (this.current === ConnectionState.idle) this.open();
    return ready;
  }

  /** Close for good: no reconnect; pending requests fail with `closed`. Resolves when the socket is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const ws = this.ws;
    this.closing = new Promise<void>((resolve) => {
      if (!ws || ws.readyState > OPEN) return resolve();
      detach(ws);
      ws.onclose = () => resolve();
      try {
        ws.close(1000, 'client closed');
      } catch {
        resolve();
      }
    });
    this.ws = undefined;
    this.finish({ code: 1000, reason: 'client closed' });
    return this.closing;
  }

  // ---- for the dialect clients ---------------------------------------------------------------

  /** The socket opened: run the dialect's handshake, then call `markReady()` (default: at once). */
  protected onSocketOpen(): void {
    this.markReady();
  }

  /** One frame of the current socket: a string, or an ArrayBuffer for a binary frame. */
  protected abstract onSocketFrame(data: string | ArrayBuffer): void;

  /** The current socket is gone (a reconnect follows unless `final`): fail what was in flight. */
  protected abstract onSocketLost(error: ClientError, final: boolean): void;

  /** The connection is usable: resolve `connect()` waiters and restart the backoff schedule. */
  protected markReady(): void {
    if (this.current !== ConnectionState.connected) return;
    this.preparing = false;
    this.backoff.reset();
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  /** The dialect's handshake was refused: `connect()` waiters reject with `error`; the socket stays. */
  protected failReady(error: ClientError): void {
    this.preparing = false;
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
  }

  /** Connected and past the dialect's handshake. */
  protected get ready(): boolean {
    return this.current === ConnectionState.connected && !this.preparing;
  }

  /** Write one frame on the current socket; false (and a reconnect) if there is none or it failed. */
  protected write(data: string | ArrayBuffer | ArrayBufferView): boolean {
    const ws = this.ws;
    if (!ws || this.current !== ConnectionState.connected) return false;
    try {
      (ws.send as (d: unknown) => void)(data);
      return true;
    } catch {
      this.lost(this.gen, 1006, 'send failed');
      return false;
    }
  }

  /** Give up on the current socket (a request timed out): it is closed and replaced. */
  protected dropSocket(reason: string): void {
    this.lost(this.gen, 1006, reason);
  }

  protected emitError(error: ClientError): void {
    if (this.listenerCount('error') > 0) this.emit('error', ...([error] as Parameters<Events['error']>));
    // Without a listener an error would vanish; the console is the one sink every host has.
    else console.warn(`[switchboard ${this.label}] ${error.message}`);
  }

  protected closedError(channel?: string): ClientError {
    return new ClientError('closed', 'the client was closed', { channel });
  }

  // ---- connection ----------------------------------------------------------------------------

  private open(): void {
    const gen = ++this.gen;
    this.setState({ state: ConnectionState.connecting });
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.url);
    } catch (err) {
      this.emitError(new ClientError('usage', `could not open ${this.url}`, { cause: err }));
      this.lost(gen, 1006, 'could not open the socket');
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    this.connectTimer = setTimeout(() => this.lost(gen, 1006, 'connect timed out'), this.connectTimeoutMs);
    ws.onopen = () => {
      if (gen !== this.gen) return;
      clearTimeout(this.connectTimer);
      this.preparing = true;
      this.setState({ state: ConnectionState.connected });
      this.onSocketOpen();
    };
    ws.onmessage = (event: { data: unknown }) => {
      if (gen !== this.gen) return;
      const data = event.data;
      if (typeof data === 'string' || data instanceof ArrayBuffer) this.onSocketFrame(data);
    };
    ws.onclose = (event: { code?: number; reason?: string }) =>
      this.lost(gen, event.code ?? 1006, event.reason ?? '');
    // Always followed by a close event, which does the work.
    ws.onerror = () => undefined;
  }

  /** The socket `gen` closed or is abandoned: fail its requests and schedule a reconnect. */
  private lost(gen: number, code: number, reason: string): void {
    if (gen !== this.gen || this.current === ConnectionState.closed) return;
    this.gen++;
    this.preparing = false;
    clearTimeout(this.connectTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      detach(ws);
      if (ws.readyState <= OPEN) safeClose(ws, ABANDON_CODE, reason);
    }
    const final = !this.shouldReconnect({ code, reason });
    this.onSocketLost(
      new ClientError('disconnected', `connection lost (${code}${reason ? ` ${reason}` : ''})`),
      final,
    );
    if (final) {
      this.finish({ code, reason }, true);
      return;
    }
    const delayMs = this.backoff.next();
    this.setState({
      state: ConnectionState.reconnecting,
      attempt: this.backoff.attempts,
      delayMs,
      code,
      reason,
    });
    this.reconnectTimer = setTimeout(() => this.open(), delayMs);
  }

  /** Enter the final state: nothing reconnects, every waiting promise is rejected. */
  private finish(close: { code: number; reason: string }, notified = false): void {
    if (this.current === ConnectionState.closed) return;
    this.gen++;
    clearTimeout(this.connectTimer);
    clearTimeout(this.reconnectTimer);
    const closed = this.closedError();
    if (!notified) this.onSocketLost(closed, true);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(closed);
    this.setState({ state: ConnectionState.closed, ...close });
  }

  private setState(change: StateChange): void {
    this.current = change.state;
    this.emit('state', ...([change] as Parameters<Events['state']>));
  }
}
