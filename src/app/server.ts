import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Hub } from '../core/hub.js';
import type { DialectContext } from '../dialects/context.js';
import type { Engine } from '../engines/engine.js';
import { checkAdminExposure } from '../ops/admin-guard.js';
import { isOpsPath, opsErrorBody } from '../ops/ops-error.js';
import { OpsLog } from '../ops/ops-log.js';
import { type SocketBudget, socketBudget } from '../transport/fd-budget.js';
import { Listener } from '../transport/listener.js';
import { SocketTransport } from '../transport/transport-state.js';
import type { Config } from './config-schema.js';
import { checkRouteConflicts, enabledDialects } from './dialects.js';
import { createEngine } from './engine-factory.js';
import { namespaceSettings } from './namespaces.js';
import { swapTls, type TlsReloadResult } from './tls-reload.js';

export type { TlsReloadResult } from './tls-reload.js';

export interface RunningServer {
  port: number;
  host: string;
  /** http://host:port with a loopback host when bound to every interface. */
  url: string;
  hub: Hub;
  /** This server's listener's write batcher and transport counters. */
  transport: SocketTransport;
  /** Graceful shutdown (docs/security.md): stop accepting, close clients with 1012, flush, stop the engine. */
  close(): Promise<void>;
  /**
   * Re-reads the `tls` cert and key files and serves new handshakes with them; open connections
   * keep theirs. On any failure (no `tls`, unreadable files, not a matching pair) the running
   * certificate stays, the error is logged and returned; it never throws. `serve` calls it on SIGHUP.
   */
  reloadTls(): Promise<TlsReloadResult>;
}

export interface StartOptions {
  logger: Logger;
  /** Use this engine instead of the configured one (the conformance and cluster tests do). */
  engine?: Engine;
}

/** The composition root: config → engine → hub → dialects → listener. */
export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  // Before anything starts, so that a missing file leaves nothing running.
  const tls = config.tls && readTls(config.tls);
  checkRouteConflicts(config);
  checkAdminExposure(config, logger);
  const engine = options.engine ?? (await createEngine(config, logger));
  const transport = new SocketTransport();
  const opsLog = new OpsLog(logger, config.log.summary_interval_ms, transport.counters);
  const hub = new Hub(engine, namespaceSettings(config), {
    logger,
    maxJsonDepth: config.limits.max_json_depth,
    maxChannelsPerConnection: config.limits.max_channels_per_connection,
    authFailed: opsLog.authFailed,
  });
  await hub.start();
  opsLog.start();
  const ctx: DialectContext = {
    hub,
    config,
    logger,
    startedAt: Date.now(),
    ready: () => hub.ready(),
    transport,
  };
  const dialects = enabledDialects(ctx);
  const budget = socketBudget({
    maxConnections: config.limits.max_connections,
    maxConnectionsPerIp: config.limits.max_connections_per_ip,
    fdReserve: config.limits.fd_reserve,
  });
  logBudget(logger, budget);
  const listener = new Listener(dialects, {
    maxFrameBytes: config.limits.max_frame_bytes,
    heartbeatMs: config.limits.heartbeat_ms,
    maxConnections: budget.maxConnections,
    maxConnectionsPerIp: budget.maxConnectionsPerIp,
    maxSockets: budget.maxSockets,
    timeouts: {
      headersTimeoutMs: config.limits.headers_timeout_ms,
      requestTimeoutMs: config.limits.request_timeout_ms,
      keepAliveTimeoutMs: config.limits.keep_alive_timeout_ms,
    },
    minBodyBytesPerSecond: config.limits.min_body_bytes_per_second,
    bodyGraceMs: config.limits.headers_timeout_ms,
    maxMessagesPerSecond: config.limits.max_messages_per_second,
    messageBurst: config.limits.max_messages_burst,
    tls,
    logger,
    transport,
    noRouteAccepted: (path) =>
      path === '/ws'
        ? {
            status: 401,
            body: { error: 'one of the query parameters "site" or "username" (or "name") is required' },
          }
        : { status: 400, body: { error: `bad request to ${path}` } },
    httpErrorBody: (path, status, message) =>
      isOpsPath(path) ? opsErrorBody(status, message) : { error: message },
  });
  const addr = await listener.listen(config.listen.port, config.listen.host);
  const wildcard = addr.host === '0.0.0.0' || addr.host === '::';
  // What GET /v1/nodes lists for this node; with a wildcard bind only a request's Host can tell.
  hub.listeningAt(
    config.listen.advertise_address ??
      (wildcard ? null : `${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`),
  );
  const shownHost = wildcard ? '127.0.0.1' : addr.host;
  const url = `${config.tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${addr.port}`;
  logger.info({ url, engine: engine.kind, node_id: engine.nodeId }, 'switchboard listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= shutdown();
    return closing;
  };
  const shutdown = async () => {
    const deadline = Date.now() + config.limits.shutdown_timeout_ms;
    listener.stopAccepting();
    for (const d of dialects)
      await d.close?.().catch((err) => logger.error({ err, dialect: d.name }, 'close failed'));
    // 1012 "service restart": well-behaved clients reconnect, possibly to another node.
    for (const conn of [...hub.localConnections()]) conn.sink.close(1012, 'server restarting');
    // Sockets no dialect registered with the hub (still authenticating, say) get the same word.
    for (const ws of listener.clients) {
      if (ws.readyState === ws.OPEN) ws.close(1012, 'server restarting');
    }
    await waitForSockets(listener, deadline - Date.now());
    for (const ws of listener.clients) ws.terminate();
    // In-flight HTTP requests get what is left of the grace period (at least a moment); one still
    // running then (a client trickling its body, say) is cut, so that shutdown always ends.
    const httpClosed = listener.closeHttp();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      httpClosed,
      new Promise((r) => {
        timer = setTimeout(r, Math.max(HTTP_MIN_GRACE_MS, deadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
    listener.server.closeAllConnections();
    await httpClosed;
    await engine.close();
    opsLog.close();
    logger.info('switchboard stopped');
  };
  // One reload at a time, in order: two quick SIGHUPs cannot finish out of order and leave the
  // older pair of files in place.
  let reloading: Promise<unknown> = Promise.resolve();
  const reloadTls = (): Promise<TlsReloadResult> => {
    const next = reloading
      .then(() => swapTls(config.tls, listener, logger))
      .catch((err: unknown) => ({ ok: false, error: err instanceof Error ? err.message : String(err) }));
    reloading = next;
    return next;
  };
  return { port: addr.port, host: addr.host, url, hub, transport, close, reloadTls };
}

function logBudget(logger: Logger, b: SocketBudget): void {
  const fields = {
    open_file_limit: b.openFiles ?? 'unknown',
    max_sockets: Number.isFinite(b.maxSockets) ? b.maxSockets : 'unlimited',
    max_connections: b.maxConnections,
    max_connections_per_ip: b.maxConnectionsPerIp,
  };
  if (b.overCommitted)
    logger.warn(
      fields,
      'limits.max_connections is above what the open-file limit allows: raise the limit (LimitNOFILE) or lower it',
    );
  else logger.info(fields, 'connection limits');
}

/** In-flight HTTP requests always get this long, even when WebSockets used up the grace period. */
const HTTP_MIN_GRACE_MS = 500;

async function waitForSockets(listener: Listener, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (listener.clients.size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The PEM files of `tls`, read once at start; a file that cannot be read stops the start. */
function readTls(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (key: 'cert' | 'key') => {
    try {
      return readFileSync(tls[key]);
    } catch (err) {
      throw new Error(
        `tls.${key}: cannot read ${tls[key]}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
  return { cert: read('cert'), key: read('key') };
}
