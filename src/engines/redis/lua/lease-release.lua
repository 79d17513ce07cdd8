-- Release a lease if this token still holds it.
local node_key = KEYS[1]
local token = ARGV[1]

if redis.call('GET', node_key) == token then return redis.call('DEL', node_key) end
return 0
