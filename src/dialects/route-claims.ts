// Conflicts between the paths the modules claim (module.ts `RouteClaim`): the reserved paths are
// simply the claims of every registered module, so there is no list to keep by hand.
import type { RouteClaim } from './module.js';

export interface RouteConflict {
  /** The claim the conflict is reported on: the one a config key placed (the later if both). */
  claim: RouteClaim;
  other: RouteClaim;
  message: string;
}

const under = (path: string, parent: string) => path.startsWith(parent === '/' ? '/' : `${parent}/`);

const takes = (c: RouteClaim, path: string) =>
  (c.scope !== 'below' && path === c.path) || (c.scope !== 'exact' && under(path, c.path));

/** Some path both claims would take. */
function overlap(a: RouteClaim, b: RouteClaim): boolean {
  if (a.scope === 'exact') return takes(b, a.path);
  if (b.scope === 'exact') return takes(a, b.path);
  // Two subtrees overlap when one's root (or, for `below`, a path just under it) is in the other.
  const root = (c: RouteClaim) => (c.scope === 'below' ? `${c.path}/x` : c.path);
  return takes(a, root(b)) || takes(b, root(a));
}

function describe(c: RouteClaim): string {
  if (c.scope === 'tree') return `${c.path} and the paths under it`;
  if (c.scope === 'below') return `the paths under ${c.path}/`;
  return c.path;
}

function messageFor(claim: RouteClaim, other: RouteClaim): string {
  if (other.key === undefined) {
    const what = describe(other);
    return `${what} ${other.scope === 'exact' ? 'is' : 'are'} reserved: ${other.owner}`;
  }
  return `${claim.path} is already ${other.owner}`;
}

/** Every claim that would take a path an earlier one takes, each reported once. */
export function routeConflicts(claims: readonly RouteClaim[]): RouteConflict[] {
  const conflicts: RouteConflict[] = [];
  const reported = new Set<RouteClaim>();
  for (let i = 0; i < claims.length; i++) {
    for (let j = 0; j < i; j++) {
      const later = claims[i]!;
      const earlier = claims[j]!;
      if ((later.shared && earlier.shared) || !overlap(later, earlier)) continue;
      // Reported on the claim a config key placed: the later one, or the earlier if only it was.
      const [claim, other] =
        later.key !== undefined || earlier.key === undefined ? [later, earlier] : [earlier, later];
      if (reported.has(claim)) continue;
      reported.add(claim);
      conflicts.push({ claim, other, message: messageFor(claim, other) });
    }
  }
  return conflicts;
}
