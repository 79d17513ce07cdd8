-- A connection joins a presence channel. Returns 1 when it is the user's first connection there
-- (the user joined), 0 when the user was already a member or this connection already joined, -1
-- when the channel is full and the user is new.
local conns_key = KEYS[1]      -- connection -> 'node|user'
local users_key = KEYS[2]      -- user -> number of its connections here
local infos_key = KEYS[3]      -- user -> user_info (JSON text, stored as given)
local channels_key = KEYS[4]   -- the namespace's channels with members
local node_set_key = KEYS[5]   -- the channels where this node has members
local nodes_key = KEYS[6]      -- the nodes that have members anywhere
local conn = ARGV[1]
local node = ARGV[2]
local user = ARGV[3]
local info = ARGV[4]
local max_members = tonumber(ARGV[5])
local channel = ARGV[6]
local node_entry = ARGV[7]     -- namespace and channel as one member of node_set_key

if redis.call('HEXISTS', conns_key, conn) == 1 then return 0 end
if not redis.call('HGET', users_key, user) then
  if redis.call('HLEN', users_key) >= max_members then return -1 end
  redis.call('HSET', infos_key, user, info)
end
redis.call('HSET', conns_key, conn, node .. '|' .. user)
local n = redis.call('HINCRBY', users_key, user, 1)
redis.call('SADD', channels_key, channel)
redis.call('SADD', node_set_key, node_entry)
redis.call('SADD', nodes_key, node)
if n == 1 then return 1 end
return 0
