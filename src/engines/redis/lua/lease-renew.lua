-- Hold or renew a node lease. Returns 1 if this token holds the lease, 0 if another live token
-- does.
local node_key = KEYS[1]
local token = ARGV[1]
local ttl_ms = ARGV[2]
local force = ARGV[3]           -- '1': take it even if another token holds it (a configured id)

local holder = redis.call('GET', node_key)
if holder == token then
  redis.call('PEXPIRE', node_key, ttl_ms)
  return 1
end
if holder and force ~= '1' then return 0 end
redis.call('SET', node_key, token, 'PX', ttl_ms)
return 1
