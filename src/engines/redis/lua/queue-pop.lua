-- Take up to `count` items from the head of a queue topic, unless Redis reaches this script after
-- `deadline` (Redis clock, ms): the node has given up on the answer by then, so items popped now
-- would be lost with it. Returns the items, or false when skipped.
local list_key = KEYS[1]
local count = ARGV[1]
local deadline = tonumber(ARGV[2])

if deadline > 0 and now_ms() > deadline then return false end
return redis.call('LPOP', list_key, count)
