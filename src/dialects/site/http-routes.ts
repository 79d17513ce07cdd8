// The original protocol's REST side: GET /token, POST /post, GET /stats. Every failure is
// `{"status":"error","message":"…"}` with the status docs/protocol/site.md names.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DialectContext } from '../../app/context.js';
import type { Hub } from '../../core/hub.js';
import { sumStats } from '../../core/inspect.js';
import { residentMemory } from '../../core/rss.js';
import { secretEquals } from '../../core/secret-compare.js';
import type { JsonValue } from '../../core/types.js';
import { bearerToken, readJson, sendJson } from '../../transport/http-util.js';
import type { HttpRoute } from '../../transport/routes.js';
import { postAuth } from './auth.js';
import type { SiteRegistry } from './sites.js';
import { issueToken, verifyToken } from './tokens.js';

/** Every HTTP failure goes through here; REST errors have no code, so they count as `http_<status>`. */
function fail(hub: Hub, res: ServerResponse, status: number, message: string): void {
  hub.errorSink?.('site', `http_${status}`);
  // 401/403 refuse a credential (the admin key of /stats, a /post token or auth).
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
    { method: 'GET', path: '/stats', handle: (req, res, url) => stats(ctx, req, res, url) },
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

/**
 * This node's figures at the top level (as before clustering), plus, unless `?local=1`:
 * `cluster` (totals over the nodes that answered), `nodes` (each node's own figures, by id) and
 * `missing` (live nodes that did not answer within the engine's control timeout).
 */
async function stats(
  ctx: DialectContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const key = ctx.config.admin.key;
  if (key !== undefined && !secretEquals(bearerToken(req) ?? '', key)) {
    return fail(ctx.hub, res, 401, 'admin key required');
  }
  const { hub } = ctx;
  const byDialect: Record<string, number> = {};
  let total = 0;
  let subscriptions = 0;
  for (const conn of hub.localConnections()) {
    total++;
    byDialect[conn.dialect] = (byDialect[conn.dialect] ?? 0) + 1;
    subscriptions += conn.subscriptionCount;
  }
  const local = url.searchParams.get('local');
  const [channels, view] = await Promise.all([
    countChannels(ctx),
    local === '1' || local === 'true' ? undefined : hub.inspectCluster('stats'),
  ]);
  const self = {
    uptime: Math.floor((Date.now() - ctx.startedAt) / 1000),
    memory: residentMemory(),
    node_id: hub.nodeId,
    engine: hub.engineKind,
    connections: { total, by_dialect: byDialect },
    subscriptions,
    channels,
    messages: {
      published: hub.counters.publications,
      delivered: hub.counters.deliveries,
      failed: hub.counters.failedDeliveries,
    },
  };
  if (!view) return sendJson(res, 200, self);
  const nodes = view.answers.map((a) => a.result);
  sendJson(res, 200, {
    ...self,
    cluster: sumStats(nodes),
    nodes,
    missing: view.missing,
    ...(view.error !== undefined && { cluster_error: view.error }),
  });
}

/** Channels known to the engine over every namespace; null when the engine cannot say right now. */
async function countChannels(ctx: DialectContext): Promise<number | null> {
  const names = new Set([...Object.keys(ctx.config.namespaces), ctx.config.chat.namespace]);
  try {
    const counts = await Promise.all([...names].map((ns) => ctx.hub.channels(ns).then((c) => c.length)));
    return counts.reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}
