// Every dialect's fuzz properties, in one list for the unit test and the `npm run fuzz` runner.
import { chatProperties } from './chat.js';
import { meshProperties } from './mesh.js';
import type { FuzzProperty } from './property.js';
import { pusherProperties } from './pusher.js';
import { rocketProperties } from './rocket.js';
import { siteProperties } from './site.js';

export const ALL_PROPERTIES: FuzzProperty[] = [
  ...siteProperties,
  ...rocketProperties,
  ...meshProperties,
  ...chatProperties,
  ...pusherProperties,
] as FuzzProperty[];

/** Split `perDialect` runs between a dialect's properties by weight (at least 1 run each). */
export function runsFor(p: FuzzProperty, perDialect: number): number {
  const same = ALL_PROPERTIES.filter((q) => q.dialect === p.dialect);
  const total = same.reduce((sum, q) => sum + (q.weight ?? 1), 0);
  return Math.max(1, Math.round((perDialect * (p.weight ?? 1)) / total));
}
