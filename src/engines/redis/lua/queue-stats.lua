-- Topic stats of a namespace. Returns a flat list {topic, depth, live consumers, dropped, bytes}.
local topics_key = KEYS[1]
local dropped_key = KEYS[2]
local bytes_key = KEYS[3]
local queue_prefix = ARGV[1]
local consumers_prefix = ARGV[2]

local now = now_ms()
local out = {}
for _, name in ipairs(redis.call('ZRANGE', topics_key, 0, -1)) do
  table.insert(out, name)
  table.insert(out, redis.call('LLEN', queue_prefix .. name))
  table.insert(out, redis.call('ZCOUNT', consumers_prefix .. name, '(' .. string.format('%d', now), '+inf'))
  table.insert(out, tonumber(redis.call('HGET', dropped_key, name) or '0'))
  table.insert(out, tonumber(redis.call('HGET', bytes_key, name) or '0'))
end
return out
