import type { HttpRoute } from '../../transport/routes.js';
import { staticFileRoutes } from '../../transport/static-files.js';

/**
 * The chat page's directory: `web/chat/` at the package root, found from this compiled module
 * (dist/src/dialects/chat/) so it works from a checkout and from an installed package alike.
 */
export const CHAT_WEB_DIR = new URL('../../../../web/chat/', import.meta.url);

/**
 * `GET /` (the chat page) and `GET /assets/chat/<file>`, served by the shared static-file rules
 * (src/transport/static-files.ts); a missing or refused file is ChatErrorCode.assetNotFound (404).
 */
export function chatPageRoutes(dir: URL = CHAT_WEB_DIR): HttpRoute[] {
  return staticFileRoutes({ pagePaths: ['/'], assetPrefix: '/assets/chat/', dir });
}
