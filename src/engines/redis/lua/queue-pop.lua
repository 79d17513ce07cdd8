-- Take up to `count` items from the head of a queue topic, unless Redis reaches this script after
-- `deadline` (Redis clock, ms): the node has given up on the answer by then, so items popped now
-- would be lost with it. The items' bytes leave the topic's byte count in the same step
-- (queue-push.lua bounds a topic by it); an emptied topic's count is removed, so it cannot drift.
-- Returns the items, oldest first, or false when skipped.
local list_key = KEYS[1]
local bytes_key = KEYS[2]
local topic = ARGV[1]
local count = ARGV[2]
local deadline = tonumber(ARGV[3])

if deadline > 0 and now_ms() > deadline then return false end
local items = redis.call('LPOP', list_key, count)
if not items then return {} end
local bytes = 0
for _, item in ipairs(items) do bytes = bytes + #item end
if redis.call('LLEN', list_key) == 0 then
  redis.call('HDEL', bytes_key, topic)
else
  redis.call('HINCRBY', bytes_key, topic, -bytes)
end
return items
