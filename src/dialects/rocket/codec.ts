// The rocket wire format (docs/protocol/rocket.md), with no I/O: a text frame and a view of the
// session's rights in, a typed command or an error out; replies and publications encoded to the
// original protocol's shapes. Every check that needs no server state lives here, in the original's order:
// rights before the payload (docs/protocol/rocket.md "Check order"); the session adds only the state-dependent ones
// (USER_NOT_FOUND, INVALID_CREDENTIALS, CHANNEL_NOT_FOUND, ASSIGNATION_FAILED).
import { jsonDepthExceeds, MAX_JSON_DEPTH, tooDeepMessage } from '../../core/json-depth.js';
import type { JsonValue, Publication } from '../../core/types.js';
import { type RocketError, RocketErrorId, rocketError } from './errors.js';
import { isValidUserName, Permission } from './permissions.js';

export const RocketEvent = {
  authenticate: 'authenticate',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  broadcast: 'broadcast',
  trigger: 'trigger',
  logout: 'logout',
  disconnect: 'disconnect',
} as const;
export type RocketEvent = (typeof RocketEvent)[keyof typeof RocketEvent];

export type RocketCommand =
  | { kind: 'authenticate'; user: string; secret: string }
  | { kind: 'subscribe'; channel: string }
  | { kind: 'unsubscribe'; channel: string }
  | { kind: 'broadcast'; event: string; channel: string; data: JsonValue }
  | { kind: 'trigger'; event: string; data: JsonValue }
  | { kind: 'logout' }
  | { kind: 'disconnect' };

export type DecodeResult = { ok: true; command: RocketCommand } | { ok: false; error: RocketError };

/** What the codec needs to know about the session to put ACCESS_DENIED in its place. */
export interface Access {
  readonly authenticated: boolean;
  can(permission: Permission): boolean;
}

/**
 * Channel and event names: 1 to 255 characters, none of them a control character or a lone
 * surrogate. Anything else a client could type (spaces, Unicode, `/`, `:`) is allowed, so that
 * rocket clients can reach every channel another dialect can name (chat rooms are Unicode titles).
 */
export const NAME_PATTERN = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

export const isValidName = (v: unknown): v is string => typeof v === 'string' && NAME_PATTERN.test(v);

type JsonObject = { [key: string]: JsonValue };
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const fail = (err: RocketErrorId, info?: string): DecodeResult => ({
  ok: false,
  error: rocketError(err, info),
});
const ok = (command: RocketCommand): DecodeResult => ({ ok: true, command });

const EVENTS = new Set<string>(Object.values(RocketEvent));
const NAME_RULE = '1-255 characters, no control characters';

/**
 * Decode one frame's text. Never throws. A message nested deeper than `maxDepth`
 * (limits.max_json_depth) is INVALID_PAYLOAD before any other check.
 */
export function decodeFrame(text: string, access: Access, maxDepth: number = MAX_JSON_DEPTH): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(RocketErrorId.invalidPayload, 'message is not valid JSON');
  }
  if (jsonDepthExceeds(parsed, maxDepth)) {
    return fail(RocketErrorId.invalidPayload, tooDeepMessage('message', maxDepth));
  }
  if (!isObject(parsed)) {
    return fail(
      RocketErrorId.invalidPayload,
      'message must be a JSON object with exactly one key, the event name',
    );
  }
  const keys = Object.keys(parsed);
  if (keys.length !== 1) {
    return fail(
      RocketErrorId.invalidPayload,
      `message must have exactly one key, the event name (it has ${keys.length})`,
    );
  }
  const name = keys[0]!;
  const payload = parsed[name] as JsonValue;
  if (!EVENTS.has(name)) return { ok: false, error: { err: RocketErrorId.undefinedEvent, event: name } };
  switch (name as RocketEvent) {
    case 'authenticate':
      return decodeAuthenticate(payload);
    case 'subscribe':
    case 'unsubscribe':
      return decodeChannelEvent(name as 'subscribe' | 'unsubscribe', payload, access);
    case 'broadcast':
      return decodeBroadcast(payload, access);
    case 'trigger':
      return decodeTrigger(payload, access);
    // The original never reads the payload of these two (webrocket_websocket_api.go doLogout,
    // doDisconnect): `{"logout": true}` is the documented form, anything else does the same.
    case 'logout':
      if (!access.authenticated) return fail(RocketErrorId.accessDenied, 'not authenticated');
      return ok({ kind: 'logout' });
    case 'disconnect':
      return ok({ kind: 'disconnect' });
  }
}

function decodeAuthenticate(payload: JsonValue): DecodeResult {
  if (!isObject(payload)) {
    return fail(RocketErrorId.invalidPayload, 'authenticate takes an object {"user", "secret"?}');
  }
  if (!isValidUserName(payload.user)) {
    return fail(RocketErrorId.invalidUserName, 'user must be 1-64 characters of A-Z a-z 0-9 _ . @ -');
  }
  // A secret that is not a string (missing, null, an object) is read as "", as the original does:
  // the wrong secret for a user that has one, and accepted by a user whose secret is empty.
  const secret = typeof payload.secret === 'string' ? payload.secret : '';
  return ok({ kind: 'authenticate', user: payload.user, secret });
}

function denied(access: Access, permission: Permission, what: string): DecodeResult | undefined {
  if (access.can(permission)) return undefined;
  return fail(
    RocketErrorId.accessDenied,
    access.authenticated
      ? `${what} needs the ${permission} permission`
      : `${what} needs an authenticated session with the ${permission} permission`,
  );
}

function decodeChannelEvent(
  kind: 'subscribe' | 'unsubscribe',
  payload: JsonValue,
  access: Access,
): DecodeResult {
  const refusal = denied(access, Permission.read, kind);
  if (refusal) return refusal;
  if (!isObject(payload)) return fail(RocketErrorId.invalidPayload, `${kind} takes an object {"channel"}`);
  const channel = payload.channel;
  if (!isValidName(channel)) return fail(RocketErrorId.invalidChannelName, `channel must be ${NAME_RULE}`);
  return ok({ kind, channel });
}

function decodeBroadcast(payload: JsonValue, access: Access): DecodeResult {
  const refusal = denied(access, Permission.write, 'broadcast');
  if (refusal) return refusal;
  if (!isObject(payload)) {
    return fail(RocketErrorId.invalidPayload, 'broadcast takes an object {"event", "channel", "data"?}');
  }
  const { event, channel } = payload;
  if (!isValidName(event)) return fail(RocketErrorId.invalidEventName, `event must be ${NAME_RULE}`);
  if (!isValidName(channel)) return fail(RocketErrorId.invalidChannelName, `channel must be ${NAME_RULE}`);
  return ok({ kind: 'broadcast', event, channel, data: payload.data ?? null });
}

function decodeTrigger(payload: JsonValue, access: Access): DecodeResult {
  const refusal = denied(access, Permission.write, 'trigger');
  if (refusal) return refusal;
  if (!isObject(payload))
    return fail(RocketErrorId.invalidPayload, 'trigger takes an object {"event", "data"?}');
  const event = payload.event;
  if (!isValidName(event)) return fail(RocketErrorId.invalidEventName, `event must be ${NAME_RULE}`);
  return ok({ kind: 'trigger', event, data: payload.data ?? null });
}

// ---- encoding --------------------------------------------------------------------------------

export type SuccessName =
  | 'authenticated'
  | 'subscribed'
  | 'unsubscribed'
  | 'broadcasted'
  | 'triggered'
  | 'loggedOut';

/** A success reply: `{"authenticated": "joe"}`, `{"loggedOut": true}`, ... */
export function encodeReply(name: SuccessName, value: string | true): string {
  return JSON.stringify({ [name]: value });
}

/**
 * How a rocket subscriber sees a publication of any dialect (docs/architecture.md): the broadcast payload
 * itself. Bytes (a binary mesh publication) travel as a base64 string.
 */
export function renderPublication(p: Publication): Buffer {
  const data = Buffer.isBuffer(p.data) ? p.data.toString('base64') : p.data;
  return Buffer.from(JSON.stringify({ event: p.event ?? 'message', channel: p.channel, data }), 'utf8');
}
