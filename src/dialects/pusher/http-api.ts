// The Pusher HTTP API (docs/protocol/pusher.md, "HTTP API"): signed requests under /apps/ID/.
// Errors are Pusher's: a status code and a plain-text explanation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '../../core/hub.js';
import { sumChannels } from '../../core/inspect.js';
import { jsonDepthExceeds } from '../../core/json-depth.js';
import { BodyTooLarge, readBody, sendJson } from '../../transport/http-util.js';
import type { HttpRoute } from '../../transport/routes.js';
import { wireErrorOf } from '../kit/hub-errors.js';
import { clientIdOfSocketId, decodePathPart, type PusherApp, type PusherApps } from './apps.js';
import { channelKind, channelNameProblem, eventNameProblem, PUSHER_HUB_ERRORS } from './protocol.js';
import { signedRequestProblem } from './signing.js';

/** Seconds an `auth_timestamp` may differ from the server's clock (Pusher allows 600). */
export const AUTH_WINDOW_SECONDS = 600;
/** Channels one event may go to, and events one batch may hold: Pusher's limits. */
export const MAX_EVENT_CHANNELS = 100;
export const MAX_BATCH_EVENTS = 10;

export interface HttpApiOptions {
  hub: Hub;
  apps: PusherApps;
  maxBodyBytes: number;
  maxJsonDepth: number;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

interface EventSpec {
  name: string;
  data: string;
  channels: string[];
  socketId?: string;
  info?: string;
}

/** One event of `/events` (several channels) or of a batch (one `channel`), checked. */
function readEvent(value: unknown, maxEventBytes: number, batch: boolean): EventSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError(400, 'Expected a JSON object');
  const v = value as Record<string, unknown>;
  const nameProblem = eventNameProblem(v.name);
  if (nameProblem !== undefined) throw new ApiError(400, `name: ${nameProblem}`);
  if (typeof v.data !== 'string') throw new ApiError(400, 'data must be a string (JSON-encode objects)');
  if (Buffer.byteLength(v.data) > maxEventBytes)
    throw new ApiError(413, `Event data is larger than ${maxEventBytes} bytes`);
  let channels: unknown[];
  if (batch || v.channels === undefined) {
    if (v.channel === undefined) throw new ApiError(400, 'Missing channel or channels');
    channels = [v.channel];
  } else {
    if (!Array.isArray(v.channels)) throw new ApiError(400, 'channels must be a list of channel names');
    channels = v.channels;
  }
  if (channels.length === 0) throw new ApiError(400, 'channels must not be empty');
  if (channels.length > MAX_EVENT_CHANNELS)
    throw new ApiError(400, `An event may go to at most ${MAX_EVENT_CHANNELS} channels`);
  for (const c of channels) {
    const problem = channelNameProblem(c);
    if (
      problem !== undefined ||
      ((c as string).startsWith('#server-to-user-') === false && (c as string).startsWith('#'))
    )
      throw new ApiError(400, `Invalid channel ${JSON.stringify(c)}: ${problem ?? 'reserved name'}`);
  }
  if (
    v.socket_id !== undefined &&
    (typeof v.socket_id !== 'string' || clientIdOfSocketId(v.socket_id) === undefined)
  )
    throw new ApiError(400, 'socket_id must be a socket id like "123.456"');
  if (v.info !== undefined && typeof v.info !== 'string') throw new ApiError(400, 'info must be a string');
  return {
    name: v.name as string,
    data: v.data,
    channels: channels as string[],
    socketId: v.socket_id as string | undefined,
    info: v.info as string | undefined,
  };
}

/** `info=a,b` as a set, refusing attributes this API does not know or cannot give. */
function infoAttributes(info: string | null | undefined, channel?: string): Set<string> {
  const out = new Set<string>();
  if (!info) return out;
  for (const a of info.split(',')) {
    if (a === '') continue;
    if (a !== 'user_count' && a !== 'subscription_count')
      throw new ApiError(400, `Unknown info attribute "${a}": use user_count, subscription_count`);
    if (a === 'user_count' && channel !== undefined && channelKind(channel) !== 'presence')
      throw new ApiError(400, 'user_count is only available for presence- channels');
    out.add(a);
  }
  return out;
}

export function pusherHttpRoutes(o: HttpApiOptions): HttpRoute[] {
  const { hub, apps } = o;

  /** Authenticate, then run `handle` with the parsed body; every ApiError becomes Pusher's answer. */
  const signed =
    (handle: (app: PusherApp, url: URL, body: unknown, params: string[]) => Promise<unknown>) =>
    async (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => {
      try {
        const decoded = params.map(decodePathPart);
        if (decoded.some((p) => p === undefined)) throw new ApiError(400, 'Malformed escape in the path');
        const app = apps.withId(decoded[0]!);
        if (app === undefined) throw new ApiError(404, `Unknown app ${params[0]}`);
        let raw: Buffer;
        try {
          raw = await readBody(req, o.maxBodyBytes);
        } catch (err) {
          if (err instanceof BodyTooLarge) throw new ApiError(413, err.message);
          throw new ApiError(400, 'Could not read the request body');
        }
        const problem = signedRequestProblem({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          body: raw,
          key: app.config.key,
          secret: app.config.secret,
          windowSeconds: AUTH_WINDOW_SECONDS,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
        if (problem !== undefined) throw new ApiError(401, problem);
        let body: unknown;
        if (raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new ApiError(400, 'The request body is not valid JSON');
          }
          if (jsonDepthExceeds(body, o.maxJsonDepth))
            throw new ApiError(400, 'The request body is nested too deeply');
        }
        const answer = await handle(app, url, body, decoded.slice(1) as string[]);
        sendJson(res, 200, answer);
      } catch (err) {
        const status = wireErrorOf(PUSHER_HUB_ERRORS, err)?.http;
        if (status !== undefined) {
          hub.errors.count('pusher', `http_${status}`);
          sendText(res, status, `Service unavailable: ${(err as Error).message}`);
          return;
        }
        if (!(err instanceof ApiError)) throw err;
        hub.errors.count('pusher', `http_${err.status}`);
        sendText(res, err.status, err.message);
      }
    };

  const subscriptionCounts = async (app: PusherApp): Promise<Map<string, number>> => {
    const view = await hub.inspectCluster('channels', app.namespace);
    return sumChannels(view.answers.map((a) => a.result)).channels;
  };

  const userCounts = async (app: PusherApp): Promise<Map<string, number>> =>
    hub.presence ? hub.presence.channels(app.namespace) : new Map();

  /** The `info` answer of triggered channels (`{channels: {name: {...}}}`). */
  const channelInfo = async (app: PusherApp, channels: string[], attrs: Set<string>) => {
    const subs = attrs.has('subscription_count') ? await subscriptionCounts(app) : undefined;
    const users = attrs.has('user_count') ? await userCounts(app) : undefined;
    const out: Record<string, Record<string, number>> = {};
    for (const c of channels) {
      const entry: Record<string, number> = {};
      if (subs) entry.subscription_count = subs.get(c) ?? 0;
      if (users && channelKind(c) === 'presence') entry.user_count = users.get(c) ?? 0;
      out[c] = entry;
    }
    return out;
  };

  const trigger = async (app: PusherApp, e: EventSpec): Promise<void> => {
    const except = e.socketId === undefined ? undefined : clientIdOfSocketId(e.socketId);
    await Promise.all(
      e.channels.map((channel) =>
        hub.publish(app.namespace, channel, { event: e.name, data: e.data, except }),
      ),
    );
  };

  const maxEventBytes = (app: PusherApp) => app.config.max_event_bytes;

  return [
    {
      method: 'POST',
      path: /^\/apps\/([^/]+)\/events$/,
      handle: signed(async (app, _url, body) => {
        const e = readEvent(body, maxEventBytes(app), false);
        const attrs = infoAttributes(e.info);
        await trigger(app, e);
        return attrs.size > 0 ? { channels: await channelInfo(app, e.channels, attrs) } : {};
      }),
    },
    {
      method: 'POST',
      path: /^\/apps\/([^/]+)\/batch_events$/,
      handle: signed(async (app, _url, body) => {
        const batch = (body as { batch?: unknown } | undefined)?.batch;
        if (!Array.isArray(batch)) throw new ApiError(400, 'Expected {"batch": [events]}');
        if (batch.length > MAX_BATCH_EVENTS)
          throw new ApiError(400, `A batch holds at most ${MAX_BATCH_EVENTS} events`);
        const events = batch.map((b) => readEvent(b, maxEventBytes(app), true));
        const attrs = events.map((e) => infoAttributes(e.info));
        // All started at once, in batch order: the engine keeps that order per channel, and the
        // Redis engine sends the batch's publications to Redis together.
        await Promise.all(events.map((e) => trigger(app, e)));
        if (attrs.every((a) => a.size === 0)) return {};
        const answers = [];
        for (let i = 0; i < events.length; i++) {
          const info = await channelInfo(app, events[i]!.channels, attrs[i]!);
          answers.push(info[events[i]!.channels[0]!] ?? {});
        }
        return { batch: answers };
      }),
    },
    {
      method: 'GET',
      path: /^\/apps\/([^/]+)\/channels$/,
      handle: signed(async (app, url) => {
        const prefix = url.searchParams.get('filter_by_prefix') ?? '';
        const attrs = infoAttributes(url.searchParams.get('info'));
        if (attrs.has('user_count') && !prefix.startsWith('presence-'))
          throw new ApiError(400, 'user_count needs filter_by_prefix=presence-');
        const subs = await subscriptionCounts(app);
        const users = attrs.has('user_count') ? await userCounts(app) : undefined;
        const channels: Record<string, Record<string, number>> = {};
        for (const [name, count] of subs) {
          if (count === 0 || !name.startsWith(prefix)) continue;
          const entry: Record<string, number> = {};
          if (attrs.has('subscription_count')) entry.subscription_count = count;
          if (users) entry.user_count = users.get(name) ?? 0;
          channels[name] = entry;
        }
        return { channels };
      }),
    },
    {
      method: 'GET',
      path: /^\/apps\/([^/]+)\/channels\/([^/]+)$/,
      handle: signed(async (app, url, _body, [channel]) => {
        const problem = channelNameProblem(channel);
        if (problem !== undefined) throw new ApiError(400, problem);
        const attrs = infoAttributes(url.searchParams.get('info'), channel);
        const count = (await subscriptionCounts(app)).get(channel!) ?? 0;
        const out: Record<string, unknown> = { occupied: count > 0 };
        if (attrs.has('subscription_count')) out.subscription_count = count;
        if (attrs.has('user_count')) out.user_count = (await userCounts(app)).get(channel!) ?? 0;
        return out;
      }),
    },
    {
      method: 'GET',
      path: /^\/apps\/([^/]+)\/channels\/([^/]+)\/users$/,
      handle: signed(async (app, _url, _body, [channel]) => {
        if (channelKind(channel!) !== 'presence')
          throw new ApiError(400, 'Users are only listed for presence- channels');
        const members = hub.presence ? await hub.presence.members(app.namespace, channel!) : [];
        return { users: members.map((m) => ({ id: m.userId })) };
      }),
    },
    {
      method: 'POST',
      path: /^\/apps\/([^/]+)\/users\/([^/]+)\/terminate_connections$/,
      handle: signed(async (app, _url, _body, [userId]) => {
        const view = await hub.inspectCluster('connections', app.namespace);
        const targets = view.answers.flatMap((a) =>
          a.result.filter((c) => c.dialect === 'pusher' && c.user === userId).map((c) => c.id),
        );
        await Promise.all(
          // A connection that left meanwhile is not an error of the request.
          targets.map((id) =>
            hub
              .disconnect(id, 4009, 'Connection terminated by the app', app.namespace)
              .catch(() => undefined),
          ),
        );
        return {};
      }),
    },
  ];
}
