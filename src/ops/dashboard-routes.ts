// The admin dashboard: `GET /admin` (the page) and `GET /assets/admin/<file>` (its CSS and
// script). The page itself holds no data and needs no credentials: everything it shows comes from
// the admin API, called by the browser with the key the operator types in (docs/operations.md
// "Dashboard").
import type { HttpRoute } from '../transport/routes.js';
import { staticFileRoutes } from '../transport/static-files.js';

/**
 * The page's directory: `web/admin/` at the package root, found from this compiled module
 * (dist/src/ops/) so it works from a checkout and from an installed package alike.
 */
export const ADMIN_WEB_DIR = new URL('../../../web/admin/', import.meta.url);

/**
 * The page runs only its own files and talks only to this server: an injected string could not
 * load or run anything even if it reached the DOM as markup (the page uses textContent only).
 * Framing is refused so the Kick buttons cannot be clickjacked.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

/** The page and its assets, served by the shared static-file rules (src/transport/static-files.ts). */
export function dashboardRoutes(dir: URL = ADMIN_WEB_DIR): HttpRoute[] {
  return staticFileRoutes({
    pagePaths: ['/admin', '/admin/'],
    assetPrefix: '/assets/admin/',
    dir,
    headers: SECURITY_HEADERS,
  });
}
