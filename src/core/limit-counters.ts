// Process-wide counts of every bound that fired, by the limit's name (the config key it enforces,
// or a short name where one key has several effects). Shown as
// `switchboard_limit_hits_total{limit=...}` (docs/operations.md "Metrics"); they only grow.
// Kept in core so that transport, dialects and engines can all count without depending on ops.

const counts = new Map<string, number>();

export function countLimit(limit: string, n = 1): void {
  counts.set(limit, (counts.get(limit) ?? 0) + n);
}

/** Snapshot for the metrics scrape and tests. */
export function limitCounts(): ReadonlyMap<string, number> {
  return counts;
}

export function limitCount(limit: string): number {
  return counts.get(limit) ?? 0;
}
