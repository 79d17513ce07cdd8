import type { Cluster } from 'ioredis';

/** Pause between two tries while a slot's master changes (the client refreshes its map meanwhile). */
const RETRY_MS = 100;

/**
 * Refusals on Redis Cluster that mean "this slot's master is changing", not "never": the
 * connection to a dead master is closed, the client's slot map names no live node yet, the
 * cluster is electing a replica or moving the slot.
 */
const CHANGING =
  /Connection is closed|No sharded subscriber|No subscriber for the cluster|isn't ready|enableOfflineQueue|CLUSTERDOWN|TRYAGAIN|MOVED|Too many Cluster redirections|cannot be restarted/;

export function slotChanging(err: unknown): boolean {
  return CHANGING.test(err instanceof Error ? err.message : String(err));
}

/**
 * Run `attempt`, an idempotent command (a read, a subscribe: never a publish, which may have run
 * on a master that died before answering), again while it is refused because its slot's master
 * changes, for up to `waitMs` (engine.command_timeout_ms), each time after asking the client to
 * refresh its slot map: a node whose map still names a dead master follows the promoted replica
 * within one try instead of at its next periodic refresh. Rejects with the last error after that,
 * or at once for any other error, or when `wanted()` turns false.
 */
export async function whileSlotMoves<T>(
  cluster: Cluster,
  waitMs: number,
  attempt: () => Promise<T>,
  wanted: () => boolean = () => true,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!slotChanging(err) || !wanted() || Date.now() + RETRY_MS > deadline) throw err;
      if (cluster.status === 'ready') cluster.refreshSlotsCache();
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
