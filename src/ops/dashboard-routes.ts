// The admin dashboard (issue 9): `GET /admin` (the page) and `GET /assets/admin/<file>` (its CSS and
// script). The page itself holds no data and needs no credentials: everything it shows comes from
// the admin API, called by the browser with the key the operator types in (docs/operations.md
// "Dashboard").
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../transport/http-util.js';
import type { HttpRoute } from '../transport/routes.js';

/**
 * The page's directory: `web/admin/` at the package root, found from this compiled module
 * (dist/src/ops/) so it works from a checkout and from an installed package alike.
 */
export const ADMIN_WEB_DIR = new URL('../../../web/admin/', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};

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

/**
 * Only plain file names directly inside web/admin/ with a known extension are served (the pattern
 * admits no `/`, and names may not start with a dot), so no request can leave the directory.
 * Files are read on each request: they are small, and an edited page shows up without a restart.
 */
export function dashboardRoutes(dir: URL = ADMIN_WEB_DIR): HttpRoute[] {
  const page: HttpRoute['handle'] = (_req, res) => serveFile(res, dir, 'index.html');
  return [
    { method: 'GET', path: '/admin', handle: page },
    { method: 'GET', path: '/admin/', handle: page },
    {
      method: 'GET',
      path: /^\/assets\/admin\/([A-Za-z0-9_-][A-Za-z0-9_.-]*)$/,
      handle: (_req, res, _url, [name]) => serveFile(res, dir, name!),
    },
  ];
}

async function serveFile(res: ServerResponse, dir: URL, name: string): Promise<void> {
  const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)];
  let body: Buffer | undefined;
  if (type !== undefined && !name.includes('..')) {
    try {
      body = await readFile(new URL(name, dir));
    } catch {
      body = undefined;
    }
  }
  if (body === undefined || type === undefined) {
    sendJson(res, 404, { error: `no file ${name}` });
    return;
  }
  res.writeHead(200, {
    'content-type': type,
    'content-length': body.length,
    // Revalidate every time: a restarted server may ship a newer page.
    'cache-control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  res.end(body);
}
