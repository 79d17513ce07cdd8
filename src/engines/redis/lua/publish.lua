-- One publication, atomically: next ord, append to the bounded history, index the channel in its
-- namespace, refresh TTLs, and hand it to every watching node (channel topic + namespace topic).
-- Data-loss and failover guard: see lua.ts (`ordbase` is a floor for every counter). Returns {ord, time ms, receivers, the current epoch token},
-- or {-1, 0, 0, ''} when Redis reached the script after `deadline`: the node has told its caller
-- "not published" by then, so nothing may happen (a hung Redis must not run it late).
-- The script writes no JSON: an entry is the record `<ord> <time ms> <body>` and a message is
-- `<head>\n<entry>`, where body and head are whole JSON documents made by the node (codec.ts);
-- JSON never holds a raw newline, so the first one ends the head.
local ord_key = KEYS[1]
local hist_key = KEYS[2]
local chans_key = KEYS[3]
local epoch_key = KEYS[4]
local ordbase_key = KEYS[5]
local cut_key = KEYS[6]          -- first ord after the channel's jump over the floor
local body = ARGV[1]            -- the publication as a JSON object (without ord and time)
local head = ARGV[2]            -- the pub/sub envelope's JSON (namespace, count request)
local history_size = tonumber(ARGV[3])
local history_ttl = ARGV[4]
local ord_ttl = ARGV[5]
local channel = ARGV[6]
local channel_topic = ARGV[7]
local namespace_topic = ARGV[8]
local my_epoch = ARGV[9]
local deadline = tonumber(ARGV[10])  -- Redis clock, ms; 0: none

if deadline > 0 and now_ms() > deadline then return {-1, 0, 0, ''} end

local epoch = redis.call('GET', epoch_key)
if epoch ~= my_epoch then
  if not epoch then
    epoch = my_epoch
    redis.call('SET', epoch_key, epoch)
  end
  if redis.call('EXISTS', ordbase_key) == 0 then
    redis.call('SET', ordbase_key, string.format('%d', now_ms() * 1000))
  end
end
local ord = redis.call('INCR', ord_key)
local base = tonumber(redis.call('GET', ordbase_key) or '0')
if ord <= base then
  local prev = ord - 1
  ord = base + 1
  redis.call('SET', ord_key, string.format('%d', ord))
  if prev > 0 then
    -- The counter survived the loss or the switch: its history stays readable, and the cut key
    -- marks where the contiguous run after the jump starts (history.lua reads across it). One cut
    -- is kept: an older run still before the previous cut is dropped.
    local cut = tonumber(redis.call('GET', cut_key) or '0')
    if cut > 0 and prev >= cut then redis.call('LTRIM', hist_key, -(prev - cut + 1), -1) end
    redis.call('SET', cut_key, string.format('%d', ord), 'EX', ord_ttl)
  end
end
local ms = now_ms()
local entry = string.format('%d', ord) .. ' ' .. string.format('%d', ms) .. ' ' .. body
if history_size > 0 then
  redis.call('RPUSH', hist_key, entry)
  redis.call('LTRIM', hist_key, -history_size, -1)
  redis.call('EXPIRE', hist_key, history_ttl)
else
  redis.call('DEL', hist_key)
end
redis.call('EXPIRE', ord_key, ord_ttl)
redis.call('ZADD', chans_key, ms, channel)
redis.call('EXPIRE', chans_key, ord_ttl)
local message = head .. '\n' .. entry
local receivers = redis.call('PUBLISH', channel_topic, message) + redis.call('PUBLISH', namespace_topic, message)
return {ord, ms, receivers, epoch}
