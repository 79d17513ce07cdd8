// Static pages shipped with the server (the chat page, the admin dashboard): one page URL set plus
// an asset directory, served from disk with the same refusal rules for every page.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { sendJson } from './http-util.js';
import type { HttpRoute } from './routes.js';

/** The only extensions served; anything else is a 404, so no stray file type leaves the directory. */
export const STATIC_CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};

export interface StaticFileRoutesOptions {
  /** Exact paths that answer with the index file (`['/']`, `['/admin', '/admin/']`). */
  pagePaths: readonly string[];
  /** Asset URL prefix with both slashes (`/assets/chat/`); a file name must follow it directly. */
  assetPrefix: string;
  /** The directory holding the index and the assets (a `file:` URL ending in `/`). */
  dir: URL;
  /** File served at the page paths; `index.html` unless told. */
  index?: string;
  /** Extra response headers of every 200 (a page's CSP, framing policy...); they win over the defaults. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * `GET <pagePaths>` → the index file, `GET <assetPrefix><name>` → that file. Only plain names
 * directly inside `dir` with a known extension are served (the pattern admits no `/`, names may
 * not start with a dot, `..` is refused), so no request can leave the directory; any refusal or
 * missing file is a JSON 404 `{error: "no file <name>"}`. Files are read on each request: they are
 * small, and an edited page shows up without a restart.
 */
export function staticFileRoutes(options: StaticFileRoutesOptions): HttpRoute[] {
  const { dir, index = 'index.html', headers = {} } = options;
  const page: HttpRoute['handle'] = (_req, res) => serveStaticFile(res, dir, index, headers);
  const prefix = options.assetPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    ...options.pagePaths.map((path): HttpRoute => ({ method: 'GET', path, handle: page })),
    {
      method: 'GET',
      path: new RegExp(`^${prefix}([A-Za-z0-9_-][A-Za-z0-9_.-]*)$`),
      handle: (_req, res, _url, [name]) => serveStaticFile(res, dir, name!, headers),
    },
  ];
}

/** Answer with `dir/name` (200 with `headers`) or a JSON 404; never throws. */
export async function serveStaticFile(
  res: ServerResponse,
  dir: URL,
  name: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  const type = STATIC_CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)];
  let body: Buffer | undefined;
  if (type !== undefined && !name.includes('..') && !name.includes('/')) {
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
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}
