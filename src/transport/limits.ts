// Generic, dialect-blind protection applied by the listener (docs/security.md): how many connections may be
// open (in total and per client IP) and how fast one connection may send frames.
import type { WebSocket } from 'ws';
import { shedReceiverBuffer } from './client-socket.js';
import { FULL, type RateRule, ruleFor } from './rate-limit.js';
import { newTransportCounters, type TransportCounters } from './transport-state.js';

export type { TransportCounters } from './transport-state.js';

export interface ConnectionLimits {
  /** Open WebSocket connections (plus upgrades in progress) allowed in total. */
  maxConnections: number;
  /** The same, per remote IP address. */
  maxConnectionsPerIp: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; error: string };

/** The address whose slot a socket holds (admitSocket); deleted when the slot is given back. */
const SLOT = Symbol('switchboard.upgradeSlot');
type Slotted = { [SLOT]?: string | undefined };

/**
 * Admission control for upgrades, checked before the handshake so a refused client costs one
 * HTTP answer and no WebSocket state. A slot is taken when the upgrade request arrives (so many
 * concurrent handshakes cannot all slip under the limit while authorisation is pending) and given
 * back exactly once through `release`, which the listener ties to the TCP socket's 'close'.
 *
 * The IP is the TCP peer address: behind a reverse proxy every client shares the proxy's address,
 * so there raise `max_connections_per_ip` to the total (see docs/security.md).
 */
export class ConnectionLimiter {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  /**
   * The 'close' listener of every admitted socket: one function per limiter, the address kept on
   * the socket. A closure and a `once` wrapper per socket cost ~0.3 KiB of every connection's heap.
   */
  private readonly releaseSocket: (this: Slotted) => void;

  /** `counters`: the listener's, where refusals are counted (a fresh set when none is given). */
  constructor(
    private readonly limits: ConnectionLimits,
    private readonly counters: TransportCounters = newTransportCounters(),
  ) {
    const limiter = this;
    this.releaseSocket = function (this: Slotted) {
      const ip = this[SLOT];
      if (ip === undefined) return;
      this[SLOT] = undefined;
      limiter.releaseIp(ip);
    };
  }

  get open(): number {
    return this.total;
  }

  openFrom(ip: string): number {
    return this.perIp.get(normalizeIp(ip)) ?? 0;
  }

  admit(remoteAddress: string | undefined): Admission {
    const ip = normalizeIp(remoteAddress ?? 'unknown');
    const error = this.take(ip);
    if (error !== undefined) return { ok: false, error };
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.releaseIp(ip);
      },
    };
  }

  /**
   * `admit` for a socket whose close gives the slot back (exactly once, also when it is already
   * destroyed): the refusal's message, or undefined when admitted. With `closeTold`, the caller
   * calls `socketClosed` when the socket closes; otherwise the slot listens for its 'close'.
   */
  admitSocket(
    socket: NodeJS.EventEmitter & { destroyed: boolean },
    remoteAddress: string | undefined,
    closeTold = false,
  ): string | undefined {
    const ip = normalizeIp(remoteAddress ?? 'unknown');
    const error = this.take(ip);
    if (error !== undefined) return error;
    (socket as Slotted)[SLOT] = ip;
    if (socket.destroyed) this.releaseSocket.call(socket as Slotted);
    else if (!closeTold) socket.on('close', this.releaseSocket);
    return undefined;
  }

  /** A socket closed: the slot it holds, if any, comes back (once). */
  socketClosed(socket: object): void {
    this.releaseSocket.call(socket as Slotted);
  }

  private take(ip: string): string | undefined {
    if (this.total >= this.limits.maxConnections) {
      this.counters.refusedTotal++;
      return 'server has too many connections, retry later';
    }
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.limits.maxConnectionsPerIp) {
      this.counters.refusedPerIp++;
      return 'too many connections from your address, retry later';
    }
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    return undefined;
  }

  private releaseIp(ip: string): void {
    this.total--;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    // Drop empty entries: the map must not grow with every address ever seen.
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
  }
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) and `1.2.3.4` are one client. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export interface RateGuardOptions {
  /** Sustained frames per second a dialect is expected to allow (`max_messages_per_second`). */
  messagesPerSecond: number;
  /** Frames allowed back to back (`max_messages_burst`). */
  burst: number;
  /** The listener's counters, where a cut is counted. */
  counters: TransportCounters;
  /**
   * Called once when the connection is cut (for a log line), with the path and remote address
   * given to `installRateGuard` for that socket. One options object may be shared by many sockets.
   */
  onExceeded?: (detail: { path: string | undefined; remote: string | undefined }) => void;
}

/** The backstop allows this multiple of the configured rate and burst before cutting. */
export const RATE_GUARD_FACTOR = 2;

/** How long the cut connection may take to finish its close handshake before it is terminated. */
const RATE_CLOSE_GRACE_MS = 1000;

/** Per-socket guard state, kept on the socket so the 'message' listener is one shared function. */
const GUARD = Symbol('switchboard.rateGuard');

interface GuardState {
  options: RateGuardOptions;
  /** For the log line (onExceeded): shared strings, the detail object is built only at the cut. */
  path: string | undefined;
  remote: string | undefined;
  /** The backstop's token bucket: when it is full again, under the options' shared rule. */
  fullAt: number;
  cut: boolean;
}

/** One bucket rule per guard configuration, shared by every socket it guards. */
const guardRules = new WeakMap<RateGuardOptions, RateRule>();
const guardBucket = (o: RateGuardOptions) => ({
  ratePerSec: o.messagesPerSecond * RATE_GUARD_FACTOR,
  burst: o.burst * RATE_GUARD_FACTOR,
});

type Guarded = WebSocket & { [GUARD]: GuardState };

/**
 * The generic inbound rate backstop. Must be installed before the dialect's own 'message'
 * listener so it sees every frame first. It counts frames in a token bucket of
 * RATE_GUARD_FACTOR × (rate, burst): a client has to exceed twice the configured rate for long
 * enough to drain twice the burst before it is closed with 1008 "rate limit exceeded". Mild
 * excess (between 1× and 2×) is left to the dialect, which can answer in its own error shape.
 *
 * Once cut, the socket stops being read (`pause`), so a flooding client cannot keep feeding the
 * dialect frames while its close handshake is pending; it is terminated after a short grace.
 * The frame that tripped the limit, and any others already read in the same TCP chunk, still reach
 * the dialect's listener (listeners of one event cannot be skipped); its replies to them are
 * dropped because the socket is already closing.
 *
 * Costs a socket one small state object: the listener and the bucket's rule are shared.
 */
export function installRateGuard(
  ws: WebSocket,
  options: RateGuardOptions,
  path?: string,
  remote?: string,
): void {
  (ws as Guarded)[GUARD] = { options, path, remote, fullAt: FULL, cut: false };
  ws.on('message', guardFrame);
}

function guardFrame(this: WebSocket): void {
  shedReceiverBuffer(this);
  const state = (this as Guarded)[GUARD];
  if (state.cut) return;
  const next = ruleFor(guardRules, state.options, guardBucket).take(state.fullAt);
  if (!Number.isNaN(next)) {
    state.fullAt = next;
    return;
  }
  state.cut = true;
  state.options.counters.rateLimited++;
  state.options.onExceeded?.({ path: state.path, remote: state.remote });
  this.close(1008, 'rate limit exceeded');
  this.pause();
  const timer = setTimeout(terminateSocket, RATE_CLOSE_GRACE_MS, this);
  timer.unref();
  this.once('close', () => clearTimeout(timer));
}

function terminateSocket(ws: WebSocket): void {
  ws.terminate();
}
