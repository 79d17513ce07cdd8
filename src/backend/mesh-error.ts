// The error of the backend SDK: a mesh API refusal with its numeric code (docs/errors.md, mesh),
// or what went wrong around it (connection, timeout, an upgrade the server refused).

/** The mesh API's codes, as the server sends them in `E.c`. */
export const MeshErrorCode = {
  /** Invalid JSON, unknown method, missing or malformed parameters, an unknown conn.call function. */
  invalidParams: 101,
  /** queue.pop could not attach the consumer. */
  consumeFailed: 201,
  /** queue.pop for a topic this connection already consumes. */
  duplicateConsume: 202,
  /** queue.unpop could not detach the consumer. */
  unpopFailed: 203,
  /** conn.call on an unknown or gone client, or the call failed where the client lives. */
  callFailed: 301,
  /** mesh.send to an unknown or gone client; a publication the engine could not take. */
  sendFailed: 401,
} as const;
export type MeshErrorCode = (typeof MeshErrorCode)[keyof typeof MeshErrorCode];

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
