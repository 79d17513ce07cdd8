/**
 * The Lua scripts of the Redis engine, as strings so they ship inside the compiled package.
 * ioredis runs them with EVALSHA and falls back to EVAL after a Redis restart (NOSCRIPT).
 *
 * Times come from Redis (`TIME`), never from a node's clock: every node of a cluster then agrees
 * on publication times, lease expiries and consumer expiries even when their clocks drift.
 *
 * Some scripts build key names from a prefix passed in ARGV (queue eviction, channel listing).
 * That is fine on one Redis (what the engine targets); a Redis Cluster would need hash tags.
 * Numbers are written with string.format('%d') because Lua's default number formatting switches
 * to exponent notation past 14 digits.
 */

const NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * One publication, atomically: next ord, append to the bounded history, index the channel in its
 * namespace, refresh TTLs, and hand it to every watching node (channel topic + namespace topic).
 *
 * Data-loss guard: every node learns the cluster's `epoch` token at start. If Redis lost its data
 * (restart without persistence) the token is gone, or replaced by a node that started afterwards;
 * the first publish that notices writes `ordbase` (µs since the epoch, like the memory engine's
 * first ords) and every counter created from then on starts above it, so ords never go back to 1
 * under subscribers and clients that hold the old, higher ords. `ordbase` is a floor for every
 * counter: one still at or below it (it survived a failover that lost its newest ords, see
 * MASTER_CHECK) jumps above it too, so an ord the lost data handed out is never handed out again.
 *
 * KEYS: ord, hist, chans, epoch, ordbase, cut. ARGV: body (the entry's JSON fields after ord and time,
 * without braces), head (the pub/sub envelope up to the entry), historySize, historyTtlSec,
 * ordTtlSec, channel, channelTopic, namespaceTopic, this node's epoch token.
 * Returns {ord, time ms, subscriber connections that received it, the current epoch token}.
 */
export const PUBLISH = `${NOW_MS}
local epoch = redis.call('GET', KEYS[4])
if epoch ~= ARGV[9] then
  if not epoch then
    epoch = ARGV[9]
    redis.call('SET', KEYS[4], epoch)
  end
  if redis.call('EXISTS', KEYS[5]) == 0 then
    redis.call('SET', KEYS[5], string.format('%d', now_ms() * 1000))
  end
end
local ord = redis.call('INCR', KEYS[1])
local base = tonumber(redis.call('GET', KEYS[5]) or '0')
if ord <= base then
  local prev = ord - 1
  ord = base + 1
  redis.call('SET', KEYS[1], string.format('%d', ord))
  if prev > 0 then
    -- The counter survived the loss or the switch: its history stays readable, and the cut key
    -- marks where the contiguous run after the jump starts (HISTORY reads across it). One cut
    -- is kept: an older run still before the previous cut is dropped.
    local cut = tonumber(redis.call('GET', KEYS[6]) or '0')
    if cut > 0 and prev >= cut then redis.call('LTRIM', KEYS[2], -(prev - cut + 1), -1) end
    redis.call('SET', KEYS[6], string.format('%d', ord), 'EX', ARGV[5])
  end
end
local ms = now_ms()
local entry = '{"o":' .. string.format('%d', ord) .. ',"t":' .. string.format('%d', ms) .. ',' .. ARGV[1] .. '}'
local size = tonumber(ARGV[3])
if size > 0 then
  redis.call('RPUSH', KEYS[2], entry)
  redis.call('LTRIM', KEYS[2], -size, -1)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
else
  redis.call('DEL', KEYS[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[3], ms, ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[5])
local message = ARGV[2] .. entry .. '}'
local n = redis.call('PUBLISH', ARGV[7], message) + redis.call('PUBLISH', ARGV[8], message)
return {ord, ms, n, epoch}
`;

/**
 * Run by every node after each (re)connect, before it publishes: has the master changed since
 * the cluster last looked? A replica promoted by a failover has a new replication id and may
 * lack the newest writes of the old master (replication is asynchronous), so some counters may
 * be behind ords that subscribers already saw. The first node to notice raises `ordbase` (µs
 * since the epoch, above every ord issued so far) and PUBLISH lifts each counter above it.
 * A first look (no id stored: a new or emptied Redis) only records the id: the epoch guard
 * covers data loss.
 * KEYS: replid, ordbase. ARGV: the master's replication id. Returns 1 if it raised the floor.
 */
export const MASTER_CHECK = `${NOW_MS}
local known = redis.call('GET', KEYS[1])
if known == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
if not known then return 0 end
local floor = now_ms() * 1000
local base = tonumber(redis.call('GET', KEYS[2]) or '0')
if floor <= base then floor = base + 1000000000000 end
redis.call('SET', KEYS[2], string.format('%d', floor))
return 1
`;

/**
 * Read history and top in one consistent snapshot.
 * KEYS: ord, hist, cut. ARGV: mode ('after' | 'last'), N or K, limit (-1 = none).
 * Returns {top, entry...} oldest first. Ords in the list are contiguous, so the position of
 * `after` is found from the oldest entry's ord (read from the entry itself, which starts with
 * {"o":<ord>, — the counter is not trusted for it).
 */
export const HISTORY = `
local top = tonumber(redis.call('GET', KEYS[1]) or '0')
local len = redis.call('LLEN', KEYS[2])
if len == 0 then return {top} end
local from
local to = -1
if ARGV[1] == 'last' then
  local k = tonumber(ARGV[2])
  if k <= 0 then return {top} end
  from = len - k
  if from < 0 then from = 0 end
else
  local after = tonumber(ARGV[2])
  local oldest = tonumber(string.match(redis.call('LINDEX', KEYS[2], 0), '^{"o":(%d+)'))
  local cut = tonumber(redis.call('GET', KEYS[3]) or '0')
  if cut > 0 and oldest < cut then
    -- Two runs, [oldest..] and [cut..top] (see PUBLISH): locate from the matching end.
    local older = len - (top - cut + 1)
    if after >= cut - 1 then
      from = len - (top - after)
    else
      from = after - oldest + 1
      if from > older then from = older end
    end
  else
    from = after - oldest + 1
  end
  if from < 0 then from = 0 end
  if from >= len then return {top} end
  local limit = tonumber(ARGV[3])
  if limit == 0 then return {top} end
  if limit > 0 then to = from + limit - 1 end
end
local out = redis.call('LRANGE', KEYS[2], from, to)
table.insert(out, 1, top)
return out
`;

/**
 * Channels of a namespace still known (ord counter not expired), with top and newest entry.
 * KEYS: chans. ARGV: ord key prefix, hist key prefix (channel name appended), ord TTL ms.
 * Returns a flat list {name, top, newest entry or ''}.
 */
export const CHANNELS = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms() - tonumber(ARGV[3]))
local out = {}
for _, name in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local top = redis.call('GET', ARGV[1] .. name)
  if top then
    table.insert(out, name)
    table.insert(out, tonumber(top))
    table.insert(out, redis.call('LINDEX', ARGV[2] .. name, -1) or '')
  end
end
return out
`;

/**
 * Push one queue item. A new topic past maxTopics first evicts the oldest topic that has no live
 * consumer (its items count as dropped); if every topic has consumers the item itself is dropped.
 * Past topicSize the oldest items are dropped and counted. Wakes consuming nodes when the topic
 * was empty: a node that is woken pops until the topic is empty again, so a push onto a non-empty
 * topic is already on its way (and the nodes' slow poll covers a wake-up lost in a reconnect).
 * KEYS: list, topics zset, dropped hash. ARGV: topic, item, topicSize, maxTopics, queue key
 * prefix, consumers key prefix, wake topic.
 * Returns {dropped}.
 */
export const QUEUE_PUSH = `${NOW_MS}
local dropped = 0
local now = now_ms()
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  local max = tonumber(ARGV[4])
  if redis.call('ZCARD', KEYS[2]) >= max then
    for _, name in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
      local consumers = ARGV[6] .. name
      redis.call('ZREMRANGEBYSCORE', consumers, '-inf', now)
      if redis.call('ZCARD', consumers) == 0 then
        dropped = dropped + redis.call('LLEN', ARGV[5] .. name)
        redis.call('DEL', ARGV[5] .. name)
        redis.call('HDEL', KEYS[3], name)
        redis.call('ZREM', KEYS[2], name)
        break
      end
    end
    if redis.call('ZCARD', KEYS[2]) >= max then return {dropped + 1} end
  end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
end
local len = redis.call('RPUSH', KEYS[1], ARGV[2])
local size = tonumber(ARGV[3])
if len > size then
  redis.call('LTRIM', KEYS[1], len - size, -1)
  redis.call('HINCRBY', KEYS[3], ARGV[1], len - size)
  dropped = dropped + len - size
end
if len == 1 then redis.call('PUBLISH', ARGV[7], '') end
return {dropped}
`;

/**
 * Put items a node popped but could not hand to any consumer back at the head of their topic, in
 * their original order, and wake the other consuming nodes: one of them may have a free consumer.
 * KEYS: list. ARGV: wake topic, then the items oldest first.
 */
export const QUEUE_UNPOP = `
for i = #ARGV, 2, -1 do redis.call('LPUSH', KEYS[1], ARGV[i]) end
redis.call('PUBLISH', ARGV[1], '')
return #ARGV - 1
`;

/**
 * Topic stats of a namespace. KEYS: topics zset, dropped hash. ARGV: queue key prefix, consumers
 * key prefix. Returns a flat list {topic, depth, live consumers, dropped}.
 */
export const QUEUE_STATS = `${NOW_MS}
local now = now_ms()
local out = {}
for _, name in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  table.insert(out, name)
  table.insert(out, redis.call('LLEN', ARGV[1] .. name))
  table.insert(out, redis.call('ZCOUNT', ARGV[2] .. name, '(' .. string.format('%d', now), '+inf'))
  table.insert(out, tonumber(redis.call('HGET', KEYS[2], name) or '0'))
end
return out
`;

/**
 * (Re)register consumers: KEYS[i] is a consumers zset, ARGV[1] the TTL ms, ARGV[i + 1] the member
 * for KEYS[i]; each gets expiry now + TTL. Returns the number registered.
 */
export const CONSUMERS_REGISTER = `${NOW_MS}
local expiry = now_ms() + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, expiry, ARGV[i + 1])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]) * 2)
end
return #KEYS
`;

/** Any live consumer? KEYS: consumers zset. Returns the live count (expired ones removed). */
export const CONSUMERS_LIVE = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
return redis.call('ZCARD', KEYS[1])
`;

/**
 * Hold or renew a node lease. KEYS: node key. ARGV: token, ttl ms, force ('1' = take it even if
 * another token holds it: a configured node id is authoritative).
 * Returns 1 if this token holds the lease, 0 if another live token does.
 */
export const LEASE_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder and ARGV[3] ~= '1' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Release a lease if this token still holds it. KEYS: node key. ARGV: token. */
export const LEASE_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Lease the first free node id, scanning from a random start so concurrent starters rarely
 * collide (SET NX makes a collision harmless anyway). ARGV: node key prefix, token, ttl ms, start,
 * max id. Returns the id, or -1 if all are taken.
 */
export const LEASE_ACQUIRE = `
local max = tonumber(ARGV[5])
local start = tonumber(ARGV[4])
for i = 0, max do
  local id = (start + i) % (max + 1)
  if redis.call('SET', ARGV[1] .. id, ARGV[2], 'NX', 'PX', ARGV[3]) then return id end
end
return -1
`;
