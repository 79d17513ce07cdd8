// The client's side of the rocket wire format (docs/protocol/rocket.md): one-key JSON objects both
// ways. Pure functions, nothing Node-only.

/** The server's error ids (docs/errors.md, rocket); a newer server may send others. */
export const RocketErrorId = {
  invalidPayload: 'INVALID_PAYLOAD',
  undefinedEvent: 'UNDEFINED_EVENT',
  invalidUserName: 'INVALID_USER_NAME',
  userNotFound: 'USER_NOT_FOUND',
  invalidCredentials: 'INVALID_CREDENTIALS',
  accessDenied: 'ACCESS_DENIED',
  invalidChannelName: 'INVALID_CHANNEL_NAME',
  channelNotFound: 'CHANNEL_NOT_FOUND',
  invalidEventName: 'INVALID_EVENT_NAME',
  assignationFailed: 'ASSIGNATION_FAILED',
  rateLimited: 'RATE_LIMITED',
  tooManyRequests: 'TOO_MANY_REQUESTS',
  tooManyChannels: 'TOO_MANY_CHANNELS',
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
