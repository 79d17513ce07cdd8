-- Put items a node popped but could not hand to any consumer back at the head of their topic, in
-- their original order, and wake the other consuming nodes: one of them may have a free consumer.
local list_key = KEYS[1]
local wake_topic = ARGV[1]
-- ARGV[2..] are the items, oldest first.

for i = #ARGV, 2, -1 do redis.call('LPUSH', list_key, ARGV[i]) end
redis.call('PUBLISH', wake_topic, '')
return #ARGV - 1
