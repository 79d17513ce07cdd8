// The plumbing every admin API route shares: authentication first, then the handler, with every
// failure answered in the operator endpoints' one shape (ops-error.ts) and a status that says
// whose fault it was: an engine outage is 503, never 401 or 500.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubErrorCode } from '../core/errors.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH, tooDeepMessage } from '../core/json-depth.js';
import type { Publication } from '../core/types.js';
import type { DialectContext } from '../dialects/context.js';
import { type HubErrorTable, wireErrorOf } from '../dialects/kit/hub-errors.js';
import { BodyTooLarge, readBody, sendJson } from '../transport/http-util.js';
import type { HttpMethod, HttpRoute } from '../transport/routes.js';
import { authenticate, type Principal } from './admin-auth.js';
import { csrfRefusal } from './admin-guard.js';
import { sendOpsError } from './ops-error.js';

/** Thrown by handlers to answer with a status and a message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiRequest {
  req: IncomingMessage;
  /** For extra response headers only: the handler's return value is the body. */
  res: ServerResponse;
  url: URL;
  /** Path groups, already percent-decoded. */
  params: string[];
  principal: Principal;
}

/** A handler returns the JSON body of a 200 answer, or throws ApiError. */
export type ApiHandler = (r: ApiRequest) => Promise<unknown> | unknown;

export function apiRoute(
  ctx: DialectContext,
  method: HttpMethod,
  path: string | RegExp,
  handler: ApiHandler,
): HttpRoute {
  return {
    method,
    path,
    handle: async (req, res, url, rawParams) => {
      const auth = authenticate(ctx, req);
      if (!auth.ok) return sendError(res, auth.status, auth.error);
      const csrf = csrfRefusal(ctx.config, req);
      if (csrf) return sendError(res, csrf.status, csrf.error);
      // The audit trail: every request that changes something, with who asked and the outcome.
      const audit = (status: number, error?: string) => {
        if (method === 'GET') return;
        const who =
          auth.principal.kind === 'admin' ? 'admin' : `${auth.principal.namespace}/${auth.principal.user}`;
        ctx.logger.info(
          {
            audit: true,
            who,
            address: req.socket.remoteAddress,
            action: `${method} ${url.pathname}`,
            status,
            error,
          },
          'admin action',
        );
      };
      try {
        const params = rawParams.map(decodeParam);
        const body = await handler({ req, res, url, params, principal: auth.principal });
        sendJson(res, 200, body);
        audit(200);
      } catch (err) {
        if (err instanceof ApiError) {
          audit(err.status, err.message);
          return sendError(res, err.status, err.message);
        }
        const status = hubErrorStatus(err);
        if (status !== undefined) {
          const message = (err as Error).message;
          audit(status, message);
          return sendError(res, status, message);
        }
        ctx.logger.error({ err, path: url.pathname }, 'admin API handler failed');
        audit(500, err instanceof Error ? err.message : 'internal error');
        sendError(res, 500, err instanceof Error ? err.message : 'internal error');
      }
    },
  };
}

export function sendError(res: ServerResponse, status: number, error: string): void {
  sendOpsError(res, status, error);
}

/**
 * The operator endpoints' answer to each hub error: a status the caller can act on; undefined for
 * an error the operator cannot fix by asking differently (a routed operation answers 502, any
 * other route 500).
 */
const OPS_HUB_ERRORS: HubErrorTable<number | undefined> = {
  [HubErrorCode.engineUnavailable]: 503,
  [HubErrorCode.unknownNamespace]: 404,
  [HubErrorCode.unknownClient]: 404,
  [HubErrorCode.invalidData]: 400,
  [HubErrorCode.invalidChannel]: 400,
  [HubErrorCode.invalidCall]: 400,
  [HubErrorCode.alreadySubscribed]: undefined,
  [HubErrorCode.notSubscribed]: undefined,
  [HubErrorCode.duplicateConsumer]: undefined,
  [HubErrorCode.connectionClosed]: undefined,
  [HubErrorCode.tooManyChannels]: undefined,
  [HubErrorCode.unwritable]: undefined,
  [HubErrorCode.nodeUnreachable]: undefined,
};

/** The status of a hub error the caller can act on (OPS_HUB_ERRORS); undefined for anything else. */
export function hubErrorStatus(err: unknown): number | undefined {
  return wireErrorOf(OPS_HUB_ERRORS, err);
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, `"${raw}" is not a valid percent-encoded path segment`);
  }
}

/**
 * A JSON object body; an empty body reads as `{}` (e.g. a bare POST .../disconnect). 400 when
 * nested deeper than `maxDepth` levels (limits.max_json_depth: see core/json-depth.ts).
 */
export async function readObject(
  req: IncomingMessage,
  limit: number,
  maxDepth: number = MAX_JSON_DEPTH,
): Promise<Record<string, unknown>> {
  let raw: Buffer;
  try {
    raw = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new ApiError(413, err.message);
    throw new ApiError(400, 'could not read request body');
  }
  if (raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'request body must be a JSON object');
  }
  if (jsonDepthExceeds(value, maxDepth)) throw new ApiError(400, tooDeepMessage('request body', maxDepth));
  return value as Record<string, unknown>;
}

/** A publication as the admin API shows it: binary data as base64 with `binary: true`. */
export function publicationJson(p: Publication): Record<string, unknown> {
  const out: Record<string, unknown> = { ord: p.ord, time: p.time, channel: p.channel };
  if (Buffer.isBuffer(p.data)) {
    out.data = p.data.toString('base64');
    out.binary = true;
  } else out.data = p.data;
  if (p.event !== undefined) out.event = p.event;
  if (p.sender !== undefined) out.sender = p.sender;
  if (p.id !== undefined) out.id = p.id;
  return out;
}

/** A non-negative integer query parameter, or undefined when absent. */
export function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n))
    throw new ApiError(400, `${name} must be a non-negative integer`);
  return n;
}
