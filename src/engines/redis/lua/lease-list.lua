-- Redis Cluster only: the node ids with a live registry entry, read in the registry's one slot
-- (SCAN would see a single server). KEYS[1] only routes the script there.
local node_prefix = ARGV[1]
local max = tonumber(ARGV[2])

local out = {}
for id = 0, max do
  if redis.call('EXISTS', node_prefix .. id) == 1 then table.insert(out, id) end
end
return out
