// Two guards around the operator endpoints (docs/security.md "Admin access"):
//  - closed by default: a listener that other machines can reach never serves the admin API, /stats
//    and /metrics without a key, unless the operator says so in the config;
//  - CSRF: a browser page on another site must not be able to make a logged-in operator's browser
//    (or one on the operator's network, when there is no key) publish, send or kick.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../app/config-schema.js';
import { countLimit } from '../core/limit-counters.js';

/** Is `host` (a listen.host value) reachable only from this machine? */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Throws when the admin endpoints would be open to the network: no `admin.key`, a listener that is
 * not loopback and no `admin.insecure: true`. With `insecure`, logs a warning (every start, so
 * that the choice stays visible in the logs).
 */
export function checkAdminExposure(config: Config, logger: Logger): void {
  if (config.admin.key !== undefined || isLoopbackHost(config.listen.host)) return;
  if (!config.admin.insecure) {
    throw new Error(
      `admin.key is not set and listen.host ${config.listen.host} is not loopback: /admin, /stats and ` +
        '/metrics would be open to anyone who can reach it. Set admin.key (switchboard gen-config writes ' +
        'one), listen on 127.0.0.1, or set admin.insecure: true if a firewall guards the port.',
    );
  }
  logger.warn(
    { host: config.listen.host },
    'admin.insecure: no admin key on a non-loopback listener; /admin, /stats and /metrics are open to anyone who can reach it',
  );
}

/** Methods that change something; every admin route that is not one of these only reads. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a mutating admin request is refused as a possible cross-site request, or undefined when it
 * may proceed. A browser sends a cross-site form or `text/plain` fetch without a CORS preflight;
 * demanding `application/json` forces the preflight, which the server never answers with CORS
 * headers. The `Origin` check covers browsers and paths the content type alone does not.
 */
export function csrfRefusal(
  config: Config,
  req: IncomingMessage,
): { status: 403 | 415; error: string } | undefined {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    countLimit('admin_csrf');
    return { status: 415, error: 'mutating admin requests must have Content-Type: application/json' };
  }
  const origin = req.headers.origin;
  if (origin === undefined || sameOrigin(origin, req) || allowed(origin, config.admin.allowed_origins)) {
    return undefined;
  }
  countLimit('admin_csrf');
  return { status: 403, error: `origin ${origin} may not send admin requests (admin.allowed_origins)` };
}

function sameOrigin(origin: string, req: IncomingMessage): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return host !== '' && host === (req.headers.host ?? '').toLowerCase();
}

function allowed(origin: string, list: readonly string[] | undefined): boolean {
  const o = origin.replace(/\/$/, '').toLowerCase();
  return (list ?? []).some((a) => a.replace(/\/$/, '').toLowerCase() === o);
}
