-- (Re)register consumers: KEYS[i] is a consumers zset and ARGV[i + 1] its member; each gets
-- expiry now + TTL. Returns the number registered.
local consumer_keys = KEYS
local ttl_ms = tonumber(ARGV[1])

local expiry = now_ms() + ttl_ms
for i, key in ipairs(consumer_keys) do
  redis.call('ZADD', key, expiry, ARGV[i + 1])
  redis.call('PEXPIRE', key, ttl_ms * 2)
end
return #consumer_keys
