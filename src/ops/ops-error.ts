// The one error shape of the operator endpoints (/healthz, /readyz, /stats, /metrics and
// /admin/api/*), documented in docs/operations.md "Errors":
//
//   {"error": {"code": "unauthorized", "message": "admin key required (Authorization: Bearer KEY)"}}
//
// Each code belongs to exactly one HTTP status, so a script can branch on either. An outage (the
// engine unreachable, the server shutting down, not ready) is always 503 `unavailable`, never an
// authorization error: a monitoring script that sees 401 must be able to conclude "wrong key".
import type { ServerResponse } from 'node:http';
import { sendJson } from '../transport/http-util.js';

export const OpsErrorCode = {
  400: 'bad_request',
  /** No credential, or one that is not valid. */
  401: 'unauthorized',
  /** A valid credential without the right (a manager outside its namespace), or a refused origin. */
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'too_large',
  415: 'unsupported_media_type',
  500: 'internal',
  /** Another node of the cluster answered the routed action with an error. */
  502: 'node_error',
  /** The engine is unreachable, the node is not ready or is shutting down: retry later. */
  503: 'unavailable',
} as const;
export type OpsStatus = keyof typeof OpsErrorCode;

export type OpsErrorBody = { error: { code: string; message: string } };

export function opsErrorBody(status: number, message: string): OpsErrorBody {
  const code =
    (OpsErrorCode as Record<number, string>)[status] ?? (status >= 500 ? 'internal' : 'bad_request');
  return { error: { code, message } };
}

export function sendOpsError(
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { ...extra, ...opsErrorBody(status, message) }, headers);
}

/** Paths that answer in this shape, also for the listener's own 404/405/500/503. */
export function isOpsPath(pathname: string): boolean {
  return (
    pathname === '/healthz' ||
    pathname === '/readyz' ||
    pathname === '/stats' ||
    pathname === '/metrics' ||
    pathname === '/admin/api' ||
    pathname.startsWith('/admin/api/')
  );
}
