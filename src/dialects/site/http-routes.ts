// The original protocol's REST side: GET /token, POST /post (its GET /stats is an operator
// endpoint now, served by src/ops/stats.ts). Every failure is
// `{"status":"error","message":"…"}` with the status docs/protocol/site.md names.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '../../core/hub.js';
import { secretEquals } from '../../core/secret-compare.js';
import type { JsonValue } from '../../core/types.js';
import { readJson, sendJson } from '../../transport/http-util.js';
import type { HttpRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { postAuth } from './auth.js';
import type { SiteRegistry } from './sites.js';
import { issueToken, verifyToken } from './tokens.js';

/** Every HTTP failure goes through here; REST errors have no code, so they count as `http_<status>`. */
function fail(hub: Hub, res: ServerResponse, status: number, message: string): void {
  hub.errors.count('site', `http_${status}`);
  // 401/403 refuse a credential (a /post token or auth).
  if (status === 401 || status === 403) {
    const site = new URL(res.req.url ?? '/', 'http://x').searchParams.get('site') ?? undefined;
    hub.authFailed?.({
      dialect: 'site',
      reason: message,
      namespace: site,
      address: res.req.socket.remoteAddress,
    });
  }
  sendJson(res, status, { status: 'error', message });
}

export function siteHttpRoutes(ctx: DialectContext, sites: SiteRegistry): HttpRoute[] {
  return [
    { method: 'GET', path: '/token', handle: (_req, res, url) => token(ctx.hub, sites, res, url) },
    { method: 'POST', path: '/post', handle: (req, res, url) => post(ctx, sites, req, res, url) },
  ];
}

function token(hub: Hub, sites: SiteRegistry, res: ServerResponse, url: URL): void {
  const found = sites.lookup(url.searchParams.get('site'));
  if (!found.ok) {
    fail(hub, res, found.status, found.message);
    return;
  }
  const { site } = found;
  sendJson(res, 200, {
    token: issueToken(site.name, site.tokenKey, site.tokenTtl).token,
    expires: site.tokenTtl,
  });
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

async function post(
  ctx: DialectContext,
  sites: SiteRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const found = sites.lookup(url.searchParams.get('site'));
  if (!found.ok) return fail(ctx.hub, res, found.status, found.message);
  const { site } = found;
  if (site.postSecret === undefined)
    return fail(ctx.hub, res, 403, `posting is not enabled for site ${site.name}`);
  const read = await readJson(req, ctx.config.limits.max_http_body_bytes, ctx.config.limits.max_json_depth);
  if (!read.ok) return fail(ctx.hub, res, read.status, read.message);
  const body = read.value;
  if (!isObject(body))
    return fail(ctx.hub, res, 400, 'body must be a JSON object with channel, message, token and auth');
  const { channel, token, auth } = body;
  if (typeof channel !== 'string' || channel.length === 0)
    return fail(ctx.hub, res, 400, 'channel must be a non-empty string');
  // Any JSON value may be posted, null included, but it must be there.
  if (!Object.hasOwn(body, 'message')) return fail(ctx.hub, res, 400, 'message is missing');
  if (typeof token !== 'string' || token.length === 0) {
    return fail(ctx.hub, res, 400, 'token must be a non-empty string (get one from /token)');
  }
  if (typeof auth !== 'string' || auth.length === 0) {
    return fail(ctx.hub, res, 400, 'auth must be a non-empty string: base64(hmac256(post_secret, token))');
  }
  const verdict = verifyToken(token, site.name, site.tokenKey);
  if (!verdict.ok) {
    return verdict.reason === 'expired'
      ? fail(ctx.hub, res, 403, 'token has expired: get a new one from /token')
      : fail(ctx.hub, res, 403, `invalid token: not issued by /token?site=${site.name}`);
  }
  if (!secretEquals(auth, postAuth(site.postSecret, token))) {
    return fail(ctx.hub, res, 403, 'auth does not match: expected base64(hmac256(post_secret, token))');
  }
  // Claimed only once the auth matches, so a wrong guess cannot burn someone else's token.
  if (!site.postTokenReuse) {
    let first: boolean;
    try {
      first = await ctx.hub.claimOnce(site.name, `post:${token}`, verdict.expiresAt - Date.now());
    } catch (err) {
      return fail(
        ctx.hub,
        res,
        503,
        `could not check the token: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (!first) return fail(ctx.hub, res, 403, 'token already used: get a new one from /token');
  }
  try {
    await ctx.hub.publish(site.name, channel, { data: body.message as JsonValue });
  } catch (err) {
    ctx.logger.warn({ err, site: site.name, channel }, 'site post could not be published');
    return fail(ctx.hub, res, 503, `could not publish: ${err instanceof Error ? err.message : String(err)}`);
  }
  sendJson(res, 200, { status: 'ok' });
}
