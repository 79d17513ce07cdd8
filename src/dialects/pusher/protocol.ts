// The Pusher Channels WebSocket protocol, version 7 (docs/protocol/pusher.md): what a client may
// send, decoded into typed commands, and every frame the server writes. Pure: no sockets, no hub.
import { HubErrorCode } from '../../core/errors.js';
import { jsonDepthExceeds } from '../../core/json-depth.js';
import type { HubErrorTable } from '../kit/hub-errors.js';

/** The protocol versions clients may ask for (`?protocol=`); pusher-js 8 sends 7. */
export const MIN_PROTOCOL = 5;
export const MAX_PROTOCOL = 7;

/**
 * Pusher's error codes (`pusher:error` data.code, and the WebSocket close code where the error
 * ends the connection). 4000-4099: the client must not reconnect as it is; 4100-4199: reconnect
 * after a back-off; 4200-4299: reconnect at once; 4300-4399: the connection stays open.
 */
export const PusherCode = {
  appNotFound: 4001,
  overQuota: 4004,
  pathNotFound: 4005,
  invalidVersion: 4006,
  unsupportedProtocol: 4007,
  noProtocol: 4008,
  unauthorized: 4009,
  reconnect: 4200,
  clientEventRateLimited: 4301,
} as const;

/** How Pusher answers a hub error, where it can meet it. */
export interface PusherHubError {
  /** On subscribe: a `pusher_internal:subscription_error` with this status and type; none: a
   *  `pusher:error` with code null, "Request failed: …". */
  subscription?: { status: number; type: string };
  /** On the HTTP API: this status with "Service unavailable: …"; none: a server error (500). */
  http?: number;
}

/** Pusher's answer to each hub error. */
export const PUSHER_HUB_ERRORS: HubErrorTable<PusherHubError> = {
  [HubErrorCode.tooManyChannels]: { subscription: { status: 400, type: 'LimitReached' } },
  [HubErrorCode.invalidChannel]: { subscription: { status: 400, type: 'InvalidChannel' } },
  // An outage (the engine down or not answering in time), never a refusal: retry later.
  [HubErrorCode.engineUnavailable]: { http: 503 },
  [HubErrorCode.alreadySubscribed]: {},
  [HubErrorCode.notSubscribed]: {},
  [HubErrorCode.unknownNamespace]: {},
  [HubErrorCode.duplicateConsumer]: {},
  [HubErrorCode.connectionClosed]: {},
  [HubErrorCode.unknownClient]: {},
  [HubErrorCode.invalidCall]: {},
  [HubErrorCode.invalidData]: {},
  [HubErrorCode.unwritable]: {},
  [HubErrorCode.nodeUnreachable]: {},
};

/** Channel names as Pusher accepts them: these characters only, at most 200 of them. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;#]{1,200}$/;
/** Event names: any printable text up to 200 characters. */
const MAX_EVENT_NAME = 200;

export type ChannelKind = 'public' | 'private' | 'presence' | 'encrypted';

export function channelKind(channel: string): ChannelKind {
  if (channel.startsWith('private-encrypted-')) return 'encrypted';
  if (channel.startsWith('private-')) return 'private';
  if (channel.startsWith('presence-')) return 'presence';
  return 'public';
}

/** `cache-`, `private-cache-`, `presence-cache-`, `private-encrypted-cache-`: the last event is kept. */
export function isCacheChannel(channel: string): boolean {
  return /^(private-encrypted-|private-|presence-)?cache-/.test(channel);
}

/** Why `channel` is not a name Pusher accepts, or undefined. */
export function channelNameProblem(channel: unknown): string | undefined {
  if (typeof channel !== 'string' || channel.length === 0) return 'channel must be a non-empty string';
  if (!CHANNEL_NAME.test(channel))
    return 'channel names are 1-200 characters of A-Z a-z 0-9 _ - = @ , . ; (and # for server channels)';
  // `#server-to-user-ID` is the server's own channel for a signed-in user.
  if (channel.startsWith('#') && !channel.startsWith('#server-to-user-'))
    return 'channel names starting with # are reserved';
  return undefined;
}

export function eventNameProblem(event: unknown): string | undefined {
  if (typeof event !== 'string' || event.length === 0) return 'event must be a non-empty string';
  if (event.length > MAX_EVENT_NAME) return `event names are at most ${MAX_EVENT_NAME} characters`;
  return undefined;
}

/** The `?protocol=` check: the close code and message when the version cannot be served. */
export function protocolProblem(value: string | null): { code: number; message: string } | undefined {
  if (value === null || value === '')
    return { code: PusherCode.noProtocol, message: 'No protocol version supplied' };
  if (!/^\d{1,3}$/.test(value))
    return { code: PusherCode.invalidVersion, message: 'Invalid version string format' };
  const v = Number(value);
  if (v < MIN_PROTOCOL || v > MAX_PROTOCOL)
    return {
      code: PusherCode.unsupportedProtocol,
      message: `Unsupported protocol version ${v}: this server speaks ${MIN_PROTOCOL} to ${MAX_PROTOCOL}`,
    };
  return undefined;
}

export type PusherCommand =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'subscribe'; channel: string; auth?: string; channelData?: string }
  | { kind: 'unsubscribe'; channel: string }
  | { kind: 'signin'; auth: string; userData: string }
  | { kind: 'client-event'; event: string; channel: string; data: unknown };

export type Decoded = { ok: true; command: PusherCommand } | { ok: false; message: string };

const bad = (message: string): Decoded => ({ ok: false, message });

/** The `data` member as an object: pusher-js sends an object, some clients a JSON text of one. */
function dataObject(data: unknown): Record<string, unknown> | undefined {
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Decode one text frame from a client. Never throws. */
export function decodeFrame(text: string, maxDepth: number): Decoded {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return bad('Invalid JSON: every message must be a JSON object with an "event"');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    return bad('Invalid message: expected a JSON object with an "event"');
  if (jsonDepthExceeds(msg, maxDepth)) return bad(`Invalid message: nested deeper than ${maxDepth} levels`);
  const { event, channel, data } = msg as Record<string, unknown>;
  if (typeof event !== 'string' || event.length === 0)
    return bad('Invalid message: "event" must be a string');
  switch (event) {
    case 'pusher:ping':
      return { ok: true, command: { kind: 'ping' } };
    case 'pusher:pong':
      return { ok: true, command: { kind: 'pong' } };
    case 'pusher:subscribe': {
      const d = dataObject(data);
      if (d === undefined) return bad('pusher:subscribe needs data: {"channel": ...}');
      const problem = channelNameProblem(d.channel);
      if (problem !== undefined) return bad(`pusher:subscribe: ${problem}`);
      if (d.auth !== undefined && typeof d.auth !== 'string')
        return bad('pusher:subscribe: auth must be a string');
      if (d.channel_data !== undefined && typeof d.channel_data !== 'string')
        return bad('pusher:subscribe: channel_data must be a string (JSON text)');
      return {
        ok: true,
        command: {
          kind: 'subscribe',
          channel: d.channel as string,
          auth: d.auth as string | undefined,
          channelData: d.channel_data as string | undefined,
        },
      };
    }
    case 'pusher:unsubscribe': {
      const d = dataObject(data);
      if (d === undefined || typeof d.channel !== 'string' || d.channel === '')
        return bad('pusher:unsubscribe needs data: {"channel": ...}');
      return { ok: true, command: { kind: 'unsubscribe', channel: d.channel } };
    }
    case 'pusher:signin': {
      const d = dataObject(data);
      if (d === undefined || typeof d.auth !== 'string' || typeof d.user_data !== 'string')
        return bad('pusher:signin needs data: {"auth": string, "user_data": string}');
      return { ok: true, command: { kind: 'signin', auth: d.auth, userData: d.user_data } };
    }
  }
  if (event.startsWith('client-')) {
    const problem = eventNameProblem(event);
    if (problem !== undefined) return bad(problem);
    if (typeof channel !== 'string' || channel === '') return bad('client events need a "channel"');
    return { ok: true, command: { kind: 'client-event', event, channel, data: data ?? null } };
  }
  return bad(`Unsupported event "${event.slice(0, MAX_EVENT_NAME)}"`);
}

// ---- what the server writes --------------------------------------------------------------

/** Pusher frames carry `data` as a JSON text (a string); clients parse it. */
export function frame(event: string, data: unknown, channel?: string): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return channel === undefined
    ? JSON.stringify({ event, data: text })
    : JSON.stringify({ event, channel, data: text });
}

export function connectionEstablished(socketId: string, activityTimeout: number): string {
  return frame('pusher:connection_established', { socket_id: socketId, activity_timeout: activityTimeout });
}

/**
 * `pusher:error`. Its `data` is an object, not a text: that is what Pusher sends and what clients
 * read (`code` may be null for errors without a code).
 */
export function errorFrame(code: number | null, message: string): string {
  return JSON.stringify({ event: 'pusher:error', data: { code, message } });
}

export function subscriptionError(channel: string, status: number, type: string, error: string): string {
  return JSON.stringify({ event: 'pusher:subscription_error', channel, data: { type, error, status } });
}
