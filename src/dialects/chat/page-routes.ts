import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../transport/http-util.js';
import type { HttpRoute } from '../../transport/routes.js';

/**
 * The chat page's directory: `web/chat/` at the package root, found from this compiled module
 * (dist/src/dialects/chat/) so it works from a checkout and from an installed package alike.
 */
export const CHAT_WEB_DIR = new URL('../../../../web/chat/', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};

/**
 * `GET /` (the chat page) and `GET /assets/chat/<file>`. Only plain file names directly inside
 * web/chat/ with a known extension are served, so no path can leave the directory. Files are read
 * on each request: they are small, and an edited page shows up without a restart.
 */
export function chatPageRoutes(dir: URL = CHAT_WEB_DIR): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: '/',
      handle: (_req, res) => serveFile(res, dir, 'index.html'),
    },
    {
      method: 'GET',
      path: /^\/assets\/chat\/([A-Za-z0-9_-][A-Za-z0-9_.-]*)$/,
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
    // ChatErrorCode.assetNotFound
    sendJson(res, 404, { error: `no file ${name}` });
    return;
  }
  res.writeHead(200, {
    'content-type': type,
    'content-length': body.length,
    // Revalidate every time: a restarted server may ship a newer page.
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
