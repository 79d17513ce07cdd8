-- A connection leaves a presence channel. Returns {user, 1 if it was the user's last connection
-- there}, or nil when the connection was not a member.
local conns_key = KEYS[1]
local users_key = KEYS[2]
local infos_key = KEYS[3]
local channels_key = KEYS[4]
local conn = ARGV[1]
local channel = ARGV[2]

local entry = redis.call('HGET', conns_key, conn)
if not entry then return nil end
redis.call('HDEL', conns_key, conn)
-- The entry is 'node|user'; node ids are digits, so the first '|' ends the node.
local user = string.sub(entry, string.find(entry, '|', 1, true) + 1)
local last = 0
if redis.call('HINCRBY', users_key, user, -1) <= 0 then
  redis.call('HDEL', users_key, user)
  redis.call('HDEL', infos_key, user)
  last = 1
end
if redis.call('HLEN', conns_key) == 0 then redis.call('SREM', channels_key, channel) end
return {user, last}
