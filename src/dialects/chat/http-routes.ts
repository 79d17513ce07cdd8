import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '../../core/hub.js';
import { sendJson } from '../../transport/http-util.js';
import type { HttpRoute } from '../../transport/routes.js';
import { ChatErrorCode } from './codec.js';
import { type ChatShared, storedMessage } from './session.js';

/** Extra context the REST API needs beyond what sessions share. */
export interface ChatApiOptions {
  /** Server start, ms since the epoch (for `uptime`). */
  startedAt: number;
  /** How many messages /history returns at most (chat.max_messages_in_room). */
  maxMessagesInRoom: number;
  /** How many rooms /api/rooms lists at most: the most recently active (chat.rooms_listed). */
  roomsListed: number;
}

/**
 * nane's REST API (docs/protocol/chat.md): `/api/settings`, `/api/rooms`, `/api/rooms/{name}` (room info, as the
 * original also served) and `/api/rooms/{name}/history`. Answers are `{"result": ...}` or
 * `{"error": "..."}`, always JSON. Messages never carry `id` here.
 *
 * nane registered these routes with no method filter (tada-team/nane main.go rootHandler), and
 * clients post to them: every method answers like GET. Pages of other origins read them, so every
 * answer allows any origin and an OPTIONS preflight gets 204 (docs/protocol/chat.md "CORS").
 *
 * Room names in paths: the pattern runs on the raw path, then the name is percent-decoded, so a
 * room "a/b" is reached as `/api/rooms/a%2Fb/history` (what encodeURIComponent gives) and as
 * `/api/rooms/a/b/history`. A path ending in `/history` always asks for a history: the info of a
 * room named "x/history" is reachable only with the slash encoded (`/api/rooms/x%2Fhistory`).
 */
export function chatApiRoutes(shared: ChatShared, options: ChatApiOptions): HttpRoute[] {
  const { hub, namespace, limits, rooms } = shared;

  /** The stored messages of a room, oldest first, or undefined when it has none. */
  const roomMessages = async (name: string): Promise<{ channel: string; messages: string[] } | undefined> => {
    const channel = await rooms.find(name);
    if (channel === undefined) return undefined;
    const { publications } = await hub.history(namespace, channel, { last: options.maxMessagesInRoom });
    if (publications.length === 0) return undefined;
    return { channel, messages: publications.map((p) => storedMessage(shared, p)) };
  };

  // Requests that arrive while a listing is being built share it: a burst of /api/rooms costs one
  // engine read and one body, not one each.
  let listing: Promise<string> | undefined;
  const roomList = (): Promise<string> => {
    listing ??= buildRoomList().finally(() => {
      listing = undefined;
    });
    return listing;
  };
  const buildRoomList = async (): Promise<string> => {
    const channels = await rooms.refresh();
    const listed = channels
      .filter((c) => c.last !== undefined)
      .sort((a, b) => b.last!.time - a.last!.time)
      .slice(0, options.roomsListed)
      .sort((a, b) => a.name.localeCompare(b.name));
    const parts = listed.map(
      (c) => `{"name":${JSON.stringify(c.name)},"last_message":${storedMessage(shared, c.last!)}}`,
    );
    return `{"result":[${parts.join(',')}]}`;
  };

  const notFound = (res: ServerResponse, name: string) =>
    fail(hub, res, 404, ChatErrorCode.roomNotFound, `room ${name} not found`);

  const routes: HttpRoute[] = [
    {
      method: 'GET',
      path: '/api/settings',
      handle: (_req, res) =>
        sendJson(
          res,
          200,
          {
            result: {
              max_message_length: limits.maxMessageLength,
              max_room_title_length: limits.maxRoomTitleLength,
              max_username_length: limits.maxUsernameLength,
              // A Go time.Duration in the original: nanoseconds.
              uptime: Math.round((Date.now() - options.startedAt) * 1e6),
            },
          },
          CORS,
        ),
    },
    {
      method: 'GET',
      path: '/api/rooms',
      handle: async (_req, res) => sendRawJson(res, 200, await roomList()),
    },
    {
      method: 'GET',
      path: /^\/api\/rooms\/(.+)\/history$/,
      handle: async (_req, res, _url, [raw]) => {
        const name = decodeRoom(hub, res, raw!);
        if (name === undefined) return;
        const room = await roomMessages(name);
        if (!room) return notFound(res, name);
        sendRawJson(res, 200, `{"result":[${room.messages.join(',')}]}`);
      },
    },
    {
      method: 'GET',
      path: /^\/api\/rooms\/(.+)$/,
      handle: async (_req, res, _url, [raw]) => {
        const name = decodeRoom(hub, res, raw!);
        if (name === undefined) return;
        const room = await roomMessages(name);
        if (!room) return notFound(res, name);
        const last = room.messages[room.messages.length - 1]!;
        sendRawJson(res, 200, `{"result":{"name":${JSON.stringify(room.channel)},"last_message":${last}}}`);
      },
    },
  ];
  return routes.map((route) => ({ ...route, method: '*', handle: withPreflight(route.handle) }));
}

/** Every /api answer may be read by a page of any origin: the data is public, no credentials. */
const CORS = { 'access-control-allow-origin': '*' } as const;

const PREFLIGHT = {
  ...CORS,
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type',
  'access-control-max-age': '86400',
} as const;

/**
 * A CORS preflight (OPTIONS with Access-Control-Request-Method) is answered 204 with what may be
 * sent; any other request, whatever its method, gets the route's GET answer.
 */
function withPreflight(handle: HttpRoute['handle']): HttpRoute['handle'] {
  return (req: IncomingMessage, res, url, params) => {
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.writeHead(204, { ...PREFLIGHT, 'content-length': 0 });
      res.end();
      return;
    }
    return handle(req, res, url, params);
  };
}

/** Percent-decode a room name from the path; answers 400 and returns undefined when malformed. */
function decodeRoom(hub: Hub, res: ServerResponse, raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    fail(hub, res, 400, ChatErrorCode.badRoomName, 'the room name in the path is not valid percent-encoding');
    return undefined;
  }
}

/** Every `{"error"}` answer goes through here, so each is counted once (errors_total). */
function fail(hub: Hub, res: ServerResponse, status: number, code: ChatErrorCode, error: string): void {
  hub.errors.count('chat', code);
  sendJson(res, status, { error }, CORS);
}

/** Like sendJson, for a body already assembled from cached renderings. */
function sendRawJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...CORS,
  });
  res.end(text);
}
