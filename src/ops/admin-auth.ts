// Who may use the admin API (docs/operations.md, "Admin API"). Two kinds of callers:
//  - the operator, with the admin key: `Authorization: Bearer KEY` — everything, every namespace;
//  - a rocket user with MANAGE, with its vhost credentials:
//    `Authorization: Basic base64("NAMESPACE/USER:SECRET")` — its own namespace only.
// With no admin key configured the API is open to anyone (as /stats is); the server then refuses to
// start on a non-loopback listener unless `admin.insecure` says so (admin-guard.ts).
import type { IncomingMessage } from 'node:http';
import { secretEquals } from '../core/secret-compare.js';
import type { DialectContext } from '../dialects/context.js';
import {
  hasPermission,
  Permission,
  authenticate as rocketAuthenticate,
} from '../dialects/rocket/permissions.js';
import { bearerToken } from '../transport/http-util.js';

export type Principal =
  | { kind: 'admin' }
  /** A rocket user with MANAGE, confined to its namespace. */
  | { kind: 'manager'; namespace: string; user: string };

export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; error: string };

/** The refusal of a manager on a server-wide endpoint (/stats, /metrics, /admin/api/stats). */
export const ADMIN_ONLY = 'this endpoint needs the admin key';

/** The admin key, or a rocket user with MANAGE presenting `Basic base64(ns/user:secret)`. */
export function authenticate(ctx: DialectContext, req: IncomingMessage): AuthResult {
  return reported(ctx, req, keyOrManager(ctx, req));
}

/** A refused credential (401) goes to the ops log; a known caller lacking a right (403) does not. */
function reported(ctx: DialectContext, req: IncomingMessage, result: AuthResult): AuthResult {
  if (!result.ok && result.status === 401) {
    ctx.hub.authFailed?.({ dialect: 'admin', reason: result.error, address: req.socket.remoteAddress });
  }
  return result;
}

function adminKey(ctx: DialectContext, req: IncomingMessage): AuthResult {
  const key = ctx.config.admin.key;
  if (key === undefined) return { ok: true, principal: { kind: 'admin' } };
  const given = bearerToken(req);
  if (given === undefined)
    return { ok: false, status: 401, error: 'admin key required (Authorization: Bearer KEY)' };
  if (!secretEquals(given, key)) return { ok: false, status: 401, error: 'invalid admin key' };
  return { ok: true, principal: { kind: 'admin' } };
}

function keyOrManager(ctx: DialectContext, req: IncomingMessage): AuthResult {
  const basic = basicCredentials(req);
  if (basic === undefined || ctx.config.admin.key === undefined) return adminKey(ctx, req);
  if (basic === null) {
    return { ok: false, status: 401, error: 'Basic credentials must be base64("namespace/user:secret")' };
  }
  const { namespace, user, secret } = basic;
  const rocket = Object.hasOwn(ctx.config.namespaces, namespace)
    ? ctx.config.namespaces[namespace]?.rocket
    : undefined;
  if (rocket === undefined) return { ok: false, status: 401, error: 'invalid credentials' };
  // The original protocol lets an empty secret accept any secret for WebSocket sessions; that would hand the
  // admin API to anyone, so such users are refused here, whatever secret they give.
  if (Object.hasOwn(rocket.users, user) && rocket.users[user]?.secret === '') {
    return {
      ok: false,
      status: 403,
      error: `user ${user} has an empty secret and may not use the admin API`,
    };
  }
  // The rocket dialect's own check (constant-time secret comparison), so both agree on who is who.
  const result = rocketAuthenticate(rocket, user, secret);
  if (!result.ok) return { ok: false, status: 401, error: 'invalid credentials' };
  if (!hasPermission(result.identity, Permission.manage)) {
    return { ok: false, status: 403, error: `user ${user} lacks the MANAGE permission` };
  }
  return { ok: true, principal: { kind: 'manager', namespace, user } };
}

/** undefined: no Basic header; null: a Basic header that does not parse. */
function basicCredentials(
  req: IncomingMessage,
): { namespace: string; user: string; secret: string } | null | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h.trim());
  if (!m) return /^Basic\b/i.test(h.trim()) ? null : undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const slash = decoded.indexOf('/');
  if (colon < 0 || slash < 0 || slash > colon) return null;
  return {
    namespace: decoded.slice(0, slash),
    user: decoded.slice(slash + 1, colon),
    secret: decoded.slice(colon + 1),
  };
}

/** May this principal act on namespace `ns`? Returns the refusal, or undefined when allowed. */
export function namespaceRefusal(
  principal: Principal,
  ns: string,
): { status: 403; error: string } | undefined {
  if (principal.kind === 'admin' || principal.namespace === ns) return undefined;
  return { status: 403, error: `user ${principal.user} may only manage namespace ${principal.namespace}` };
}
