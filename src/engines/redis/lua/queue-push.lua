-- Push one queue item. A new topic past max_topics first evicts the oldest topic that has no live
-- consumer (its items count as dropped); if every topic has consumers the item itself is dropped.
-- Past topic_size items, and past topic_bytes bytes (the waiting items' JSON, summed in the bytes
-- hash), the oldest items are dropped and counted; an item larger than topic_bytes alone is
-- dropped itself. Wakes consuming nodes when the topic was empty: a node that is woken pops until
-- the topic is empty again, so a push onto a non-empty topic is already on its way (and the nodes'
-- slow poll covers a wake-up lost in a reconnect).
-- Returns {dropped, dropped_for_bytes}.
local list_key = KEYS[1]
local topics_key = KEYS[2]
local dropped_key = KEYS[3]
local bytes_key = KEYS[4]
local topic = ARGV[1]
local item = ARGV[2]
local topic_size = tonumber(ARGV[3])
local max_topics = tonumber(ARGV[4])
local queue_prefix = ARGV[5]     -- queue list key minus the topic name
local consumers_prefix = ARGV[6] -- consumers zset key minus the topic name
local wake_topic = ARGV[7]
local topic_bytes = tonumber(ARGV[8])

local dropped = 0
local now = now_ms()
if not redis.call('ZSCORE', topics_key, topic) then
  if redis.call('ZCARD', topics_key) >= max_topics then
    for _, name in ipairs(redis.call('ZRANGE', topics_key, 0, -1)) do
      local consumers = consumers_prefix .. name
      redis.call('ZREMRANGEBYSCORE', consumers, '-inf', now)
      if redis.call('ZCARD', consumers) == 0 then
        dropped = dropped + redis.call('LLEN', queue_prefix .. name)
        redis.call('DEL', queue_prefix .. name)
        redis.call('HDEL', dropped_key, name)
        redis.call('HDEL', bytes_key, name)
        redis.call('ZREM', topics_key, name)
        break
      end
    end
    if redis.call('ZCARD', topics_key) >= max_topics then return {dropped + 1, 0} end
  end
  redis.call('ZADD', topics_key, now, topic)
end
if #item > topic_bytes then
  redis.call('HINCRBY', dropped_key, topic, 1)
  return {dropped + 1, 1}
end
local len = redis.call('RPUSH', list_key, item)
local bytes = redis.call('HINCRBY', bytes_key, topic, #item)
if len > topic_size then
  for _ = 1, len - topic_size do
    local old = redis.call('LPOP', list_key)
    bytes = redis.call('HINCRBY', bytes_key, topic, -#old)
  end
  redis.call('HINCRBY', dropped_key, topic, len - topic_size)
  dropped = dropped + len - topic_size
  len = topic_size
end
local for_bytes = 0
while bytes > topic_bytes do
  local old = redis.call('LPOP', list_key)
  bytes = redis.call('HINCRBY', bytes_key, topic, -#old)
  for_bytes = for_bytes + 1
  len = len - 1
end
if for_bytes > 0 then redis.call('HINCRBY', dropped_key, topic, for_bytes) end
if len == 1 then redis.call('PUBLISH', wake_topic, '') end
return {dropped + for_bytes, for_bytes}
