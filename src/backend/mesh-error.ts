// The error of the backend SDK: a mesh API refusal with its numeric code (docs/errors.md, mesh),
// or what went wrong around it (connection, timeout, an upgrade the server refused).

// The mesh API's codes, as the server sends them in `E.c`: the server's own list (constants only).
export { MeshErrorCode } from '../dialects/mesh/errors.js';

export const MeshBackendErrorKind = {
  /** The server answered with `E`: `code` is its `c`. */
  mesh: 'mesh',
  /** The server refused the WebSocket upgrade or an HTTP call: `code` is the HTTP status (401 key, 404 site). */
  refused: 'refused',
  /** The connection went away before the answer; the request was not repeated. */
  disconnected: 'disconnected',
  /** No answer within `requestTimeoutMs`. */
  timeout: 'timeout',
  /** The backend was closed by the application. */
  closed: 'closed',
  /** A queue handler of the application threw. */
  handler: 'handler',
  /** Wrong use of the API. */
  usage: 'usage',
} as const;
export type MeshBackendErrorKind = (typeof MeshBackendErrorKind)[keyof typeof MeshBackendErrorKind];

export class MeshBackendError extends Error {
  readonly kind: MeshBackendErrorKind;
  /** `mesh`: the mesh code (a MeshErrorCode for every code the server documents); `refused`: the HTTP status. */
  readonly code: number | undefined;

  constructor(kind: MeshBackendErrorKind, message: string, code?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'MeshBackendError';
    this.kind = kind;
    this.code = code;
  }
}
