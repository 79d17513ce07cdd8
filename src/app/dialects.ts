import { chatDialect } from '../dialects/chat/index.js';
import { meshDialect } from '../dialects/mesh/index.js';
import { pusherDialect } from '../dialects/pusher/index.js';
import { rocketDialect } from '../dialects/rocket/index.js';
import { siteDialect } from '../dialects/site/index.js';
import { opsApiDialect } from '../ops/index.js';
import type { Dialect } from '../transport/routes.js';
import type { DialectContext } from './context.js';
import { opsDialect } from './ops-routes.js';

/**
 * Every wire protocol the server speaks. Each entry turns the shared context into routes; the
 * listener neither knows nor cares which dialect a route belongs to. The ops endpoints are always
 * on; each client dialect can be switched off under `dialects:` in the config.
 */
export const DIALECTS: ((ctx: DialectContext) => Dialect)[] = [
  opsDialect,
  opsApiDialect,
  siteDialect,
  meshDialect,
  rocketDialect,
  chatDialect,
  pusherDialect,
];

/** The dialects `config.dialects` switches on, built from `ctx` (ops first, always). */
export function enabledDialects(ctx: DialectContext): Dialect[] {
  const on = ctx.config.dialects;
  const wanted: [boolean, (ctx: DialectContext) => Dialect][] = [
    [true, opsDialect],
    [true, opsApiDialect],
    [on.site, siteDialect],
    [on.mesh, meshDialect],
    [on.rocket, rocketDialect],
    [on.chat, chatDialect],
    [on.pusher, pusherDialect],
  ];
  return wanted.filter(([enabled]) => enabled).map(([, make]) => make(ctx));
}
