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
 * listener neither knows nor cares which dialect a route belongs to.
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
