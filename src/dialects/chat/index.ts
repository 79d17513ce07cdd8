import type { IncomingMessage } from 'node:http';
import { socketLimitsFor } from '../../transport/client-socket.js';
import { KeyedRate } from '../../transport/keyed-rate.js';
import { originRefusal } from '../../transport/origin.js';
import type { Dialect, UpgradeDecision, UpgradeRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import type { DialectModule, NoKeys } from '../module.js';
import { resolveUsername } from './codec.js';
import { chatSection } from './config.js';
import { chatApiRoutes } from './http-routes.js';
import { KozmaBot, type KozmaTiming } from './kozma.js';
import { chatPageRoutes } from './page-routes.js';
import { RoomDirectory } from './room-directory.js';
import { ChatSession, type ChatShared } from './session.js';

/** Test seams; the server passes none. */
export interface ChatDialectOptions {
  /** Timing and randomness of the Kozma bot (when chat.kozma is on). */
  kozma?: Partial<KozmaTiming>;
}

const isBlank = (v: string | null) => v === null || v.trim() === '';

/**
 * The `chat` dialect (docs/protocol/chat.md, after nane): `/ws?username=` sessions, the `/api/*` REST API,
 * the chat page at `/`, and the `--kozma` bot. Rooms are the channels of `chat.namespace`.
 */
export function chatDialect(ctx: DialectContext, options: ChatDialectOptions = {}): Dialect {
  const { config, hub, logger } = ctx;
  const chat = config.chat;
  const rooms = new RoomDirectory(hub, chat.namespace, chat.max_rooms);
  const shared: ChatShared = {
    hub,
    namespace: chat.namespace,
    limits: {
      maxMessageLength: chat.max_message_length,
      maxRoomTitleLength: chat.max_room_title_length,
      maxUsernameLength: chat.max_username_length,
      maxJsonDepth: config.limits.max_json_depth,
    },
    rooms,
    newRooms: new KeyedRate(chat.max_new_rooms_per_minute),
    socketLimits: socketLimitsFor(config.limits),
    logger,
  };
  // Learn existing rooms now (a cluster's engine may already hold some); misses are re-read anyway.
  rooms.refresh().catch((err) => logger.warn({ err }, 'chat: could not list rooms at start'));

  // A chat client is subscribed to every room by connecting, with no acknowledgement to wait for:
  // the node watches the namespace from the start, and an upgrade waits until that watch is in
  // place, so a client whose connection is open hears everything published from then on (on a
  // cluster, a node's first watch takes a Redis round trip). A failed watch is tried again by the
  // next upgrade.
  const track = (attempt: Promise<void>): Promise<void> => {
    const tracked: Promise<void> = attempt.catch((err: unknown) => {
      if (watching === tracked) watching = undefined;
      throw err;
    });
    return tracked;
  };
  let watching: Promise<void> | undefined = track(hub.pinNamespace(chat.namespace));
  const watchNamespace = (): Promise<void> => {
    watching ??= track(hub.watchPinned(chat.namespace));
    return watching;
  };
  watchNamespace().catch((err) => logger.warn({ err }, 'chat: could not watch the namespace at start'));

  let kozma: KozmaBot | undefined;
  if (chat.kozma) {
    kozma = new KozmaBot({
      ...options.kozma,
      post: async (room, text, sender) =>
        hub.publish(chat.namespace, (await rooms.resolve(room)) ?? room, { data: text, sender }),
      logger,
    });
    kozma.start();
    logger.info('chat: the Kozma Prutkov bot is on (room "kozma")');
  }

  const ws: UpgradeRoute<{ username: string }> = {
    path: '/ws',
    accepts: (url) => !isBlank(url.searchParams.get('username')) || !isBlank(url.searchParams.get('name')),
    authorize: async (req: IncomingMessage, url: URL): Promise<UpgradeDecision<{ username: string }>> => {
      const badOrigin = originRefusal(req, chat.allowed_origins);
      if (badOrigin !== undefined) return { ok: false, status: 403, body: { error: badOrigin } };
      const r = resolveUsername(
        url.searchParams.get('username'),
        url.searchParams.get('name'),
        chat.max_username_length,
      );
      if (!r.ok) {
        hub.errors.count('chat', r.code);
        return { ok: false, status: r.status, body: { error: r.error } };
      }
      try {
        await watchNamespace();
      } catch (err) {
        logger.warn({ err }, 'chat: refusing a connection, the namespace cannot be watched');
        return {
          ok: false,
          status: 503,
          body: { error: 'chat is unavailable: the engine cannot be reached' },
        };
      }
      return { ok: true, state: { username: r.username } };
    },
    onConnection: (socket, req, _url, state) => {
      new ChatSession(shared, socket, state.username, req.socket.remoteAddress);
    },
  };

  return {
    name: 'chat',
    upgrades: [ws],
    http: [
      ...chatApiRoutes(shared, {
        startedAt: ctx.startedAt,
        maxMessagesInRoom: chat.max_messages_in_room,
        roomsListed: chat.rooms_listed,
      }),
      ...chatPageRoutes(),
    ],
    close: async () => {
      await kozma?.stop();
      await hub.unpinNamespace(chat.namespace).catch((err) => logger.warn({ err }, 'chat: unwatch failed'));
    },
  };
}

export const chatModule: DialectModule<'chat', typeof chatSection, NoKeys> = {
  name: 'chat',
  configSchema: {
    toggle: 'The chat dialect: `/ws?username=`, `/api/*`, the page at `/` (anonymous: anyone can post)',
    section: chatSection,
    sample: {
      // Anonymous (anyone can post and create rooms): off unless wanted.
      toggle: 'chat: false',
      section: `# chat:                         # the nane dialect: /ws?username=, /api/*, the page at /
#   namespace: chat
#   kozma: false                # the Kozma Prutkov bot posting aphorisms to room "kozma"
#   max_messages_in_room: 1024
#   max_message_length: 10500
#   max_room_title_length: 50
#   max_username_length: 50
#   max_rooms: 1000             # one more evicts the least recently active room and its history
#   max_new_rooms_per_minute: 30  # per client address; past it the socket closes with 1008
#   rooms_listed: 100           # GET /api/rooms lists the most recently active rooms, at most this many
#   allowed_origins: [https://chat.example]  # browser origins allowed on chat sockets; unset: any`,
    },
  },
  routes: () => [
    { path: '/ws', scope: 'exact', owner: 'the chat WebSocket endpoint (/ws?username=)', shared: true },
    { path: '/api', scope: 'tree', owner: "chat's REST API" },
    { path: '/', scope: 'exact', owner: 'the chat page' },
    { path: '/assets', scope: 'tree', owner: "the served pages' assets", shared: true },
  ],
  create: (ctx) => chatDialect(ctx),
};
