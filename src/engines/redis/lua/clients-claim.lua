-- Hand the gateway clients held by nodes that left the cluster without releasing them (their
-- registry entry `node:<id>` expired: the node died) to the caller, and forget them. Atomic, so
-- of several survivors sweeping at once exactly one gets each client: its close item is pushed
-- once cluster-wide. `self` (or '') also claims this node id's own entries, left by its previous
-- process (a node restarted with the same id before its old entry expired).
-- Returns a flat list {client, entry, client, entry, ...}.
local nodes_key = KEYS[1]
local node_prefix = ARGV[1] -- registry entry key minus the id
local held_prefix = ARGV[2] -- held-clients hash key minus the id
local self = ARGV[3]

local out = {}
for _, id in ipairs(redis.call('SMEMBERS', nodes_key)) do
  if id == self or redis.call('EXISTS', node_prefix .. id) == 0 then
    local all = redis.call('HGETALL', held_prefix .. id)
    for i = 1, #all do table.insert(out, all[i]) end
    redis.call('DEL', held_prefix .. id)
    redis.call('SREM', nodes_key, id)
  end
end
return out
