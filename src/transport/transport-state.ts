// What the sockets of one listener share: the write batcher and the counts of what the transport
// refused or cut. One per listener, never per process, so that two servers in one process (tests,
// an embedding application) neither hold, release nor count each other's sockets.
import type { WebSocket } from 'ws';
import { WriteBatcher } from './write-batcher.js';

/** Counts of what the transport refused or cut, for logs and metrics. Per listener, only grows. */
export interface TransportCounters {
  /** Upgrades refused with 503 because `max_connections` was reached. */
  refusedTotal: number;
  /** TCP connections refused at accept because `max_connections_per_ip` was reached for that IP. */
  refusedPerIp: number;
  /** Connections closed with 1008 by the inbound rate backstop. */
  rateLimited: number;
  /** Connections closed with 1013 "slow consumer" by ClientSocket. */
  slowConsumers: number;
}

export function newTransportCounters(): TransportCounters {
  return { refusedTotal: 0, refusedPerIp: 0, rateLimited: 0, slowConsumers: 0 };
}

export class SocketTransport {
  readonly counters: TransportCounters = newTransportCounters();
  readonly batcher: WriteBatcher;

  /** `clock`: the batcher's (tests fake it so that "faster than the window" is exact). */
  constructor(clock?: () => number) {
    this.batcher = new WriteBatcher(clock);
  }
}

/** The transport of the listener that accepted a WebSocket, set on it before any dialect sees it. */
const TRANSPORT = Symbol('switchboard.transport');
type Bound = WebSocket & { [TRANSPORT]?: SocketTransport };

export function bindTransport(ws: WebSocket, transport: SocketTransport): void {
  (ws as Bound)[TRANSPORT] = transport;
}

export function transportOf(ws: WebSocket): SocketTransport {
  const transport = (ws as Bound)[TRANSPORT];
  if (transport === undefined)
    throw new Error('this WebSocket was not accepted by a Listener (no transport bound)');
  return transport;
}
