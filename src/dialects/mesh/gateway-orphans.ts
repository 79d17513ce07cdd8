/**
 * Close items for the gateway clients of a node that died. Every node records the gateway
 * clients it holds in the engine's ClientLedger (again when a backend changes their context) and
 * releases them after their own close item; a node killed with SIGKILL, or cut off, releases
 * nothing. Every node sweeps: once the dead node's registry lease has expired, the ledger hands
 * each of its clients to exactly one surviving node, which pushes the `close` item the dead node
 * never could (with the context last recorded and `"reason": "node lost"`). Backends then learn
 * of every departure, as they would have from the node itself, within about the lease TTL plus
 * one sweep.
 */

import { nodeOfClientId } from '../../core/snowflake.js';
import type { DialectContext } from '../context.js';

/** How often a node looks for dead nodes' clients: a third of the Redis lease TTL. */
export const ORPHAN_SWEEP_MS = 5000;

export function sweepOrphanClients(ctx: DialectContext): { stop(): void } {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const orphans = await ctx.hub.claimOrphanClients();
      for (const o of orphans) {
        if (!ctx.hub.namespace(o.namespace)) continue; // a namespace no longer configured
        const data = { event: 'close', context: o.context, reason: 'node lost' };
        await ctx.hub
          .queuePush(o.namespace, o.topic, {
            node: nodeOfClientId(o.client) ?? 0,
            client: o.client,
            topic: o.topic,
            data,
          })
          .catch((err) =>
            ctx.logger.warn(
              { err: (err as Error).message, client: o.client },
              'gateway: close item of a lost node not queued',
            ),
          );
      }
      if (orphans.length > 0)
        ctx.logger.info(
          { clients: orphans.length },
          'gateway: close items pushed for the clients of a node that left',
        );
    } catch (err) {
      ctx.logger.debug({ err }, 'gateway: orphan sweep failed (retried)');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void sweep(), 0);
  const timer = setInterval(() => void sweep(), ORPHAN_SWEEP_MS);
  timer.unref();
  first.unref();
  return {
    stop: () => {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
