/**
 * The Redis engine's Lua scripts. Each lives in its own file under `lua/`, opening with named
 * locals for its KEYS and ARGV, and is read once when this module loads (the build copies the
 * files next to the compiled code: scripts/copy-assets.mjs). ioredis runs them with EVALSHA and
 * falls back to EVAL after a Redis restart (NOSCRIPT).
 *
 * Times come from Redis (`TIME`, the `now-ms.lua` prelude), never from a node's clock: every node
 * of a cluster then agrees on publication times, lease expiries and consumer expiries even when
 * their clocks drift.
 *
 * Some scripts build key names from a prefix passed in ARGV (queue eviction, channel listing).
 * That is fine on one Redis (what the engine targets); a Redis Cluster would need hash tags.
 * Numbers are written with string.format('%d') because Lua's default number formatting switches
 * to exponent notation past 14 digits.
 *
 * Data-loss guard (publish.lua): every node learns the cluster's `epoch` token at start. If Redis
 * lost its data (restart without persistence) the token is gone, or replaced by a node that
 * started afterwards; the first publish that notices writes `ordbase` (µs since the epoch, like
 * the memory engine's first ords) and every counter created from then on starts above it, so ords
 * never go back to 1 under subscribers and clients that hold the old, higher ords. `ordbase` is a
 * floor for every counter: one still at or below it (it survived a failover that lost its newest
 * ords, see master-check.lua) jumps above it too, so an ord the lost data handed out is never
 * handed out again.
 */
import { readFileSync } from 'node:fs';

function read(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

const NOW_MS = read('now-ms');
/** A script that calls `now_ms()` gets the prelude in front of it. */
const timed = (name: string) => `${NOW_MS}\n${read(name)}`;

export const PUBLISH = timed('publish');
export const PUBLISH_BATCH = timed('publish-batch');
export const HISTORY = read('history');
export const MASTER_CHECK = timed('master-check');
export const CHANNELS = timed('channels');
export const QUEUE_PUSH = timed('queue-push');
export const QUEUE_UNPOP = read('queue-unpop');
export const QUEUE_POP = timed('queue-pop');
export const QUEUE_STATS = timed('queue-stats');
export const CONSUMERS_REGISTER = timed('consumers-register');
export const CONSUMERS_LIVE = timed('consumers-live');
export const CLIENTS_CLAIM = read('clients-claim');
export const LEASE_RENEW = read('lease-renew');
export const LEASE_RELEASE = read('lease-release');
export const LEASE_ACQUIRE = read('lease-acquire');
export const PRESENCE_JOIN = read('presence-join');
export const PRESENCE_LEAVE = read('presence-leave');
export const PRESENCE_EVICT = read('presence-evict');
