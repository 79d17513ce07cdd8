// MeshBackend: a Node client of the mesh backend API (docs/protocol/mesh.md) for the servers that
// steer Switchboard's connections. One WebSocket to `/ws/v1` with reconnect (backoff and jitter,
// across the given node URLs in turn), queue consumption as a callback or an async iterator that
// is popped again on every new connection, and send/publish/conn.call as promises rejecting with
// a MeshBackendError that carries the mesh code. While the socket is down, send and publish go
// over the HTTP API instead.
import { WebSocket } from 'ws';
import { Backoff, type BackoffOptions } from '../client/backoff.js';
import { Emitter } from '../client/emitter.js';
import { ConnectionState, type StateChange } from '../client/types.js';
import { MeshBackendError } from './mesh-error.js';
import { discoverNode, MeshHttp, wsBase } from './mesh-http.js';
import { CallbackSink, IteratorSink, type QueueHandler, type QueueItem, type Sink } from './mesh-queue.js';

export interface MeshBackendOptions {
  /** The server: `ws://host:6789` (`http://` works too). Several: tried in turn on reconnects. */
  url: string | readonly string[];
  /** A mesh API key of the namespace (`api_keys`); omitted: none is sent (a trusted network). */
  key?: string;
  /** The namespace; omitted: the server's `default`. */
  site?: string;
  /**
   * Find the nodes before each connection, as the SDKs of CONNMIX (a WebSocket gateway) do: `GET /v1/nodes` on the given
   * URL(s), then connect to one listed node at random (the given URL when the list cannot be had).
   * Default false: connect to the given URLs themselves.
   */
  discover?: boolean;
  backoff?: Partial<BackoffOptions>;
  /** Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** A request unanswered this long fails with `timeout` and the socket is replaced. Default 15,000 ms. */
  requestTimeoutMs?: number;
  /** send/publish over HTTP while the WebSocket is down. Default true. */
  httpFallback?: boolean;
  /** Items taken but not yet handled past which the socket stops being read. Default 1,000. */
  highWaterMark?: number;
}

export interface MeshBackendEvents {
  state: (change: StateChange) => void;
  error: (error: MeshBackendError) => void;
}

export interface PublishResult {
  /** Subscriber writes that succeeded. */
  delivered: number;
  /** Subscriber writes that failed (slow or closing connections, unanswering nodes). */
  failed: number;
}

/** What `consume()` returns: stop it to leave its topics to the other consumers. */
export interface Consumer {
  readonly topics: readonly string[];
  stop(): Promise<void>;
}

export type QueueIterator = AsyncIterableIterator<QueueItem> & { stop(): Promise<void> };

interface Pending {
  resolve(r: Record<string, unknown>): void;
  reject(e: MeshBackendError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Waiting {
  method: string;
  params: Record<string, unknown>;
  pending: Pending;
}

const OPEN = 1;

export class MeshBackend extends Emitter<MeshBackendEvents> {
  private readonly urls: string[];
  private readonly key: string | undefined;
  private readonly discover: boolean;
  private readonly site: string | undefined;
  private readonly http: MeshHttp | undefined;
  private readonly backoff: Backoff;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly highWaterMark: number;
  private current: ConnectionState = ConnectionState.idle;
  private ws: WebSocket | undefined;
  private gen = 0;
  private urlIndex = 0;
  private nextId = 1;
  private everConnected = false;
  private readonly pending = new Map<number, Pending>();
  /** Requests waiting for a connection (conn.call, queue.pop…). */
  private readonly outbox: Waiting[] = [];
  private readonly sinks = new Map<string, Sink>();
  private readyWaiters: { resolve(): void; reject(e: unknown): void }[] = [];
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: MeshBackendOptions) {
    super();
    this.urls = (typeof options.url === 'string' ? [options.url] : [...options.url]).map(wsBase);
    if (this.urls.length === 0 || this.urls.some((u) => !/^wss?:\/\//.test(u))) {
      throw new TypeError('url must be one or more ws://, wss://, http:// or https:// URLs');
    }
    if (options.key !== undefined && (typeof options.key !== 'string' || options.key === '')) {
      throw new TypeError('key must be a non-empty string when given');
    }
    this.key = options.key;
    this.discover = options.discover ?? false;
    this.site = options.site;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.highWaterMark = options.highWaterMark ?? 1000;
    this.backoff = new Backoff(options.backoff ?? {});
    this.http =
      options.httpFallback === false
        ? undefined
        : new MeshHttp({
            url: this.urls[0]!,
            key: this.key,
            site: this.site,
            timeoutMs: this.requestTimeoutMs,
          });
  }

  get state(): ConnectionState {
    return this.current;
  }

  /**
   * Connect. Resolves once the socket is open; rejects with `refused` (code 401 wrong key, 404
   * unknown site) when the very first attempt is refused, which also closes the backend. Later
   * refusals and every other failure are retried.
   */
  connect(): Promise<void> {
    if (this.current === ConnectionState.closed) return Promise.reject(this.closedError());
    if (this.current === ConnectionState.connected) return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (this.current === ConnectionState.idle) this.open();
    return ready;
  }

  /** Write `data` to connection `clientId` as one frame (a non-string as its JSON text). */
  async send(clientId: string, data: unknown, options: { binary?: boolean } = {}): Promise<void> {
    const params = options.binary
      ? { c: clientId, d: toBase64(data), t: 'binary' }
      : { c: clientId, d: data };
    await this.viaSocketOrHttp('mesh.send', params);
  }

  /** Publish `data` to `channel` of the namespace: every subscriber of every dialect gets it. */
  async publish(channel: string, data: unknown, options: { binary?: boolean } = {}): Promise<PublishResult> {
    const params = options.binary ? { c: channel, d: toBase64(data), t: 'binary' } : { c: channel, d: data };
    const r = await this.viaSocketOrHttp('mesh.publish', params);
    return { delivered: Number(r.s ?? 0), failed: Number(r.f ?? 0) };
  }

  /** `conn.call`: run function `f` on connection `clientId` wherever it lives. */
  async call(clientId: string, f: ConnFunction, args: unknown[]): Promise<void> {
    await this.request('conn.call', { c: clientId, f, a: args });
  }

  setContextValue(clientId: string, key: string, value: unknown): Promise<void> {
    return this.call(clientId, 'set_context_value', [key, value]);
  }

  setContext(clientId: string, context: Record<string, unknown>): Promise<void> {
    return this.call(clientId, 'set_context', [context]);
  }

  subscribe(clientId: string, ...channels: string[]): Promise<void> {
    return this.call(clientId, 'subscribe', channels);
  }

  unsubscribe(clientId: string, ...channels: string[]): Promise<void> {
    return this.call(clientId, 'unsubscribe', channels);
  }

  /**
   * Consume `topics`, calling `handler` for each item in arrival order (a returned promise is
   * not awaited before the next item, but counts towards `highWaterMark`). Resolves once the
   * server attached the consumer; every reconnect pops the topics again.
   */
  async consume<T = unknown>(
    topics: string | readonly string[],
    handler: QueueHandler<T>,
  ): Promise<Consumer> {
    const list = topicList(topics);
    const sink = new CallbackSink(
      list,
      handler as QueueHandler,
      (err, item) =>
        this.emitError(
          new MeshBackendError(
            'handler',
            `queue handler failed for an item of ${item.topic}`,
            undefined,
            err,
          ),
        ),
      () => this.drained(),
    );
    await this.attach(sink);
    return { topics: list, stop: () => this.detach(sink) };
  }

  /**
   * Consume `topics` as an async iterator: `for await (const item of mesh.pop('client'))`.
   * Popped (and popped again after every reconnect) at once; `break` or `stop()` ends it. A
   * refused pop (202: another consumer of this backend holds a topic) ends the iteration with
   * that error.
   */
  pop<T = unknown>(
    topics: string | readonly string[],
  ): AsyncIterableIterator<QueueItem<T>> & { stop(): Promise<void> } {
    const list = topicList(topics);
    const sink: IteratorSink = new IteratorSink(
      list,
      () => this.drained(),
      () => this.detach(sink),
    );
    this.attach(sink).catch((err: Error) => sink.end(err));
    const iterator = sink as unknown as QueueIterator;
    iterator.stop = async () => {
      await sink.return();
    };
    return iterator as AsyncIterableIterator<QueueItem<T>> & { stop(): Promise<void> };
  }

  /** Close for good: pending requests fail with `closed`, iterators end. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const ws = this.ws;
    this.ws = undefined;
    this.closing = new Promise<void>((resolve) => {
      if (!ws || ws.readyState > OPEN) return resolve();
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.once('close', () => resolve());
      ws.close(1000, 'backend closed');
    });
    this.finish(this.closedError());
    return this.closing;
  }

  // ---- queue consumers ----------------------------------------------------------------------

  private async attach(sink: Sink): Promise<void> {
    for (const t of sink.topics) {
      if (this.sinks.has(t))
        throw new MeshBackendError('usage', `topic "${t}" is already consumed by this backend`);
    }
    for (const t of sink.topics) this.sinks.set(t, sink);
    try {
      await this.request('queue.pop', { t: sink.topics }, true);
    } catch (err) {
      for (const t of sink.topics) if (this.sinks.get(t) === sink) this.sinks.delete(t);
      throw err;
    }
  }

  /** The protocol can only cancel every topic: unpop, then pop what the other consumers still hold. */
  private async detach(sink: Sink): Promise<void> {
    if (!sink.topics.some((t) => this.sinks.get(t) === sink)) return;
    for (const t of sink.topics) if (this.sinks.get(t) === sink) this.sinks.delete(t);
    sink.end();
    if (this.current !== ConnectionState.connected) return;
    await this.request('queue.unpop', {}).catch(() => undefined);
    const rest = [...this.sinks.keys()];
    if (rest.length > 0) await this.request('queue.pop', { t: rest }).catch(() => undefined);
  }

  private onItem(p: { n?: unknown; c?: unknown; t?: unknown; d?: unknown }): void {
    const topic = String(p.t);
    const sink = this.sinks.get(topic);
    if (!sink) return;
    sink.push({ node: Number(p.n), clientId: String(p.c), topic, data: p.d });
    if (sink.backlog >= this.highWaterMark && this.ws && !this.ws.isPaused) this.ws.pause();
  }

  private drained(): void {
    const ws = this.ws;
    if (!ws?.isPaused) return;
    let backlog = 0;
    for (const s of new Set(this.sinks.values())) backlog += s.backlog;
    if (backlog < this.highWaterMark / 2) ws.resume();
  }

  // ---- requests -----------------------------------------------------------------------------

  /** send/publish: on the socket when it is up, else over HTTP (if enabled), else when it is back. */
  private viaSocketOrHttp(method: 'mesh.send' | 'mesh.publish', params: Record<string, unknown>) {
    if (this.current !== ConnectionState.connected && this.http && this.current !== ConnectionState.closed) {
      return this.http.call(method === 'mesh.send' ? 'send' : 'publish', params);
    }
    return this.request(method, params);
  }

  /** One request on the socket; waits for a connection (starting one) if there is none. */
  private request(
    method: string,
    params: Record<string, unknown>,
    attaching = false,
  ): Promise<Record<string, unknown>> {
    if (this.current === ConnectionState.closed) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject, timer: undefined };
      pending.timer = setTimeout(() => {
        const i = this.outbox.findIndex((w) => w.pending === pending);
        if (i >= 0) this.outbox.splice(i, 1);
        reject(new MeshBackendError('timeout', `no answer to ${method} within ${this.requestTimeoutMs} ms`));
        // Written and unanswered: the socket is presumed dead.
        if (i < 0 && this.current === ConnectionState.connected)
          this.lost(this.gen, 1006, 'request timed out');
      }, this.requestTimeoutMs);
      // A pop made while disconnected is sent by the reconnect's re-pop of every topic.
      if (this.current === ConnectionState.connected) this.write(method, params, pending);
      else if (attaching) {
        clearTimeout(pending.timer);
        this.readyWaiters.push({ resolve: () => resolve({}), reject });
        if (this.current === ConnectionState.idle) this.open();
      } else {
        this.outbox.push({ method, params, pending });
        if (this.current === ConnectionState.idle) this.open();
      }
    });
  }

  private write(method: string, params: Record<string, unknown>, pending: Pending): void {
    const i = this.nextId++;
    this.pending.set(i, pending);
    try {
      this.ws!.send(JSON.stringify({ m: method, p: params, i }));
    } catch {
      this.lost(this.gen, 1006, 'send failed');
    }
  }

  private onFrame(text: string): void {
    if (text === 'pong') return;
    let msg: {
      E?: { c: number; m: string } | null;
      r?: Record<string, unknown>;
      i?: unknown;
      e?: string;
      p?: never;
    };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.e === 'queue.pop' && msg.p) {
      this.onItem(msg.p);
      return;
    }
    const pending = typeof msg.i === 'number' ? this.pending.get(msg.i) : undefined;
    if (!pending) return;
    this.pending.delete(msg.i as number);
    clearTimeout(pending.timer);
    if (msg.E) pending.reject(new MeshBackendError('mesh', msg.E.m, msg.E.c));
    else pending.resolve(msg.r ?? {});
  }

  // ---- connection ---------------------------------------------------------------------------

  private open(): void {
    const gen = ++this.gen;
    this.setState({ state: ConnectionState.connecting });
    this.connectTimer = setTimeout(() => this.lost(gen, 1006, 'connect timed out'), this.connectTimeoutMs);
    const given = this.urls[this.urlIndex % this.urls.length]!;
    if (!this.discover) {
      this.openSocket(gen, given);
      return;
    }
    void discoverNode(given, this.site, this.key, this.connectTimeoutMs).then((found) => {
      if (gen === this.gen) this.openSocket(gen, found ?? given);
    });
  }

  private openSocket(gen: number, base: string): void {
    const query = this.site === undefined ? '' : `?site=${encodeURIComponent(this.site)}`;
    const ws = new WebSocket(`${base}/ws/v1${query}`, {
      headers: this.key === undefined ? {} : { authorization: `Bearer ${this.key}` },
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => {
        req.destroy();
        let message = body;
        try {
          message = JSON.parse(body).error ?? body;
        } catch {
          // not JSON: the text as is
        }
        const status = res.statusCode ?? 0;
        const error = new MeshBackendError(
          'refused',
          `upgrade refused with HTTP ${status}: ${message}`,
          status,
        );
        if (gen !== this.gen) return;
        if (!this.everConnected && (status === 401 || status === 404)) {
          // A wrong key or site never fixes itself: fail at once instead of retrying forever.
          this.gen++;
          clearTimeout(this.connectTimer);
          this.ws = undefined;
          this.finish(error);
          return;
        }
        this.emitError(error);
        this.lost(gen, 1006, `HTTP ${status}`);
      });
    });
    ws.on('open', () => {
      if (gen !== this.gen) return;
      clearTimeout(this.connectTimer);
      this.everConnected = true;
      this.backoff.reset();
      this.setState({ state: ConnectionState.connected });
      // Pop every topic again first: items are delivered from here on.
      if (this.sinks.size > 0) {
        const pending: Pending = {
          resolve: () => undefined,
          reject: (err) => this.repopFailed(err),
          timer: undefined,
        };
        this.write('queue.pop', { t: [...this.sinks.keys()] }, pending);
      }
      for (const w of this.outbox.splice(0)) this.write(w.method, w.params, w.pending);
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    });
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (gen === this.gen && !binary) this.onFrame(data.toString('utf8'));
    });
    ws.on('close', (code: number, reason: Buffer) => this.lost(gen, code, reason.toString()));
    ws.on('error', () => undefined); // always followed by close
  }

  private repopFailed(err: MeshBackendError): void {
    if (err.kind !== 'mesh') return; // the socket went away: the next one pops again
    this.emitError(err);
    for (const sink of new Set(this.sinks.values())) sink.end(err);
    this.sinks.clear();
  }

  private lost(gen: number, code: number, reason: string): void {
    if (gen !== this.gen || this.current === ConnectionState.closed) return;
    this.gen++;
    clearTimeout(this.connectTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      if (ws.readyState <= OPEN) ws.terminate();
    }
    const gone = new MeshBackendError(
      'disconnected',
      `connection lost (${code}${reason ? ` ${reason}` : ''})`,
    );
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(gone);
    }
    this.pending.clear();
    this.urlIndex++;
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

  private finish(error: MeshBackendError): void {
    if (this.current === ConnectionState.closed) return;
    this.gen++;
    clearTimeout(this.connectTimer);
    clearTimeout(this.reconnectTimer);
    for (const p of [...this.pending.values(), ...this.outbox.map((w) => w.pending)]) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
    this.outbox.length = 0;
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
    for (const sink of new Set(this.sinks.values())) sink.end(error.kind === 'closed' ? undefined : error);
    this.sinks.clear();
    this.setState({ state: ConnectionState.closed, code: error.code, reason: error.message });
  }

  private setState(change: StateChange): void {
    this.current = change.state;
    this.emit('state', change);
  }

  private emitError(error: MeshBackendError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else console.warn(`[switchboard MeshBackend] ${error.message}`);
  }

  private closedError(): MeshBackendError {
    return new MeshBackendError('closed', 'the backend was closed');
  }
}

/** The functions of `conn.call` (docs/protocol/mesh.md). */
export type ConnFunction = 'set_context_value' | 'set_context' | 'subscribe' | 'unsubscribe';

function topicList(topics: string | readonly string[]): string[] {
  const list = typeof topics === 'string' ? [topics] : [...new Set(topics)];
  if (list.length === 0 || list.some((t) => typeof t !== 'string' || t === '')) {
    throw new MeshBackendError('usage', 'topics must be one or more non-empty strings');
  }
  return list;
}

function toBase64(data: unknown): string {
  if (typeof data === 'string') return data; // already base64, as the API takes it
  if (data instanceof Uint8Array)
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('base64');
  throw new MeshBackendError(
    'usage',
    'binary data must be a Buffer, Uint8Array, ArrayBuffer or base64 string',
  );
}
