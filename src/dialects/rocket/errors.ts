// Every error a rocket client can be answered with (docs/protocol/rocket.md). The wire shape is
// `{"err": ID}` plus an optional human-readable `additional_info`; UNDEFINED_EVENT also carries
// the `event` that was not understood. Listed in docs/errors.md.

// The ids live with the client SDK's wire code, so that the browser bundle and the server share
// one list without the bundle importing server code.
import { RocketErrorId } from '../../client/rocket-wire.js';
import { HubErrorCode } from '../../core/errors.js';
import type { HubErrorTable } from '../kit/hub-errors.js';

export { RocketErrorId };

/**
 * The rocket answer to each hub error; `null`: not an error here (a subscribe that finds the
 * channel already subscribed, by a backend's conn.call, answers `subscribed`). Every code rocket
 * has no id for is INTERNAL_ERROR, "request failed: …" (the engine unreachable above all).
 */
export const ROCKET_HUB_ERRORS: HubErrorTable<RocketErrorId | null> = {
  [HubErrorCode.alreadySubscribed]: null,
  [HubErrorCode.invalidChannel]: RocketErrorId.invalidChannelName,
  [HubErrorCode.tooManyChannels]: RocketErrorId.tooManyChannels,
  [HubErrorCode.notSubscribed]: RocketErrorId.channelNotFound,
  [HubErrorCode.unknownNamespace]: RocketErrorId.internalError,
  [HubErrorCode.duplicateConsumer]: RocketErrorId.internalError,
  [HubErrorCode.connectionClosed]: RocketErrorId.internalError,
  [HubErrorCode.unknownClient]: RocketErrorId.internalError,
  [HubErrorCode.invalidCall]: RocketErrorId.internalError,
  [HubErrorCode.engineUnavailable]: RocketErrorId.internalError,
  [HubErrorCode.invalidData]: RocketErrorId.internalError,
  [HubErrorCode.unwritable]: RocketErrorId.internalError,
  [HubErrorCode.nodeUnreachable]: RocketErrorId.internalError,
};

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
