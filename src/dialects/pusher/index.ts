// Dialect `pusher`: the Pusher Channels protocol (version 7) and HTTP API. Every namespace with a
// `pusher` section is an app: clients connect to `/app/KEY`, backends call `/apps/ID/...`.
// Protocol reference: docs/protocol/pusher.md.

import { ChannelBound } from '../../core/channel-bound.js';
import type { Hub } from '../../core/hub.js';
import { countLimit } from '../../core/limit-counters.js';
import type { Departure } from '../../engines/presence.js';
import { socketLimitsFor } from '../../transport/client-socket.js';
import type { Dialect } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { NewChannelRate } from '../kit/new-channel-rate.js';
import type { DialectModule } from '../module.js';
import { decodePathPart, OCCUPANCY_PREFIX, PusherApps } from './apps.js';
import { CacheMissWebhooks } from './cache-miss.js';
import { checkPusherApps, hasPusherApp, pusherNamespaceKeys } from './config.js';
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
      app.webhooks = new WebhookSender(app.config, ctx.logger, (code) =>
        ctx.hub.errors.count('pusher', code),
      );
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
            ctx.hub.errors.count('pusher', String(code));
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

export const pusherModule: DialectModule<'pusher', undefined, typeof pusherNamespaceKeys> = {
  name: 'pusher',
  configSchema: {
    toggle: 'The pusher dialect: `/app/KEY` and `/apps/*` of namespaces with `pusher`',
    namespaceKeys: pusherNamespaceKeys,
    check: checkPusherApps,
    sample: {
      toggle: '# pusher: true                # /app/KEY and /apps/* of namespaces with pusher',
      namespace: `# pusher:                       # a Pusher Channels app: clients at /app/KEY, HTTP API at /apps/ID
#   app_id: "1"
#   key: \${SECRET}
#   secret: \${SECRET}
#   enable_client_messages: false  # accept client-* events on private and presence channels
#   activity_timeout: 120          # seconds of silence before clients ping
#   max_connections: 10000         # the app's connections per node; past it error 4004
#   max_client_events_per_second: 10
#   max_presence_members: 100      # users per presence channel
#   max_event_bytes: 10240         # data of one HTTP API event; larger gets 413
#   max_user_info_bytes: 1024      # one presence member's channel_data
#   webhooks:                      # signed POSTs of channel, member and client events
#     - url: https://backend.example/pusher/webhooks
#       event_types: [channel_occupied, channel_vacated, member_added, member_removed, client_event, cache_miss]
#   webhook_batch_ms: 250          # events this close together share one request
#   webhook_retry_ms: 300000       # retry a failing URL with back-off this long, then drop
#   webhook_queue_size: 10000      # events held per app while the URL fails
#   cache_miss_webhook_interval_ms: 60000  # one cache_miss webhook per empty cache- channel this often`,
    },
  },
  // Taken only when some namespace is an app (a config without one leaves /app/ and /apps free).
  routes: (config) =>
    hasPusherApp(config)
      ? [
          { path: '/app', scope: 'below', owner: "the Pusher apps' paths (/app/KEY)" },
          { path: '/apps', scope: 'tree', owner: "the Pusher apps' HTTP API (/apps/ID/…)" },
        ]
      : [],
  create: pusherDialect,
};
