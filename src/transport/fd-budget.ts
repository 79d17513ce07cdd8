// How many client sockets this process can hold before it runs out of file descriptors. Past the
// open-file limit (RLIMIT_NOFILE) accept() fails with EMFILE: libuv then accepts and drops every new
// connection, /healthz included, and anything that opens a file (a /proc read for the memory
// figures, a Redis reconnect) fails. So the caps default to figures below the limit, keeping
// `fd_reserve` descriptors that client sockets never take (docs/operations.md "File descriptors").
import { readFileSync } from 'node:fs';

/** The soft open-file limit of this process, or undefined where it cannot be read (not Linux). */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!m || m[1] === 'unlimited') return undefined;
  return Number(m[1]);
}

export interface SocketBudget {
  /** The open-file limit the figures derive from, when known. */
  openFiles: number | undefined;
  /** TCP sockets accepted at once (every kind); past it a new socket is closed at accept. */
  maxSockets: number;
  /** WebSocket connections (limits.max_connections, configured or derived). */
  maxConnections: number;
  /** TCP sockets per client address (limits.max_connections_per_ip, configured or derived). */
  maxConnectionsPerIp: number;
  /** The configured max_connections is above what the file limit allows (worth a warning). */
  overCommitted: boolean;
}

/** Defaults when nothing limits them: as before this budget existed. */
const DEFAULT_MAX_CONNECTIONS = 100_000;
const DEFAULT_MAX_PER_IP = 1000;

/**
 * The effective caps. With an open-file limit N and a reserve R: sockets of every kind stop at
 * N - R/2 (R/2 descriptors stay for Redis, files and logs), WebSockets by default at N - R (so
 * plain HTTP — /healthz, /metrics, the APIs — still gets R/2 sockets when WebSockets fill the node),
 * and one address by default at a quarter of the sockets (so it cannot take them all). A value
 * configured explicitly is kept as is.
 */
export function socketBudget(
  configured: { maxConnections?: number; maxConnectionsPerIp?: number; fdReserve: number },
  openFiles: number | undefined = openFileLimit(),
): SocketBudget {
  const { fdReserve } = configured;
  if (openFiles === undefined) {
    return {
      openFiles,
      maxSockets: Number.POSITIVE_INFINITY,
      maxConnections: configured.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      maxConnectionsPerIp: configured.maxConnectionsPerIp ?? DEFAULT_MAX_PER_IP,
      overCommitted: false,
    };
  }
  const maxSockets = Math.max(1, openFiles - Math.ceil(fdReserve / 2));
  const wsBudget = Math.max(1, openFiles - fdReserve);
  const maxConnections = configured.maxConnections ?? Math.min(DEFAULT_MAX_CONNECTIONS, wsBudget);
  return {
    openFiles,
    maxSockets,
    maxConnections,
    maxConnectionsPerIp:
      configured.maxConnectionsPerIp ?? Math.min(DEFAULT_MAX_PER_IP, Math.max(1, Math.floor(maxSockets / 4))),
    overCommitted: maxConnections > wsBudget,
  };
}
