// Dialect `rocket` (docs/protocol/rocket.md, after WebRocket): every namespace with a `rocket` section is a
// vhost, a WebSocket endpoint at its `rocket.path`. Authentication happens in-band
// (`{"authenticate": ...}`), so the upgrade is refused only for an Origin outside the vhost's
// `allowed_origins` (403). Protocol reference: docs/protocol/rocket.md.

import { stringAt } from '../../app/config-fields.js';
import { ChannelBound } from '../../core/channel-bound.js';
import { socketLimitsFor } from '../../transport/client-socket.js';
import { originRefusal } from '../../transport/origin.js';
import type { Dialect, UpgradeRoute } from '../../transport/routes.js';
import type { DialectContext } from '../context.js';
import { NewChannelRate } from '../kit/new-channel-rate.js';
import type { RequestRate } from '../kit/serial-inbox.js';
import type { DialectModule, RouteClaim } from '../module.js';
import { rocketNamespaceKeys } from './config.js';
import { KnownChannels } from './known-channels.js';
import { RocketSession } from './session.js';

export { canManage } from './permissions.js';

export function rocketDialect(ctx: DialectContext): Dialect {
  const upgrades: UpgradeRoute<undefined>[] = [];
  // Shared by every session (the config does not change while the server runs).
  const rate: RequestRate = {
    perSecond: ctx.config.limits.max_messages_per_second,
    burst: ctx.config.limits.max_messages_burst,
  };
  for (const [namespace, ns] of Object.entries(ctx.config.namespaces)) {
    const rocket = ns.rocket;
    if (rocket === undefined) continue;
    const known = new KnownChannels();
    const newChannels = new NewChannelRate(
      new ChannelBound(ctx.hub, namespace, ns.max_channels, 'max_channels'),
      ns.max_new_channels_per_minute,
    );
    upgrades.push({
      path: rocket.path,
      authorize: (req) => {
        const badOrigin = originRefusal(req, ns.allowed_origins);
        return badOrigin === undefined
          ? { ok: true, state: undefined }
          : { ok: false, status: 403, body: { error: badOrigin } };
      },
      onConnection: (ws, req) => {
        new RocketSession(ws, {
          hub: ctx.hub,
          namespace,
          rocket,
          known,
          newChannels,
          socketLimits: socketLimitsFor(ctx.config.limits),
          rate,
          remoteAddress: req.socket.remoteAddress,
          logger: ctx.logger,
          maxJsonDepth: ctx.config.limits.max_json_depth,
        });
      },
    });
  }
  return { name: 'rocket', http: [], upgrades };
}

export const rocketModule: DialectModule<'rocket', undefined, typeof rocketNamespaceKeys> = {
  name: 'rocket',
  configSchema: {
    toggle: "The rocket dialect: every namespace's vhost path",
    namespaceKeys: rocketNamespaceKeys,
    sample: {
      toggle: "# rocket: true                # the namespaces' rocket vhost paths",
      namespace: `rocket:                         # a WebRocket vhost
  path: /main
  # trigger_topic: trigger
  users:
    reader:
      secret: \${SECRET}
      permissions: [READ]
    backend:
      secret: \${SECRET}
      permissions: [READ, WRITE, MANAGE]`,
    },
  },
  routes: (config) => {
    const claims: RouteClaim[] = [];
    const namespaces = (config as { namespaces?: unknown } | undefined)?.namespaces;
    if (typeof namespaces !== 'object' || namespaces === null) return claims;
    for (const [name, ns] of Object.entries(namespaces)) {
      const path = stringAt(ns, 'rocket', 'path');
      if (path === undefined) continue;
      claims.push({
        path,
        scope: 'exact',
        owner: `the path of namespace ${name}`,
        key: ['namespaces', name, 'rocket', 'path'],
      });
    }
    return claims;
  },
  create: rocketDialect,
};
