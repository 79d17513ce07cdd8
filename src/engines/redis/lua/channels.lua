-- Channels of a namespace still known (ord counter not expired), with top and newest entry.
-- Returns a flat list {name, top, newest entry or ''}.
local chans_key = KEYS[1]
local ord_prefix = ARGV[1]      -- ord key minus the channel name
local hist_prefix = ARGV[2]     -- history key minus the channel name
local ord_ttl_ms = tonumber(ARGV[3])

redis.call('ZREMRANGEBYSCORE', chans_key, '-inf', now_ms() - ord_ttl_ms)
local out = {}
for _, name in ipairs(redis.call('ZRANGE', chans_key, 0, -1)) do
  local top = redis.call('GET', ord_prefix .. name)
  if top then
    table.insert(out, name)
    table.insert(out, tonumber(top))
    table.insert(out, redis.call('LINDEX', hist_prefix .. name, -1) or '')
  end
end
return out
