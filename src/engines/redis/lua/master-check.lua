-- Run by every node after each (re)connect, before it publishes: has the master changed since
-- the cluster last looked? A replica promoted by a failover has a new replication id and may
-- lack the newest writes of the old master (replication is asynchronous), so some counters may
-- be behind ords that subscribers already saw. The first node to notice raises `ordbase` (µs
-- since the epoch, above every ord issued so far) and publish.lua lifts each counter above it.
-- A first look (no id stored: a new or emptied Redis) only records the id: the epoch guard
-- covers data loss. Returns 1 if it raised the floor.
local replid_key = KEYS[1]
local ordbase_key = KEYS[2]
local replid = ARGV[1]          -- the master's replication id

local known = redis.call('GET', replid_key)
if known == replid then return 0 end
redis.call('SET', replid_key, replid)
if not known then return 0 end
local floor = now_ms() * 1000
local base = tonumber(redis.call('GET', ordbase_key) or '0')
if floor <= base then floor = base + 1000000000000 end
redis.call('SET', ordbase_key, string.format('%d', floor))
return 1
