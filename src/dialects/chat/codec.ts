// The chat wire format (docs/protocol/chat.md, after nane), with no I/O: client frames in, typed actions
// out; publications rendered to exactly nane's message shape. Every length limit counts runes
// (Unicode code points), as the Go original did with []rune, never UTF-16 units or bytes.
import { HubErrorCode } from '../../core/errors.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH, tooDeepMessage } from '../../core/json-depth.js';
import type { Publication } from '../../core/types.js';
import type { HubErrorTable } from '../kit/hub-errors.js';

/**
 * Every error a chat client or HTTP caller can see. WebSocket problems close the connection with
 * code 1007 and a reason text; HTTP problems answer `{"error": "..."}`. Listed in docs/errors.md.
 */
export const ChatErrorCode = {
  /** Close 1007: the frame is not JSON (or a binary frame is not UTF-8). */
  invalidJson: 'invalid_json',
  /** Close 1007: the frame is JSON but not an object. */
  notAnObject: 'not_an_object',
  /** Close 1007: `room`, `text` or `id` is not a string, or `ping` not a boolean. */
  badField: 'bad_field',
  /** Close 1007: the frame is nested deeper than limits.max_json_depth (64 by default). */
  tooDeep: 'too_deep',
  /** Upgrade refused with 401: neither `username` nor `name` is given (or both are blank). */
  usernameRequired: 'username_required',
  /** Upgrade refused with 400: the username is longer than max_username_length runes. */
  usernameTooLong: 'username_too_long',
  /** HTTP 404 from /api/rooms/{name} and /api/rooms/{name}/history. */
  roomNotFound: 'room_not_found',
  /** HTTP 400: the room name in the path is not valid percent-encoding. */
  badRoomName: 'bad_room_name',
  /** Close 1008: the client's address made more than chat.max_new_rooms_per_minute new rooms. */
  tooManyRooms: 'too_many_rooms',
  /** HTTP 404 for a file under /assets/chat/ that does not exist. */
  assetNotFound: 'asset_not_found',
} as const;
export type ChatErrorCode = (typeof ChatErrorCode)[keyof typeof ChatErrorCode];

/** nane has no error frames: a hub error ends the connection with a close. */
export interface ChatClose {
  code: number;
  reason: string;
}

/** What a failed publish (the engine unreachable) closes with, and anything unexpected too. */
export const PUBLISH_FAILED: ChatClose = { code: 1011, reason: 'could not publish the message' };

/**
 * Chat's answer to each hub error a message can meet. The client's frame was already checked
 * (name, depth), so every code is a server-side failure: 1011, reconnect.
 */
export const CHAT_HUB_ERRORS: HubErrorTable<ChatClose> = {
  [HubErrorCode.engineUnavailable]: PUBLISH_FAILED,
  [HubErrorCode.nodeUnreachable]: PUBLISH_FAILED,
  [HubErrorCode.unknownNamespace]: PUBLISH_FAILED,
  [HubErrorCode.invalidData]: PUBLISH_FAILED,
  [HubErrorCode.invalidChannel]: PUBLISH_FAILED,
  [HubErrorCode.tooManyChannels]: PUBLISH_FAILED,
  [HubErrorCode.alreadySubscribed]: PUBLISH_FAILED,
  [HubErrorCode.notSubscribed]: PUBLISH_FAILED,
  [HubErrorCode.duplicateConsumer]: PUBLISH_FAILED,
  [HubErrorCode.connectionClosed]: PUBLISH_FAILED,
  [HubErrorCode.unknownClient]: PUBLISH_FAILED,
  [HubErrorCode.invalidCall]: PUBLISH_FAILED,
  [HubErrorCode.unwritable]: PUBLISH_FAILED,
};

/** The limits of docs/protocol/chat.md, in runes. */
export interface ChatLimits {
  maxMessageLength: number;
  maxRoomTitleLength: number;
  maxUsernameLength: number;
  /** limits.max_json_depth (not a rune limit): deeper frames close with 1007. Default 64. */
  maxJsonDepth?: number;
}

/** What one client frame asks for. */
export type ClientFrame =
  | { kind: 'ping' }
  | { kind: 'message'; room: string; text: string; id?: string }
  /** Empty room or text after trimming: nane drops the frame without a reply. */
  | { kind: 'ignored'; why: string }
  /** Close the connection with 1007 and `reason`. */
  | { kind: 'invalid'; code: ChatErrorCode; reason: string };

/** The number of runes (code points) in `s`. */
export function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `s` cut to at most `max` runes; a surrogate pair is never split. */
export function cutRunes(s: string, max: number): string {
  // A string has at least as many UTF-16 units as runes: short ones need no walk.
  if (s.length <= max) return s;
  let runes = 0;
  let i = 0;
  while (i < s.length && runes < max) {
    const code = s.codePointAt(i)!;
    i += code > 0xffff ? 2 : 1;
    runes++;
  }
  return s.slice(0, i);
}

/** Trim and check a username from `?username=` / `?name=`; `username` wins when not blank. */
export function resolveUsername(
  username: string | null,
  name: string | null,
  maxLength: number,
): { ok: true; username: string } | { ok: false; status: number; code: ChatErrorCode; error: string } {
  const chosen = (username ?? '').trim() || (name ?? '').trim();
  if (chosen === '') {
    // The listener normally answers this case itself (no route accepts a blank name).
    return { ok: false, status: 401, code: ChatErrorCode.usernameRequired, error: 'username required' };
  }
  if (chosen.length > maxLength && runeLength(chosen) > maxLength) {
    return {
      ok: false,
      status: 400,
      code: ChatErrorCode.usernameTooLong,
      error: `username is longer than ${maxLength} characters`,
    };
  }
  return { ok: true, username: chosen };
}

const invalid = (code: ChatErrorCode, reason: string): ClientFrame => ({ kind: 'invalid', code, reason });

/**
 * Decode one frame (text, or a binary frame's UTF-8 text). Rules, matching nane with the fix in docs/protocol/chat.md:
 * - `{"ping": true}` → ping (other keys are then ignored); `ping` must be a boolean or null.
 * - otherwise `room` and `text` are trimmed and cut to their limits; absent or null counts as
 *   empty, and an empty room or text drops the frame silently; `id` is kept when it is a string.
 * - unknown keys are ignored; anything else (not JSON, not an object, a field of the wrong type)
 *   is invalid, and the session closes with 1007 and the reason; so is a frame nested deeper
 *   than `limits.maxJsonDepth`, whatever key holds the deep value.
 */
export function parseClientFrame(raw: string, limits: ChatLimits): ClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return invalid(ChatErrorCode.invalidJson, 'invalid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(ChatErrorCode.notAnObject, 'expected a JSON object');
  }
  const maxDepth = limits.maxJsonDepth ?? MAX_JSON_DEPTH;
  if (jsonDepthExceeds(value, maxDepth))
    return invalid(ChatErrorCode.tooDeep, tooDeepMessage('message', maxDepth));
  const frame = value as Record<string, unknown>;
  const ping = frame.ping;
  if (ping !== undefined && ping !== null && typeof ping !== 'boolean') {
    return invalid(ChatErrorCode.badField, '"ping" must be a boolean');
  }
  if (ping === true) return { kind: 'ping' };
  for (const key of ['room', 'text', 'id'] as const) {
    const v = frame[key];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      return invalid(ChatErrorCode.badField, `"${key}" must be a string`);
    }
  }
  const text = cutRunes(((frame.text as string | null | undefined) ?? '').trim(), limits.maxMessageLength);
  if (text === '') return { kind: 'ignored', why: 'text required' };
  const room = cutRunes(((frame.room as string | null | undefined) ?? '').trim(), limits.maxRoomTitleLength);
  if (room === '') return { kind: 'ignored', why: 'room required' };
  const id = frame.id;
  return typeof id === 'string' ? { kind: 'message', room, text, id } : { kind: 'message', room, text };
}

/** The server's answer to a ping. */
export const PONG = '{"pong":true}';

/** A publication's `data` as chat text: strings as they are, bytes as base64, else JSON text. */
export function publicationText(p: Publication): string {
  const data = p.data;
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('base64');
  return JSON.stringify(data);
}

/**
 * docs/architecture.md: `{"id"?, "room", "created", "sender": {"username"}, "text"}`, keys in nane's order.
 * `id` only with `withId` (live frames) and only if the publisher gave one; `created` is RFC 3339
 * in UTC with milliseconds (the precision the engine keeps); a publication without a sender (a
 * backend's) is signed with the namespace name.
 */
export function renderMessage(p: Publication, namespace: string, withId: boolean): string {
  const id = withId && p.id !== undefined ? `"id":${JSON.stringify(p.id)},` : '';
  return (
    `{${id}"room":${JSON.stringify(p.channel)},"created":"${new Date(p.time).toISOString()}",` +
    `"sender":{"username":${JSON.stringify(p.sender ?? namespace)}},"text":${JSON.stringify(publicationText(p))}}`
  );
}
