-- Shared prelude of the scripts that need the time: Redis' clock in ms, never a node's.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
