import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface HttpRoute {
  /** `*` takes every method (nane registered its API with no method filter). */
  method: HttpMethod | '*';
  /** Exact path, or a pattern whose groups become `params`. Matched against the raw (undecoded) path. */
  path: string | RegExp;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, params: string[]): void | Promise<void>;
}

/** The verdict on an upgrade request, before any WebSocket handshake happens. */
export type UpgradeDecision<T = unknown> =
  | { ok: true; state: T }
  | { ok: false; status: number; body: Record<string, unknown> };

export interface UpgradeRoute<T = unknown> {
  path: string;
  /**
   * Also take every path below `path` (`/app` takes `/app/KEY`): for a dialect that names its
   * tenant in the path and must answer an unknown one in its own protocol, after the handshake.
   */
  prefix?: boolean;
  /** Several routes may share a path (site and chat share `/ws`); `accepts` picks by query. */
  accepts?(url: URL): boolean;
  /** Checked before the handshake: a refusal is a plain HTTP answer. */
  authorize?(req: IncomingMessage, url: URL): UpgradeDecision<T> | Promise<UpgradeDecision<T>>;
  onConnection(ws: WebSocket, req: IncomingMessage, url: URL, state: T): void;
  /**
   * Skip the listener's inbound rate backstop for this route: for connections authenticated as
   * trusted backends (mesh /ws/v1 with an API key) whose request rate is their business.
   */
  exemptFromRateLimit?: boolean;
}

/** One wire protocol's contribution to the listener. */
export interface Dialect {
  readonly name: string;
  readonly http: HttpRoute[];
  // biome-ignore lint/suspicious/noExplicitAny: each route carries its own authorize→connection state type
  readonly upgrades: UpgradeRoute<any>[];
  /** Release timers and background work (bots, consumers) on shutdown. */
  close?(): Promise<void>;
}
