// The error type of RocketClient, ChatClient and GatewayClient: one class, a `kind` saying what
// failed and, for a server refusal, the dialect's own error id in `code`.

export const ClientErrorKind = {
  /** The server refused a request; `code` is its id (rocket `err`, chat API HTTP status). */
  server: 'server',
  /** The connection went away before the request was answered; it was not repeated. */
  disconnected: 'disconnected',
  /** No answer within `requestTimeoutMs`. */
  timeout: 'timeout',
  /** The client was closed by the application. */
  closed: 'closed',
  /** A listener or handler of the application threw. */
  handler: 'handler',
  /** The server sent something this client cannot read. */
  protocol: 'protocol',
  /** Wrong use of the API (a bad argument, an empty message). */
  usage: 'usage',
} as const;
export type ClientErrorKind = (typeof ClientErrorKind)[keyof typeof ClientErrorKind];

export interface ClientErrorInit {
  code?: string;
  channel?: string;
  cause?: unknown;
}

export class ClientError extends Error {
  readonly kind: ClientErrorKind;
  /** For `server`: the dialect's error id (`ACCESS_DENIED`, `404`…). */
  readonly code: string | undefined;
  /** The channel or room the failed request was about, if any. */
  readonly channel: string | undefined;

  constructor(kind: ClientErrorKind, message: string, init: ClientErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ClientError';
    this.kind = kind;
    this.code = init.code;
    this.channel = init.channel;
  }
}
