// Dialect `pusher`: the Pusher Channels protocol (version 7) and HTTP API. Every namespace with a
// `pusher` section is an app: clients connect to `/app/KEY`, backends call `/apps/ID/...`.
// Protocol reference: docs/protocol/pusher.md.

import type { DialectContext } from '../../app/context.js';
import { ChannelBound } from '../../core/channel-bound.js';
import type { Hub } from '../../core/hub.js';
import { countLimit } from '../../core/limit-counters.js';
import type { Departure } from '../../engines/presence.js';
import { socketLimitsFor } from '../../transport/client-socket.js';
import type { Dialect } from '../../transport/routes.js';
import { NewChannelRate } from '../kit/new-channel-rate.js';
import { decodePathPart, OCCUPANCY_PREFIX, PusherApps } from './apps.js';
import { CacheMissWebhooks } from './cache-miss.js';
import { pusherHttpRoutes } from './http-api.js';
import { announceDepartures } from './presence.js';
import { errorFrame, PusherCode, protocolProblem } from './protocol.js';
import { PusherSession, type PusherShared } from './session.js';
import { WebhookSender } from './webhooks.js';

export function pusherDialect(ctx: DialectContext): Dialect {
  const apps = new PusherApps(ctx.config);
  if (apps.size === 0) return { name: 'pusher', http: [], upgrades: [] };
  const { limits } = ctx.config;
  const shared: PusherShared = {
    hub: ctx.hub,
    socketLimits: socketLimitsFor(limits),
    rate: { perSecond: limits.max_messages_per_second, burst: limits.max_messages_burst },
    logger: ctx.logger,
    maxJsonDepth: limits.max_json_depth,
  };
  for (const app of apps.all) {
    const ns = ctx.config.namespaces[app.namespace];
    if (ns !== undefined)
      app.channels = new NewChannelRate(
        new ChannelBound(ctx.hub, app.namespace, ns.max_channels, 'max_channels'),
        ns.max_new_channels_per_minute,
      );
    if (app.config.webhooks.length > 0)
      app.webhooks = new WebhookSender(app.config, ctx.logger, (code) => ctx.hub.errorSink?.('pusher', code));
    if (app.webhooks?.wants('cache_miss'))
      app.cacheMisses = new CacheMissWebhooks(
        ctx.hub,
        app.namespace,
        app.webhooks,
        app.config.cache_miss_webhook_interval_ms,
        app.config.webhook_queue_size,
      );
  }
  const presence = ctx.hub.presence;
  if (presence) presence.onDeparted = (departures) => void onDeparted(ctx.hub, apps, departures);
  return {
    name: 'pusher',
    close: async () => {
      await Promise.all(apps.all.map((a) => a.webhooks?.close()));
    },
    http: pusherHttpRoutes({
      hub: ctx.hub,
      apps,
      maxBodyBytes: limits.max_http_body_bytes,
      maxJsonDepth: limits.max_json_depth,
    }),
    upgrades: [
      {
        path: '/app',
        prefix: true,
        // Every refusal happens after the handshake, as Pusher clients expect: a pusher:error
        // with the code, then a close with the same code (4001 unknown app, 4007 version, …).
        onConnection: (ws, req, url) => {
          const refuse = (code: number, message: string) => {
            ctx.hub.errorSink?.('pusher', String(code));
            ws.send(errorFrame(code, message));
            ws.close(code, message);
          };
          const key = decodePathPart(url.pathname.slice('/app/'.length)) ?? '';
          const slash = key.indexOf('/');
          if (slash >= 0 && apps.withKey(key.slice(0, slash)) !== undefined)
            return refuse(PusherCode.pathNotFound, `Path ${url.pathname} not found: connect to /app/KEY`);
          const app = slash >= 0 ? undefined : apps.withKey(key);
          if (app === undefined) return refuse(PusherCode.appNotFound, `App key ${key} does not exist`);
          const problem = protocolProblem(url.searchParams.get('protocol'));
          if (problem !== undefined) return refuse(problem.code, problem.message);
          if (app.connections >= app.config.max_connections) {
            countLimit('pusher.max_connections');
            return refuse(
              PusherCode.overQuota,
              `Application is over its connection quota (${app.config.max_connections} on this node)`,
            );
          }
          new PusherSession(ws, app, shared, req.socket.remoteAddress);
        },
      },
    ],
  };
}

/**
 * A dead node's presence members and channel occupancy, removed by this node's sweep: members
 * leave their channels (member_removed, once) and webhooks report what its connections would have.
 */
function onDeparted(hub: Hub, apps: PusherApps, departures: Departure[]): Promise<unknown> {
  const members: Departure[] = [];
  for (const d of departures) {
    if (d.namespace.startsWith(OCCUPANCY_PREFIX)) {
      apps
        .withNamespace(d.namespace.slice(OCCUPANCY_PREFIX.length))
        ?.webhooks?.add({ name: 'channel_vacated', channel: d.channel });
    } else members.push(d);
  }
  return announceDepartures(hub, members, (d) =>
    apps
      .withNamespace(d.namespace)
      ?.webhooks?.add({ name: 'member_removed', channel: d.channel, user_id: d.userId }),
  );
}
