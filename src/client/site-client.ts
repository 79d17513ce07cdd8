// SiteClient: a browser and Node client for the `site` dialect (docs/client-sdk.md). It keeps one
// WebSocket open, reconnects with backoff after any close it did not ask for, and resumes every
// subscription after the last ord it delivered, so the application sees each message once, in
// order. Nothing here imports Node: the WebSocket class is the host's or an injected one.
import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { SiteClientError, SiteClientErrorKind } from './errors.js';
import { ConnectionLost, detach, type RequestHandlers, Requests, safeClose } from './requests.js';
import { createRecord, type SubRecord } from './subscription.js';
import {
  ConnectionState,
  type GetAuth,
  type MessageHandler,
  type SiteAuth,
  type SiteClientEvents,
  type SiteClientOptions,
  type StateChange,
  type SubscribeOptions,
  type Subscription,
  type WebSocketConstructor,
  type WebSocketLike,
} from './types.js';
import { encodeSubscribe, encodeUnsubscribe, parseServerFrame } from './wire.js';

type Timer = ReturnType<typeof setTimeout>;

const OPEN = 1;
const ABANDON_CODE = 4000;

export class SiteClient extends Emitter<SiteClientEvents> {
  private readonly url: string;
  private readonly getAuth: GetAuth;
  private readonly WS: WebSocketConstructor;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly shouldReconnect: (close: { code: number; reason: string }) => boolean;
  private readonly backoffOptions: Partial<BackoffOptions>;
  private readonly random: () => number;
  private readonly connBackoff: Backoff;
  private readonly subs = new Map<string, SubRecord>();
  private readonly requests = new Requests();
  private connectWaiters: { resolve(): void; reject(e: unknown): void }[] = [];
  private current: ConnectionState = ConnectionState.idle;
  private ws: WebSocketLike | undefined;
  /** Bumped whenever a socket is opened or dropped: callbacks of an older one are ignored. */
  private gen = 0;
  private connectTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: SiteClientOptions) {
    super();
    const url = new URL(options.url);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new TypeError(`url must start with ws:// or wss://, got ${options.url}`);
    }
    if (typeof options.getAuth !== 'function') throw new TypeError('getAuth must be a function');
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new TypeError(
        'no global WebSocket: pass the WebSocket option (on Node 20: `import { WebSocket } from "ws"`)',
      );
    }
    this.url = options.url;
    this.getAuth = options.getAuth;
    this.WS = WS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.shouldReconnect = options.shouldReconnect ?? (() => true);
    this.backoffOptions = options.backoff ?? {};
    this.random = options.random ?? Math.random;
    this.connBackoff = new Backoff(this.backoffOptions, this.random);
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Open the connection (subscribe() does it too). Resolves once connected; rejects if closed first. */
  connect(): Promise<void> {
    if (this.current === ConnectionState.closed) return Promise.reject(this.closedError());
    if (this.current === ConnectionState.connected) return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    if (this.current === ConnectionState.idle) this.open();
    return ready;
  }

  /**
   * Subscribe `handler` to `channel`. Resolves once the server accepted the first subscribe;
   * rejects with a SiteClientError if that one is refused (bad credentials, say) or getAuth
   * fails. From then on the subscription survives reconnects until `unsubscribe()`/`close()`.
   */
  subscribe<T = unknown>(
    channel: string,
    handler: MessageHandler<T>,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.current === ConnectionState.closed) return Promise.reject(this.closedError(channel));
    const after = options.after ?? 0;
    if (typeof channel !== 'string' || channel.length === 0) {
      return Promise.reject(new SiteClientError('usage', 'channel must be a non-empty string'));
    }
    if (!Number.isSafeInteger(after) || after < -1) {
      return Promise.reject(new SiteClientError('usage', 'after must be an integer ≥ -1', { channel }));
    }
    if (this.subs.has(channel)) {
      return Promise.reject(
        new SiteClientError('usage', `already subscribed to channel ${channel} in this client`, { channel }),
      );
    }
    return new Promise<Subscription>((resolve, reject) => {
      const sub = createRecord(channel, handler as MessageHandler<unknown>, after, {
        backoff: new Backoff(this.backoffOptions, this.random),
        first: { resolve, reject },
        unsubscribe: () => this.unsubscribe(sub),
      });
      this.subs.set(channel, sub);
      if (this.current === ConnectionState.idle) this.connect().catch(() => undefined);
      else if (this.current === ConnectionState.connected) void this.sendSubscribe(sub);
      // connecting/reconnecting: the next open subscribes it.
    });
  }

  /** Close for good: no reconnect, every subscription ends. Resolves when the socket is closed. */
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

  // ---- connection --------------------------------------------------------------------------

  private open(): void {
    const gen = ++this.gen;
    this.setState({ state: ConnectionState.connecting });
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.url);
    } catch (err) {
      this.emitError(new SiteClientError('usage', `could not open ${this.url}`, { cause: err }));
      this.lost(gen, 1006, 'could not open the socket');
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    this.connectTimer = setTimeout(() => this.lost(gen, 1006, 'connect timed out'), this.connectTimeoutMs);
    ws.onopen = () => {
      if (gen === this.gen) this.onOpen();
    };
    ws.onmessage = (event: { data: unknown }) => {
      if (gen === this.gen) this.onFrame(event.data);
    };
    ws.onclose = (event: { code?: number; reason?: string }) =>
      this.lost(gen, event.code ?? 1006, event.reason ?? '');
    // Always followed by a close event, which does the work.
    ws.onerror = () => undefined;
  }

  private onOpen(): void {
    clearTimeout(this.connectTimer);
    this.setState({ state: ConnectionState.connected });
    for (const waiter of this.connectWaiters.splice(0)) waiter.resolve();
    // With subscriptions, the connection only counts as working once one of them is accepted.
    if (this.subs.size === 0) this.connBackoff.reset();
    for (const sub of this.subs.values()) {
      if (sub.retryTimer === undefined) void this.sendSubscribe(sub);
    }
  }

  /** The socket `gen` closed or is abandoned: fail its requests and schedule a reconnect. */
  private lost(gen: number, code: number, reason: string): void {
    if (gen !== this.gen || this.current === ConnectionState.closed) return;
    this.gen++;
    clearTimeout(this.connectTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      detach(ws);
      if (ws.readyState <= OPEN) safeClose(ws, ABANDON_CODE, reason);
    }
    this.requests.failAll(new ConnectionLost());
    for (const sub of this.subs.values()) sub.status = 'waiting';
    if (!this.shouldReconnect({ code, reason })) {
      this.finish({ code, reason });
      return;
    }
    const delayMs = this.connBackoff.next();
    this.setState({
      state: ConnectionState.reconnecting,
      attempt: this.connBackoff.attempts,
      delayMs,
      code,
      reason,
    });
    this.reconnectTimer = setTimeout(() => this.open(), delayMs);
  }

  /** Enter the final state: nothing reconnects, every waiting promise is rejected. */
  private finish(close: { code: number; reason: string }): void {
    if (this.current === ConnectionState.closed) return;
    this.gen++;
    clearTimeout(this.connectTimer);
    clearTimeout(this.reconnectTimer);
    const closed = this.closedError();
    this.requests.failAll(closed);
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(closed);
    for (const sub of this.subs.values()) {
      clearTimeout(sub.retryTimer);
      sub.status = 'waiting';
      sub.first?.reject(this.closedError(sub.channel));
      sub.first = undefined;
    }
    this.subs.clear();
    this.setState({ state: ConnectionState.closed, ...close });
  }

  // ---- frames ------------------------------------------------------------------------------

  private onFrame(data: unknown): void {
    if (typeof data !== 'string') {
      if (data instanceof ArrayBuffer) this.emit('raw', data);
      return;
    }
    const frame = parseServerFrame(data);
    if (frame.kind === 'message') {
      this.deliver(frame.channel, frame.ord, frame.body);
    } else if (frame.kind === 'response') {
      if (this.requests.answer(frame.reqId, frame.ok, frame.body)) return;
      if (!frame.ok) {
        const message = typeof frame.body === 'string' ? frame.body : JSON.stringify(frame.body);
        this.emitError(new SiteClientError('protocol', `server error: ${message}`));
      }
    } else {
      this.emit('raw', frame.text);
    }
  }

  private deliver(channel: string, ord: number, body: unknown): void {
    const sub = this.subs.get(channel);
    // Before the ok (a resubscribe in flight, an unsubscribe's tail) and at or below the last
    // delivered ord (a replay the server should not have sent): not the application's business.
    if (sub?.status !== 'active' || ord <= sub.lastOrd) return;
    if (sub.lastOrd > 0 && ord !== sub.lastOrd + 1) this.emit('gap', { channel, after: sub.lastOrd, ord });
    sub.lastOrd = ord;
    try {
      sub.handler(body, { channel, ord });
    } catch (err) {
      this.emitError(
        new SiteClientError('handler', `message handler of ${channel} threw`, { channel, cause: err }),
      );
    }
  }

  /** Send one request on the current socket; exactly one of `ok`/`fail` is called. */
  private request(build: (reqId: string) => string, handlers: RequestHandlers): void {
    const ws = this.ws;
    if (!ws || this.current !== ConnectionState.connected) {
      handlers.fail(new ConnectionLost());
      return;
    }
    const gen = this.gen;
    try {
      this.requests.send(ws, build, handlers, this.requestTimeoutMs, () =>
        this.lost(gen, 1006, 'request timed out'),
      );
    } catch {
      this.lost(gen, 1006, 'send failed');
    }
  }

  // ---- subscriptions -----------------------------------------------------------------------

  private isCurrent(sub: SubRecord, gen: number): boolean {
    return (
      this.subs.get(sub.channel) === sub && gen === this.gen && this.current === ConnectionState.connected
    );
  }

  private async sendSubscribe(sub: SubRecord): Promise<void> {
    const gen = this.gen;
    sub.status = 'pending';
    let creds: SiteAuth;
    try {
      creds = await this.getAuth(sub.channel);
      if (typeof creds?.token !== 'string' || typeof creds?.auth !== 'string') {
        throw new TypeError('getAuth must return {token, auth} strings');
      }
    } catch (err) {
      if (this.isCurrent(sub, gen)) {
        const message = `getAuth failed for channel ${sub.channel}: ${err instanceof Error ? err.message : String(err)}`;
        this.subscribeFailed(sub, new SiteClientError('auth', message, { channel: sub.channel, cause: err }));
      }
      return;
    }
    // The socket changed or the application unsubscribed while the credentials were fetched.
    if (!this.isCurrent(sub, gen)) return;
    const after = sub.lastOrd > 0 ? sub.lastOrd : sub.initialAfter;
    this.request((id) => encodeSubscribe(id, sub.channel, after, creds.token, creds.auth), {
      channel: sub.channel,
      // Synchronous with the ok frame: the backlog right behind it must find the sub active.
      ok: () => {
        if (this.subs.get(sub.channel) !== sub) return;
        sub.status = 'active';
        sub.backoff.reset();
        this.connBackoff.reset();
        sub.first?.resolve(sub.handle);
        sub.first = undefined;
      },
      fail: (error) => {
        if (error instanceof ConnectionLost || this.subs.get(sub.channel) !== sub) return;
        this.subscribeFailed(sub, error);
      },
    });
  }

  /**
   * A refused subscribe: the first one rejects `subscribe()` and ends the subscription; a
   * resubscribe is reported on `error` and retried on its own backoff, never in a hot loop.
   */
  private subscribeFailed(sub: SubRecord, error: SiteClientError): void {
    sub.status = 'waiting';
    if (sub.first) {
      this.subs.delete(sub.channel);
      sub.first.reject(error);
      sub.first = undefined;
      return;
    }
    this.emitError(error);
    const delay = sub.backoff.next();
    sub.retryTimer = setTimeout(() => {
      sub.retryTimer = undefined;
      if (
        this.subs.get(sub.channel) === sub &&
        this.current === ConnectionState.connected &&
        sub.status === 'waiting'
      ) {
        void this.sendSubscribe(sub);
      }
    }, delay);
  }

  private async unsubscribe(sub: SubRecord): Promise<void> {
    if (this.subs.get(sub.channel) !== sub) return;
    this.subs.delete(sub.channel);
    clearTimeout(sub.retryTimer);
    sub.first?.reject(
      new SiteClientError('closed', `unsubscribed from ${sub.channel} before it was accepted`),
    );
    sub.first = undefined;
    const onWire = sub.status !== 'waiting';
    sub.status = 'waiting';
    if (!onWire || this.current !== ConnectionState.connected) return;
    // "not subscribed" (the subscribe had not gone out yet) is as good as ok here.
    await new Promise<void>((resolve) =>
      this.request((id) => encodeUnsubscribe(id, sub.channel), {
        ok: () => resolve(),
        fail: () => resolve(),
      }),
    );
  }

  // ---- events ------------------------------------------------------------------------------

  private setState(change: StateChange): void {
    this.current = change.state;
    this.emit('state', change);
  }

  private emitError(error: SiteClientError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    // Without a listener an error would vanish; the console is the one sink every host has.
    else console.warn(`[switchboard SiteClient] ${error.message}`);
  }

  private closedError(channel?: string): SiteClientError {
    return new SiteClientError(SiteClientErrorKind.closed, 'the client was closed', { channel });
  }
}
