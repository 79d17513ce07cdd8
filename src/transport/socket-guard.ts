// What one TCP connection may cost before it has earned anything: counted per address at accept
// (before a byte is read, so silent sockets count as much as WebSockets), bounded in total below
// the open-file limit, and cut when it is slow to send its headers, its body, or its next request
// on a kept-alive connection (docs/security.md "Limits and bad input").
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { countLimit } from '../core/limit-counters.js';
import { normalizeIp } from './limits.js';
import type { TransportCounters } from './transport-state.js';

export interface SocketCaps {
  /** TCP sockets open at once, of every kind. */
  maxSockets: number;
  /** TCP sockets open at once from one client address. */
  maxPerIp: number;
}

// Marks a socket refused at accept. (Not the counted ones: with TLS, requests arrive on a TLSSocket
// wrapping the counted TCP socket, while refused TLS sockets are destroyed before any request.)
const REFUSED = Symbol('switchboard.refused');
/** The normalised address a counted socket was counted under. */
const COUNTED = Symbol('switchboard.countedIp');
type Marked = Socket & { [REFUSED]?: true; [COUNTED]?: string };

/**
 * Counts every accepted TCP socket per peer address and in total. A socket over a cap gets a short
 * 503 (plain HTTP only: a TLS socket is closed, there is no handshake yet to answer through) and is
 * closed before the HTTP server reads anything from it.
 */
export class SocketCounter {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  /**
   * The 'close' listener of every counted socket: one function per counter, the address kept on
   * the socket (a closure and a `once` wrapper per socket cost every connection ~0.3 KiB of heap).
   */
  private readonly onClose: (this: Marked) => void;
  /**
   * Told when a counted socket closes, after its count is given back: the listener frees the
   * socket's upgrade slot here instead of with a third 'close' listener on every socket (past two
   * listeners an event's list grows to 19 slots, 136 B more).
   */
  onCountedClose: ((socket: Socket) => void) | undefined;

  constructor(
    private readonly caps: SocketCaps,
    private readonly plainHttp: boolean,
    /** The listener's counters, where a refusal at accept is counted. */
    private readonly counters: TransportCounters,
  ) {
    const counter = this;
    this.onClose = function (this: Marked) {
      const ip = this[COUNTED];
      if (ip === undefined) return;
      this[COUNTED] = undefined;
      counter.release(ip);
      counter.onCountedClose?.(this);
    };
  }

  /** Is this socket counted (and so tells `onCountedClose` when it closes)? */
  static counted(socket: object): boolean {
    return typeof (socket as Marked)[COUNTED] === 'string';
  }

  get open(): number {
    return this.total;
  }

  openFrom(ip: string): number {
    return this.perIp.get(normalizeIp(ip)) ?? 0;
  }

  /** Was this socket refused at accept? (Its parser may still see bytes before it is destroyed.) */
  static refused(socket: Socket): boolean {
    return (socket as Marked)[REFUSED] === true;
  }

  /** The 'connection' listener; install it before the HTTP server's own (prependListener). */
  readonly onConnection = (socket: Socket): void => {
    const ip = normalizeIp(socket.remoteAddress ?? 'unknown');
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.total >= this.caps.maxSockets) {
      countLimit('max_sockets');
      this.refuse(socket, 'server has too many connections, retry later');
      return;
    }
    if (fromIp >= this.caps.maxPerIp) {
      this.counters.refusedPerIp++;
      this.refuse(socket, 'too many connections from your address, retry later');
      return;
    }
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    (socket as Marked)[COUNTED] = ip;
    socket.on('close', this.onClose);
  };

  private release(ip: string): void {
    this.total--;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    // Drop empty entries: the map must not grow with every address ever seen.
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
  }

  private refuse(socket: Socket, error: string): void {
    (socket as Marked)[REFUSED] = true;
    socket.on('error', () => socket.destroy());
    if (!this.plainHttp) {
      socket.destroy();
      return;
    }
    const text = JSON.stringify({ error });
    socket.write(
      'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      () => socket.destroy(),
    );
  }
}

export interface HttpTimeouts {
  /** Time to receive a request's headers (idle new sockets included). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
}

/** Node's own timeouts, checked every quarter of the shortest one (its default is every 30 s). */
export function httpServerOptions(t: HttpTimeouts): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: t.headersTimeoutMs,
    // Node requires requestTimeout >= headersTimeout (or 0).
    requestTimeout: Math.max(t.requestTimeoutMs, t.headersTimeoutMs),
    keepAliveTimeout: t.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(
      50,
      Math.min(1000, Math.floor(Math.min(t.headersTimeoutMs, t.keepAliveTimeoutMs) / 4)),
    ),
  };
}

/** Applies the options Node only reads at construction time to a server built without them. */
export function applyHttpTimeouts(server: Server, t: HttpTimeouts): void {
  const o = httpServerOptions(t);
  server.headersTimeout = o.headersTimeout;
  server.requestTimeout = o.requestTimeout;
  server.keepAliveTimeout = o.keepAliveTimeout;
}

/** How often a body's pace is checked, and how long a body may take before the first check. */
const BODY_CHECK_MS = 1000;

/**
 * Cuts a request whose body arrives slower than `minBytesPerSecond` on average, after `graceMs`
 * (so that a short body is never judged on its first milliseconds). Reads only the socket's byte
 * count, so it never changes how the handler consumes the body; it also covers a body that still
 * drips after the handler has answered (a 401 before the body was read, say).
 */
export function watchBodyRate(
  req: IncomingMessage,
  res: ServerResponse,
  minBytesPerSecond: number,
  graceMs: number,
): void {
  if (minBytesPerSecond <= 0 || req.complete || !hasBody(req)) return;
  const socket = req.socket;
  const started = Date.now();
  const startBytes = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return stop();
    const elapsed = Date.now() - started;
    if (elapsed < graceMs) return;
    const rate = ((socket.bytesRead - startBytes) * 1000) / elapsed;
    if (rate >= minBytesPerSecond) return;
    stop();
    countLimit('min_body_bytes_per_second');
    if (!res.headersSent) {
      const text = JSON.stringify({ error: `request body slower than ${minBytesPerSecond} bytes/s` });
      res.writeHead(408, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        connection: 'close',
      });
      res.end(text, () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
    } else socket.destroy();
  }, BODY_CHECK_MS);
  timer.unref();
  // One request after another on a kept-alive socket: the socket listener goes with its request.
  const stop = () => {
    clearInterval(timer);
    socket.off('close', stop);
  };
  req.once('end', stop);
  socket.once('close', stop);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}
