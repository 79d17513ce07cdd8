import type { DialectContext } from '../dialects/context.js';
import type { DialectModule } from '../dialects/module.js';
import { DIALECT_MODULES } from '../dialects/registry.js';
import { routeConflicts } from '../dialects/route-claims.js';
import { opsApiModule } from '../ops/index.js';
import type { Dialect } from '../transport/routes.js';
import type { Config } from './config-schema.js';
import { opsModule } from './ops-routes.js';

/**
 * Every module the server serves: the operator endpoints (always on), then each registered
 * dialect (src/dialects/registry.ts), which `config.dialects` can switch off. The listener neither
 * knows nor cares which module a route belongs to.
 */
export const MODULES: readonly DialectModule[] = [opsModule, opsApiModule, ...DIALECT_MODULES];

/** Whether `config.dialects` serves this module (one with no switch always is). */
function enabled(module: DialectModule, config: Config): boolean {
  if (module.configSchema.toggle === undefined) return true;
  return (config.dialects as Record<string, boolean | undefined>)[module.name] !== false;
}

/**
 * Refuses a config under which two registered modules claim a same path, naming both. The schema
 * reports the same conflicts by key; this also stops a config built without it, and two modules
 * whose own fixed paths collide. Called before anything starts.
 */
export function checkRouteConflicts(config: Config): void {
  const conflicts = routeConflicts(MODULES.flatMap((m) => m.routes(config)));
  if (conflicts.length === 0) return;
  const lines = conflicts.map(
    ({ claim, message }) => `${claim.key ? claim.key.join('.') : claim.owner}: ${message}`,
  );
  throw new Error(`conflicting routes: ${lines.join('; ')}`);
}

/** The modules `config.dialects` switches on (the operator endpoints always), built from `ctx`. */
export function enabledDialects(ctx: DialectContext): Dialect[] {
  return MODULES.filter((m) => enabled(m, ctx.config)).map((m) => m.create(ctx));
}
