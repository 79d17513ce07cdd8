import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { countLimit } from '../core/limit-counters.js';
import { HeartbeatWheel } from './heartbeat.js';
import { sendJson } from './http-util.js';
import { ConnectionLimiter, installRateGuard, type RateGuardOptions } from './limits.js';
import type { Dialect, HttpRoute, UpgradeRoute } from './routes.js';
import { type HttpTimeouts, httpServerOptions, SocketCounter, watchBodyRate } from './socket-guard.js';
import { bindTransport, SocketTransport } from './transport-state.js';

export interface ListenerOptions {
  maxFrameBytes: number;
  heartbeatMs: number;
  logger: Logger;
  /** Answer for a path that several upgrade routes share when none accepts the query. */
  noRouteAccepted?: (path: string) => { status: number; body: Record<string, unknown> };
  /**
   * The body of the listener's own plain-HTTP refusals (no route, wrong method, shutting down,
   * internal error), so a surface with its own error shape (the operator endpoints) keeps it.
   * Default: `{"error": MESSAGE}`.
   */
  httpErrorBody?: (path: string, status: number, message: string) => Record<string, unknown>;
  /** Open connections allowed in total; past it upgrades get 503 before the handshake. Default: no limit. */
  maxConnections?: number;
  /**
   * TCP connections (HTTP and WebSocket) allowed per remote IP, counted at accept; past it a new
   * socket gets 503 and is closed before anything is read. Default: no limit.
   */
  maxConnectionsPerIp?: number;
  /** TCP connections of every kind allowed at once (below the open-file limit). Default: no limit. */
  maxSockets?: number;
  /** Node's HTTP timeouts: headers, whole request, idle keep-alive. Default: Node's own. */
  timeouts?: HttpTimeouts;
  /** A request body slower than this on average (after `bodyGraceMs`) is cut with 408. 0: off. */
  minBodyBytesPerSecond?: number;
  bodyGraceMs?: number;
  /**
   * Inbound frames per second per connection the dialects are meant to allow. The listener cuts
   * a connection (1008) only past twice this rate and twice `messageBurst` (limits.ts). Default: no limit.
   */
  maxMessagesPerSecond?: number;
  /** Frames a connection may send back to back (default: twice the rate). */
  messageBurst?: number;
  /** Serve HTTPS and WSS with this certificate chain and key (PEM). Default: plain HTTP. */
  tls?: { cert: Buffer; key: Buffer };
  /** Its sockets' write batcher and counters, made before the dialects that report them. Default: its own. */
  transport?: SocketTransport;
}

/**
 * One HTTP listener for every dialect: plain routes, WebSocket upgrades routed by path and query,
 * and one heartbeat for all sockets (each pinged every `heartbeatMs`, the pings spread over the
 * interval by heartbeat.ts; a socket that did not answer the previous ping is dropped).
 */
export class Listener {
  readonly server: Server;
  readonly wss: WebSocketServer;
  /**
   * Every open WebSocket. Kept here rather than by ws (`clientTracking`), whose bookkeeping is a
   * closure per socket; the 'close' listener that removes a socket is one function per listener.
   */
  readonly clients = new Set<WebSocket>();
  private readonly untrack: (this: WebSocket) => void;
  private readonly http: HttpRoute[] = [];
  private readonly upgrades = new Map<string, UpgradeRoute[]>();
  /** Routes that also take every path below theirs (`prefix: true`), tried when no exact path matches. */
  private readonly prefixUpgrades: UpgradeRoute[] = [];
  private readonly heartbeat: HeartbeatWheel;
  private accepting = true;
  private readonly limiter: ConnectionLimiter;
  /** Every accepted TCP socket, per address and in total. */
  readonly sockets: SocketCounter;
  /** One rate-guard configuration shared by every socket (undefined: no backstop configured). */
  private readonly rateGuard: RateGuardOptions | undefined;
  private serverClosed?: Promise<void>;
  /** What this listener's sockets share: the write batcher, the counts of refusals and cuts. */
  readonly transport: SocketTransport;

  constructor(
    dialects: Dialect[],
    private readonly options: ListenerOptions,
  ) {
    for (const d of dialects) {
      this.http.push(...d.http);
      for (const u of d.upgrades) {
        if (u.prefix) {
          this.prefixUpgrades.push(u);
          continue;
        }
        const list = this.upgrades.get(u.path) ?? [];
        list.push(u);
        this.upgrades.set(u.path, list);
      }
    }
    this.transport = options.transport ?? new SocketTransport();
    // perMessageDeflate stays off: it costs CPU and memory per connection on the fan-out path.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    const clients = this.clients;
    const heartbeat = new HeartbeatWheel(options.heartbeatMs);
    this.heartbeat = heartbeat;
    this.untrack = function (this: WebSocket) {
      clients.delete(this);
      heartbeat.delete(this);
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res);
    const timeouts = options.timeouts ? httpServerOptions(options.timeouts) : {};
    this.server = options.tls
      ? createHttpsServer(
          {
            cert: options.tls.cert,
            key: options.tls.key,
            ...timeouts,
            // A TLS handshake is part of "sending the headers": no longer than that.
            ...(options.timeouts && { handshakeTimeout: options.timeouts.headersTimeoutMs }),
          },
          onRequest,
        )
      : createServer(timeouts, onRequest);
    // Before the HTTP server's own listener: a refused socket is answered before it is parsed.
    this.sockets = new SocketCounter(
      {
        maxSockets: options.maxSockets ?? Number.POSITIVE_INFINITY,
        maxPerIp: options.maxConnectionsPerIp ?? Number.POSITIVE_INFINITY,
      },
      !options.tls,
      this.transport.counters,
    );
    this.server.prependListener('connection', this.sockets.onConnection);
    this.sockets.onCountedClose = (socket) => this.limiter.socketClosed(socket);
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as Duplex, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Node reports headers_timeout and request_timeout through here; answer them as Node would.
      const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      if (timedOut) countLimit('http_request_timeout');
      if (socket.writable)
        socket.end(
          timedOut
            ? 'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\r\n'
            : 'HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n',
        );
      else socket.destroy();
    });
    // The per-IP count is taken at accept (SocketCounter); upgrades are capped in total only.
    this.limiter = new ConnectionLimiter(
      {
        maxConnections: options.maxConnections ?? Number.POSITIVE_INFINITY,
        maxConnectionsPerIp: Number.POSITIVE_INFINITY,
      },
      this.transport.counters,
    );
    const perSecond = options.maxMessagesPerSecond;
    this.rateGuard =
      perSecond === undefined
        ? undefined
        : {
            messagesPerSecond: perSecond,
            burst: options.messageBurst ?? perSecond * 2,
            counters: this.transport.counters,
            onExceeded: (fields) =>
              options.logger.warn(fields as object, 'connection closed: inbound rate limit exceeded'),
          };
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? { port: addr.port, host: addr.address } : { port, host });
      });
    });
  }

  /** WebSocket connections open or being upgraded (what `maxConnections` counts). */
  get openConnections(): number {
    return this.limiter.open;
  }

  /** Stop taking new connections and requests; existing ones are left to the caller. */
  stopAccepting(): void {
    this.accepting = false;
    this.heartbeat.stop();
    this.closeServer();
  }

  /**
   * Wait for in-flight HTTP requests, dropping keep-alive sockets as they go idle. Resolves once
   * every connection the HTTP server holds is gone; the caller bounds the wait (closeAllConnections).
   */
  async closeHttp(): Promise<void> {
    const done = this.closeServer();
    // A keep-alive socket becomes idle when its last response is written: sweep until all are gone.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    this.server.closeIdleConnections();
    try {
      await done;
    } finally {
      clearInterval(sweep);
    }
  }

  /**
   * `server.close` once, remembered: its callback fires only when the last connection has ended,
   * which is what closeHttp waits for (a second `close` would only report "not running").
   */
  private closeServer(): Promise<void> {
    this.serverClosed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.serverClosed;
  }

  private errorBody(url: URL, status: number, message: string): Record<string, unknown> {
    return this.options.httpErrorBody?.(url.pathname, status, message) ?? { error: message };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (SocketCounter.refused(req.socket)) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const minRate = this.options.minBodyBytesPerSecond ?? 0;
    if (minRate > 0) watchBodyRate(req, res, minRate, this.options.bodyGraceMs ?? 5000);
    try {
      if (!this.accepting) {
        sendJson(res, 503, this.errorBody(url, 503, 'server is shutting down'), { connection: 'close' });
        return;
      }
      let pathMatched = false;
      for (const route of this.http) {
        const params = matchPath(route.path, url.pathname);
        if (!params) continue;
        pathMatched = true;
        const methodOk =
          route.method === '*' ||
          route.method === req.method ||
          (route.method === 'GET' && req.method === 'HEAD');
        if (!methodOk) continue;
        await route.handle(req, res, url, params);
        return;
      }
      if (pathMatched)
        sendJson(res, 405, this.errorBody(url, 405, `method ${req.method} not allowed on ${url.pathname}`));
      else sendJson(res, 404, this.errorBody(url, 404, `no route for ${url.pathname}`));
    } catch (err) {
      this.options.logger.error({ err, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, this.errorBody(url, 500, 'internal error'));
      else res.destroy();
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', destroySelf);
    if (SocketCounter.refused(req.socket)) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (!this.accepting) return refuse(socket, 503, { error: 'server is shutting down' });
      // Before routing and authorisation: a client over the limit costs one short answer.
      // The TCP socket closes whether or not the upgrade completes, so the slot always comes back.
      // A plain-HTTP upgrade socket is the counted TCP socket, whose close the counter reports
      // (one 'close' listener fewer per socket); a TLS one wraps it and listens itself.
      const refused = this.limiter.admitSocket(
        socket,
        req.socket.remoteAddress,
        SocketCounter.counted(socket),
      );
      if (refused !== undefined) return refuse(socket, 503, { error: refused });
      if (socket.destroyed) return;
      const candidates = this.upgrades.get(url.pathname) ?? this.prefixRoutes(url.pathname);
      if (!candidates) return refuse(socket, 404, { error: `no WebSocket endpoint at ${url.pathname}` });
      const accepted = candidates.filter((r) => !r.accepts || r.accepts(url));
      if (accepted.length !== 1) {
        const answer =
          accepted.length === 0
            ? (this.options.noRouteAccepted?.(url.pathname) ?? {
                status: 400,
                body: { error: 'bad request' },
              })
            : {
                status: 400,
                body: { error: `ambiguous request to ${url.pathname}: give only one dialect's parameter` },
              };
        return refuse(socket, answer.status, answer.body);
      }
      const route = accepted[0]!;
      const decision = route.authorize
        ? await route.authorize(req, url)
        : { ok: true as const, state: undefined };
      if (!decision.ok) return refuse(socket, decision.status, decision.body);
      if (socket.destroyed) return;
      // Shutdown began while this upgrade was being authorised: it would miss the 1012 round.
      if (!this.accepting) return refuse(socket, 503, { error: 'server is shutting down' });
      const state = decision.state;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, req, url, route, state));
    } catch (err) {
      this.options.logger.error({ err, path: url.pathname }, 'upgrade failed');
      refuse(socket, 500, { error: 'internal error' });
    }
  }

  private prefixRoutes(path: string): UpgradeRoute[] | undefined {
    const found = this.prefixUpgrades.filter((r) => path.startsWith(`${r.path}/`));
    return found.length > 0 ? found : undefined;
  }

  private attach(ws: WebSocket, req: IncomingMessage, url: URL, route: UpgradeRoute, state: unknown): void {
    this.clients.add(ws);
    ws.on('close', this.untrack);
    bindTransport(ws, this.transport);
    this.heartbeat.add(ws);
    attachListeners(
      ws,
      route.exemptFromRateLimit ? undefined : this.rateGuard,
      // The route's own string when it is the path: one string for all its sockets.
      route.path === url.pathname ? route.path : url.pathname,
      req.socket.remoteAddress,
    );
    try {
      route.onConnection(ws, req, url, state);
    } catch (err) {
      this.options.logger.error({ err, path: url.pathname }, 'connection handler failed');
      ws.close(1011, 'internal error');
    }
  }
}

/**
 * Post-handshake setup. Kept out of `onUpgrade` so the listeners that live as long as the socket
 * close over two short strings, not the upgrade request, its URL and its head buffer (about 1 KiB
 * per idle connection when they did).
 */
function attachListeners(
  ws: WebSocket,
  rateGuard: RateGuardOptions | undefined,
  path: string,
  remote: string | undefined,
): void {
  // Installed before the dialect's listener so that it sees every frame first. The guard's
  // detail is the log line's fields: the only per-socket thing it keeps besides its state.
  if (rateGuard !== undefined) installRateGuard(ws, rateGuard, path, remote);
}

function destroySelf(this: Duplex): void {
  this.destroy();
}

function matchPath(pattern: string | RegExp, path: string): string[] | undefined {
  if (typeof pattern === 'string') return pattern === path ? [] : undefined;
  const m = pattern.exec(path);
  return m ? m.slice(1) : undefined;
}

function refuse(socket: Duplex, status: number, body: Record<string, unknown>): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  const reason = STATUS_TEXT[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
