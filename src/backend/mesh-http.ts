// The mesh API over HTTP (`POST /v1/mesh/send`, `/v1/mesh/publish`): what MeshBackend uses while
// its WebSocket is down, and usable alone by a process that only sends and publishes.
import { MeshBackendError } from './mesh-error.js';

export interface MeshHttpOptions {
  /** The server: `http://host:6789` (`ws://` works too). */
  url: string;
  /** A mesh API key of the namespace; omitted: none is sent (a trusted network). */
  key?: string;
  /** The namespace; omitted: the server's `default`. */
  site?: string;
  /** Default 15,000 ms. */
  timeoutMs?: number;
}

export interface Envelope {
  E?: { c: number; m: string } | null;
  r?: Record<string, unknown>;
}

export class MeshHttp {
  private readonly base: string;
  private readonly key: string | undefined;
  private readonly query: string;
  private readonly timeoutMs: number;

  constructor(options: MeshHttpOptions) {
    this.base = httpBase(options.url);
    this.key = options.key;
    this.query = options.site === undefined ? '' : `?site=${encodeURIComponent(options.site)}`;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** POST one method's params; resolves with `r`, rejects with a MeshBackendError. */
  async call(method: 'send' | 'publish', params: Record<string, unknown>): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/v1/mesh/${method}${this.query}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.key === undefined ? {} : { authorization: `Bearer ${this.key}` }),
        },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new MeshBackendError(
        timedOut ? 'timeout' : 'disconnected',
        `POST /v1/mesh/${method} failed: ${err instanceof Error ? err.message : String(err)}`,
        undefined,
        err,
      );
    }
    const text = await res.text();
    let body: Envelope & { error?: string };
    try {
      body = JSON.parse(text);
    } catch {
      body = {};
    }
    if (res.status !== 200 && !body.E) {
      throw new MeshBackendError('refused', body.error ?? `HTTP ${res.status}`, res.status);
    }
    if (body.E) throw new MeshBackendError('mesh', body.E.m, body.E.c);
    return body.r ?? {};
  }
}

/**
 * One node of `GET /v1/nodes` at random, as a ws(s):// base, or undefined when the list cannot be
 * had (an older server, a network error): the caller then uses the URL it was given.
 */
export async function discoverNode(
  first: string,
  site: string | undefined,
  key: string | undefined,
  timeoutMs: number,
): Promise<string | undefined> {
  try {
    const query = site === undefined ? '' : `?site=${encodeURIComponent(site)}`;
    const res = await fetch(`${httpBase(first)}/v1/nodes${query}`, {
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { nodes?: { api_server?: unknown }[] };
    const servers = (body.nodes ?? [])
      .map((n) => n.api_server)
      .filter((a): a is string => typeof a === 'string');
    if (servers.length === 0) return undefined;
    const scheme = first.startsWith('wss:') ? 'wss' : 'ws';
    return `${scheme}://${servers[Math.floor(Math.random() * servers.length)]}`;
  } catch {
    return undefined;
  }
}

/** `ws://h:p/x/` → `http://h:p/x` (and wss → https). */
export function httpBase(url: string): string {
  return url.replace(/^ws(s?):/, 'http$1:').replace(/\/+$/, '');
}

export function wsBase(url: string): string {
  return url.replace(/^http(s?):/, 'ws$1:').replace(/\/+$/, '');
}
