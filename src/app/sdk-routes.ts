// `GET /sdk/…`: the browser SDK bundle (scripts/build-sdk.mjs builds it into dist/sdk/), the way
// Socket.IO serves its client next to the server. Two names, each at two paths:
//   /sdk/switchboard.js, /sdk/switchboard.iife.js                 revalidated every 5 minutes
//   /sdk/VERSION/switchboard.js, /sdk/VERSION/switchboard.iife.js cached for a year (immutable)
// The versioned path names this server's package version only: a page pinned to a version the
// server does not ship gets a 404 naming the one it has, instead of other code under that name.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../transport/http-util.js';
import type { HttpRoute } from '../transport/routes.js';

/** dist/src/app/ → dist/sdk/ */
const SDK_DIR = new URL('../../sdk/', import.meta.url);
const PACKAGE_JSON = new URL('../../../package.json', import.meta.url);
const NAMES = new Set(['switchboard.js', 'switchboard.iife.js']);
const YEAR_S = 365 * 24 * 3600;

interface Bundle {
  body: Buffer;
  etag: string;
}

export function sdkVersion(): string {
  return String(JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')).version);
}

export function sdkRoutes(version: string = sdkVersion(), dir: URL = SDK_DIR): HttpRoute[] {
  // Read on first use and kept: the files are small and change only with a new build (a restart).
  const cache = new Map<string, Bundle | null>();
  const load = (name: string): Bundle | null => {
    let bundle = cache.get(name);
    if (bundle === undefined) {
      try {
        const body = readFileSync(new URL(name, dir));
        bundle = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
      } catch {
        bundle = null;
      }
      cache.set(name, bundle);
    }
    return bundle;
  };
  const serve = (req: IncomingMessage, res: ServerResponse, name: string, pinned: boolean) => {
    const bundle = load(name);
    if (!bundle) return sendJson(res, 404, { error: `the SDK bundle ${name} is not built (npm run build)` });
    const headers = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': pinned ? `public, max-age=${YEAR_S}, immutable` : 'public, max-age=300',
      etag: bundle.etag,
      'x-content-type-options': 'nosniff',
      // Public code: pages on any origin may load it, as a module script too (which needs CORS).
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
    };
    if (req.headers['if-none-match'] === bundle.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': bundle.body.length });
    res.end(bundle.body);
  };
  return [
    {
      method: 'GET',
      path: /^\/sdk\/(?:([^/]+)\/)?([^/]+)$/,
      handle: (req, res, _url, [pin, name]) => {
        if (!NAMES.has(name!))
          return sendJson(res, 404, { error: `no file ${name!.slice(0, 64)}: try /sdk/switchboard.js` });
        // Compared undecoded: a version has nothing to escape, and bad escapes must not throw.
        if (pin !== undefined && pin !== version) {
          return sendJson(res, 404, {
            error: `SDK version ${pin.slice(0, 64)} is not served here; this server serves ${version} at /sdk/${version}/${name}`,
          });
        }
        serve(req, res, name!, pin !== undefined);
      },
    },
  ];
}
