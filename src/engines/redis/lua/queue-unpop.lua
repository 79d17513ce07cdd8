-- Put items a node popped but could not hand to any consumer back at the head of their topic, in
-- their original order (with their bytes back on the topic's byte count), and wake the other
-- consuming nodes: one of them may have a free consumer.
local list_key = KEYS[1]
local bytes_key = KEYS[2]
local wake_topic = ARGV[1]
local topic = ARGV[2]
-- ARGV[3..] are the items, oldest first.

local bytes = 0
for i = #ARGV, 3, -1 do
  redis.call('LPUSH', list_key, ARGV[i])
  bytes = bytes + #ARGV[i]
end
redis.call('HINCRBY', bytes_key, topic, bytes)
redis.call('PUBLISH', wake_topic, '')
return #ARGV - 2
