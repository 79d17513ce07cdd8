// Every error a rocket client can be answered with (docs/protocol/rocket.md). The wire shape is
// `{"err": ID}` plus an optional human-readable `additional_info`; UNDEFINED_EVENT also carries
// the `event` that was not understood. Listed in docs/errors.md.

export const RocketErrorId = {
  /** Not JSON, not an object with exactly one key, or a payload of the wrong type. */
  invalidPayload: 'INVALID_PAYLOAD',
  /** The one key names no event this server knows. */
  undefinedEvent: 'UNDEFINED_EVENT',
  /** authenticate: no `user`, or not a valid user name. */
  invalidUserName: 'INVALID_USER_NAME',
  /** authenticate: the vhost has no such user. */
  userNotFound: 'USER_NOT_FOUND',
  /** authenticate: the secret does not match. */
  invalidCredentials: 'INVALID_CREDENTIALS',
  /** The session lacks the permission the event needs (or is not authenticated at all). */
  accessDenied: 'ACCESS_DENIED',
  /** No channel name, or one outside the accepted format. */
  invalidChannelName: 'INVALID_CHANNEL_NAME',
  /** unsubscribe: not subscribed here; broadcast: the channel was never subscribed or published to. */
  channelNotFound: 'CHANNEL_NOT_FOUND',
  /** broadcast/trigger: no event name, or one outside the accepted format. */
  invalidEventName: 'INVALID_EVENT_NAME',
  /** trigger: no backend consumes the vhost's trigger topic. */
  assignationFailed: 'ASSIGNATION_FAILED',
  /** Switchboard addition: more messages than limits.max_messages_per_second (and burst) allow. */
  rateLimited: 'RATE_LIMITED',
  /** Switchboard addition: too many requests waiting for an answer on this connection. */
  tooManyRequests: 'TOO_MANY_REQUESTS',
  /** Switchboard addition: subscribe past limits.max_channels_per_connection. */
  tooManyChannels: 'TOO_MANY_CHANNELS',
  /** Switchboard addition: the server could not complete the request (engine unreachable). */
  internalError: 'INTERNAL_ERROR',
} as const;
export type RocketErrorId = (typeof RocketErrorId)[keyof typeof RocketErrorId];

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
