import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonDepthExceeds, MAX_JSON_DEPTH, tooDeepMessage } from '../core/json-depth.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Read a request body up to `limit` bytes; past that the read stops with BodyTooLarge. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `text` is the body as read, for the rare reader that needs more than JSON.parse keeps. */
export type JsonBody =
  | { ok: true; value: unknown; text: string }
  | { ok: false; status: number; message: string };

/**
 * Read and parse a JSON body, turning every failure into a status and a readable message: 413 over
 * `limit` bytes, 400 when unreadable, not JSON, or nested deeper than `maxDepth` levels
 * (limits.max_json_depth: see core/json-depth.ts).
 */
export async function readJson(
  req: IncomingMessage,
  limit: number,
  maxDepth: number = MAX_JSON_DEPTH,
): Promise<JsonBody> {
  let raw: Buffer;
  try {
    raw = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLarge) return { ok: false, status: 413, message: err.message };
    return { ok: false, status: 400, message: 'could not read request body' };
  }
  let value: unknown;
  const text = raw.toString('utf8');
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, message: 'request body is not valid JSON' };
  }
  if (jsonDepthExceeds(value, maxDepth)) {
    return { ok: false, status: 400, message: tooDeepMessage('request body', maxDepth) };
  }
  return { ok: true, value, text };
}

/** `Authorization: Bearer X` → X. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1] : undefined;
}
