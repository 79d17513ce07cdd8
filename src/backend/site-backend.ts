// SiteBackend: the backend half of the `site` dialect (docs/protocol/site.md) for Node: fetch
// tokens, post to channels with the post HMAC, and compute the subscribe auth a backend hands its
// browsers (SiteClient's `getAuth`). The secrets stay in this process.
import { createHmac } from 'node:crypto';
import { classifyServerError, type ServerErrorCode } from '../client/wire.js';
import { httpBase } from './mesh-http.js';

export interface SiteBackendOptions {
  /** The server: `http://host:6789` (`ws://` works too). */
  url: string;
  /** The site (namespace) name. */
  site: string;
  /** The site's `secret`: needed by `subscribeAuth`. */
  secret?: string;
  /** The site's `post_secret`: needed by `post`. */
  postSecret?: string;
  /** Default 15,000 ms per HTTP call. */
  timeoutMs?: number;
}

export interface SiteAuthPair {
  token: string;
  /** base64(hmac256(secret, channel + token)). */
  auth: string;
}

export class SiteBackendError extends Error {
  /** The HTTP status (0 when the request did not get an answer). */
  readonly status: number;
  /** The documented code of the server's message (`invalid_token`, `expired_token`…), `unknown` if new. */
  readonly serverCode: ServerErrorCode;

  constructor(status: number, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SiteBackendError';
    this.status = status;
    this.serverCode = classifyServerError(message);
  }
}

/** A token is reused for posts until this long before it expires. */
const TOKEN_MARGIN_MS = 10_000;

export class SiteBackend {
  private readonly base: string;
  private readonly site: string;
  private readonly secret: string | undefined;
  private readonly postSecret: string | undefined;
  private readonly timeoutMs: number;
  private postToken: { token: string; until: number } | undefined;

  constructor(options: SiteBackendOptions) {
    this.base = httpBase(options.url);
    if (!/^https?:\/\//.test(this.base))
      throw new TypeError(`url must be an http(s):// or ws(s):// URL, got ${options.url}`);
    this.site = options.site;
    this.secret = options.secret;
    this.postSecret = options.postSecret;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** A fresh token from `GET /token?site=NAME`, with its lifetime in seconds. */
  async token(): Promise<{ token: string; expires: number }> {
    const body = await this.http('GET', '/token');
    return { token: String(body.token), expires: Number(body.expires) };
  }

  /**
   * The credentials a browser subscribes to `channel` with: a token (fresh unless given) and
   * auth = base64(hmac256(secret, channel + token)). Check that the user may read the channel
   * before calling it.
   */
  async subscribeAuth(channel: string, token?: string): Promise<SiteAuthPair> {
    if (this.secret === undefined) throw new TypeError('subscribeAuth needs the site secret (option secret)');
    const t = token ?? (await this.token()).token;
    return { token: t, auth: hmac(this.secret, channel + t) };
  }

  /**
   * Publish `message` (any JSON value) to `channel` with `POST /post`. A token is reused until
   * shortly before it expires; a token the server no longer takes (expired, already used with
   * `post_token_reuse: false`) is replaced once and the post repeated.
   */
  async post(channel: string, message: unknown): Promise<void> {
    if (this.postSecret === undefined)
      throw new TypeError('post needs the site post secret (option postSecret)');
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokenForPost(attempt > 0);
      try {
        await this.http('POST', '/post', { channel, message, token, auth: hmac(this.postSecret, token) });
        return;
      } catch (err) {
        const retry =
          err instanceof SiteBackendError &&
          (err.serverCode === 'expired_token' ||
            err.serverCode === 'token_used' ||
            err.serverCode === 'invalid_token');
        if (!retry || attempt > 0) throw err;
      }
    }
  }

  private async tokenForPost(fresh: boolean): Promise<string> {
    if (!fresh && this.postToken && Date.now() < this.postToken.until) return this.postToken.token;
    const { token, expires } = await this.token();
    this.postToken = { token, until: Date.now() + expires * 1000 - TOKEN_MARGIN_MS };
    return token;
  }

  private async http(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}?site=${encodeURIComponent(this.site)}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SiteBackendError(
        0,
        `${method} ${path} failed: ${err instanceof Error ? err.message : err}`,
        err,
      );
    }
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the status says it
    }
    if (!res.ok) {
      const message =
        typeof parsed.message === 'string'
          ? parsed.message
          : typeof parsed.error === 'string'
            ? parsed.error
            : `HTTP ${res.status}`;
      throw new SiteBackendError(res.status, message);
    }
    return parsed;
  }
}

function hmac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64');
}
