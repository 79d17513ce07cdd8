-- Pop up to `count` items from the head of a topic for this node's consumers, taking their bytes
-- off the topic's byte count in the same step (queue-push.lua bounds a topic by it). An emptied
-- topic's count is removed, so it cannot drift. Returns the items, oldest first.
local list_key = KEYS[1]
local bytes_key = KEYS[2]
local topic = ARGV[1]
local count = tonumber(ARGV[2])

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
