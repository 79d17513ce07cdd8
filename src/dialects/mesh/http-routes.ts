/**
 * The mesh HTTP API (docs/protocol/mesh.md): `POST /v1/mesh/send` and `POST /v1/mesh/publish`, the same calls
 * as over /ws/v1, answered with the envelope minus `i`. Every envelope is sent with HTTP 200 (read
 * `E`), except a body over the size limit (413, E 101); a missing or wrong API key is HTTP 401
 * with `{"error": "..."}`, an unknown site 404.
 */
import type { ServerResponse } from 'node:http';
import type { Hub } from '../../core/hub.js';
import { readJson, sendJson } from '../../transport/http-util.js';
import type { HttpRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { authorizeBackendLogged } from './auth.js';
import {
  errorEnvelope,
  exactClientId,
  parsePublishParams,
  parseSendParams,
  resultEnvelope,
} from './codec.js';
import { MeshError, MeshErrorCode } from './errors.js';
import { type MeshResult, runPublish, runSend } from './handlers.js';

export const SEND_PATH = '/v1/mesh/send';
export const PUBLISH_PATH = '/v1/mesh/publish';

/** Every error envelope goes through here, so each is counted once (errors_total). */
function fail(hub: Hub, res: ServerResponse, status: number, err: MeshError): void {
  hub.errors.count('mesh', String(err.code));
  sendJson(res, status, errorEnvelope(err));
}

function route<C>(
  ctx: DialectContext,
  path: string,
  parse: (body: unknown, text: string) => C,
  run: (hub: Hub, namespace: string, call: C) => Promise<MeshResult>,
): HttpRoute {
  return {
    method: 'POST',
    path,
    handle: async (req, res, url) => {
      const auth = authorizeBackendLogged(ctx, req, url);
      if (!auth.ok) return sendJson(res, auth.status, auth.body);
      const { limits } = ctx.config;
      const body = await readJson(req, limits.max_http_body_bytes, limits.max_json_depth);
      if (!body.ok) {
        const status = body.status === 413 ? 413 : 200;
        return fail(ctx.hub, res, status, new MeshError(MeshErrorCode.invalidParams, body.message));
      }
      try {
        const result = await run(ctx.hub, auth.namespace, parse(body.value, body.text));
        sendJson(res, 200, resultEnvelope(result));
      } catch (err) {
        if (!(err instanceof MeshError)) throw err;
        fail(ctx.hub, res, 200, err);
      }
    },
  };
}

/** A client id written as a JSON number (the PHP SDK's `int`) is read from the body's digits. */
function parseSendBody(body: unknown, text: string) {
  const c = (body as { c?: unknown } | null)?.c;
  if (typeof c === 'number') (body as { c: unknown }).c = exactClientId(text, ['c']);
  return parseSendParams(body);
}

export function meshHttpRoutes(ctx: DialectContext): HttpRoute[] {
  return [
    route(ctx, SEND_PATH, parseSendBody, runSend),
    route(ctx, PUBLISH_PATH, parsePublishParams, runPublish),
  ];
}
