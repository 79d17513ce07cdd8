// The client's side of the rocket wire format (docs/protocol/rocket.md): one-key JSON objects both
// ways. Pure functions, nothing Node-only.

/** Every error id of the rocket dialect (docs/errors.md); a newer server may send others. */
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

/** The one key of each success reply, by the event it answers. */
export const REPLY_KEY = {
  authenticate: 'authenticated',
  subscribe: 'subscribed',
  unsubscribe: 'unsubscribed',
  broadcast: 'broadcasted',
  trigger: 'triggered',
  logout: 'loggedOut',
} as const;
export type RocketRequestEvent = keyof typeof REPLY_KEY;

const REPLY_KEYS = new Set<string>(Object.values(REPLY_KEY));

export type RocketFrame =
  /** The answer to the oldest request in flight (the server answers in order). */
  | { kind: 'reply'; key: string; value: unknown }
  | { kind: 'error'; id: string; info: string }
  | { kind: 'event'; event: string; channel: string; data: unknown }
  /** Anything else: what a worker sent this connection with `mesh.send` (parsed JSON or the text). */
  | { kind: 'other'; value: unknown };

export function parseRocketFrame(text: string): RocketFrame {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: 'other', value: text };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { kind: 'other', value: v };
  const o = v as Record<string, unknown>;
  if (typeof o.err === 'string') {
    const info =
      typeof o.additional_info === 'string'
        ? o.additional_info
        : typeof o.event === 'string'
          ? `event ${o.event}`
          : '';
    return { kind: 'error', id: o.err, info };
  }
  const keys = Object.keys(o);
  if (keys.length === 1 && REPLY_KEYS.has(keys[0]!))
    return { kind: 'reply', key: keys[0]!, value: o[keys[0]!] };
  if (typeof o.event === 'string' && typeof o.channel === 'string' && keys.length === 3 && 'data' in o) {
    return { kind: 'event', event: o.event, channel: o.channel, data: o.data };
  }
  return { kind: 'other', value: v };
}
