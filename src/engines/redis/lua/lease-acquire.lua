-- Lease the first free node id, scanning from a random start so concurrent starters rarely
-- collide (SET NX makes a collision harmless anyway). Returns the id, or -1 if all are taken.
local node_prefix = ARGV[1]   -- KEYS[1], a node key, only routes the script on Redis Cluster
local token = ARGV[2]
local ttl_ms = ARGV[3]
local start = tonumber(ARGV[4])
local max = tonumber(ARGV[5])

for i = 0, max do
  local id = (start + i) % (max + 1)
  if redis.call('SET', node_prefix .. id, token, 'NX', 'PX', ttl_ms) then return id end
end
return -1
