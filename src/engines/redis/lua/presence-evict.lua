-- Remove every connection of a dead node from one presence channel. Returns the users who left
-- the channel because of it (those whose every connection there was on that node). Run by any
-- survivor: the script is atomic, so of two survivors racing, the second finds nothing to evict.
local conns_key = KEYS[1]
local users_key = KEYS[2]
local infos_key = KEYS[3]
local channels_key = KEYS[4]
local node = ARGV[1]
local channel = ARGV[2]

local prefix = node .. '|'
local all = redis.call('HGETALL', conns_key)
local gone = {}
for i = 1, #all, 2 do
  local entry = all[i + 1]
  if string.sub(entry, 1, #prefix) == prefix then
    redis.call('HDEL', conns_key, all[i])
    local user = string.sub(entry, #prefix + 1)
    if redis.call('HINCRBY', users_key, user, -1) <= 0 then
      redis.call('HDEL', users_key, user)
      redis.call('HDEL', infos_key, user)
      table.insert(gone, user)
    end
  end
end
if redis.call('HLEN', conns_key) == 0 then redis.call('SREM', channels_key, channel) end
return gone
