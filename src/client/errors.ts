// Errors the SDK hands to the application: through a rejected `subscribe()` promise or the
// client's `error` event.
import type { ServerErrorCode } from './wire.js';

export const SiteClientErrorKind = {
  /** The server answered a request with an error; `serverCode` says which. */
  server: 'server',
  /** The application's `getAuth` callback threw or returned something unusable. */
  auth: 'auth',
  /** A message handler threw; the message still counts as delivered. */
  handler: 'handler',
  /** The server sent an error that answers no request of this client. */
  protocol: 'protocol',
  /** The subscription or client was ended by the application before the request finished. */
  closed: 'closed',
  /** Wrong use of the API (a second subscription to one channel, a bad argument). */
  usage: 'usage',
} as const;
export type SiteClientErrorKind = (typeof SiteClientErrorKind)[keyof typeof SiteClientErrorKind];

export interface SiteClientErrorInit {
  channel?: string;
  serverCode?: ServerErrorCode;
  cause?: unknown;
}

export class SiteClientError extends Error {
  readonly kind: SiteClientErrorKind;
  /** The channel the failed request or message was about, if any. */
  readonly channel: string | undefined;
  /** For `kind: 'server'`: the documented code of the server's message (`unknown` if new to the SDK). */
  readonly serverCode: ServerErrorCode | undefined;

  constructor(kind: SiteClientErrorKind, message: string, init: SiteClientErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SiteClientError';
    this.kind = kind;
    this.channel = init.channel;
    this.serverCode = init.serverCode;
  }
}
