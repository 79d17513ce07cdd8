// Every error a rocket client can be answered with (docs/protocol/rocket.md). The wire shape is
// `{"err": ID}` plus an optional human-readable `additional_info`; UNDEFINED_EVENT also carries
// the `event` that was not understood. Listed in docs/errors.md.

// The ids live with the client SDK's wire code, so that the browser bundle and the server share
// one list without the bundle importing server code.
import { RocketErrorId } from '../../client/rocket-wire.js';

export { RocketErrorId };

/** One error reply, before encoding. */
export interface RocketError {
  err: RocketErrorId;
  additional_info?: string;
  /** Only for UNDEFINED_EVENT: the event name the client sent. */
  event?: string;
}

export function rocketError(err: RocketErrorId, additionalInfo?: string): RocketError {
  return additionalInfo === undefined ? { err } : { err, additional_info: additionalInfo };
}

/** `{"err": ID, "additional_info"?: ..., "event"?: ...}` with keys in that order. */
export function encodeError(error: RocketError): string {
  return JSON.stringify(error);
}
