-- Redis Cluster: one publication, atomically, inside the channel's slot (every key and the topic
-- carry the hash tag {c:<ns,ch>}): next ord, append to the bounded history, refresh TTLs, and hand
-- it to the nodes subscribed to the channel's sharded topic. The namespace index and the
-- namespace topic live in other slots: the node writes those after this script
-- (shard-transport.ts). Returns {ord, time ms, receivers}, or {-1, 0, 0} when Redis reached the
-- script after `deadline` (nothing done: the node has answered "not published" by then).
--
-- Ord guard, per channel (there is no cluster-wide key to hold an epoch): `mid` names the master
-- that last wrote the channel (CLUSTER MYID). A channel without it (brand new, or lost with its
-- master's data) or written last by another master (a replica promoted after a crash, which may
-- lack the newest ords; or a slot moved by a reshard) jumps above the current time in µs, which is
-- above every ord handed out before (ords start at a time in µs and grow by one per
-- publication). So no ord is ever handed out twice and ords never go back.
local ord_key = KEYS[1]
local hist_key = KEYS[2]
local cut_key = KEYS[3]          -- first ord after the channel's last jump
local mid_key = KEYS[4]          -- id of the master that last wrote the channel
local body = ARGV[1]            -- the publication as a JSON object (without ord and time)
local head = ARGV[2]            -- the pub/sub envelope's JSON (namespace, count request)
local history_size = tonumber(ARGV[3])
local history_ttl = ARGV[4]
local ord_ttl = ARGV[5]
local channel_topic = ARGV[6]
local deadline = tonumber(ARGV[7])  -- Redis clock, ms; 0: none (as in publish.lua)

if deadline > 0 and now_ms() > deadline then return {-1, 0, 0} end

local me = redis.call('CLUSTER', 'MYID')
local ord
if redis.call('GET', mid_key) == me then
  ord = redis.call('INCR', ord_key)
else
  local prev = tonumber(redis.call('GET', ord_key) or '0')
  local floor = now_ms() * 1000
  -- Masters' clocks may differ a little: never land on or below what this master holds.
  if floor <= prev then floor = prev + 1000000 end
  ord = floor + 1
  redis.call('SET', ord_key, string.format('%d', ord))
  if prev > 0 then
    -- History from before the jump stays readable; the cut marks where the new run starts
    -- (history.lua reads across it). One cut is kept, as in publish.lua.
    local cut = tonumber(redis.call('GET', cut_key) or '0')
    if cut > 0 and prev >= cut then redis.call('LTRIM', hist_key, -(prev - cut + 1), -1) end
    redis.call('SET', cut_key, string.format('%d', ord), 'EX', ord_ttl)
  end
end
redis.call('SET', mid_key, me, 'EX', ord_ttl)
local ms = now_ms()
-- The entry and message formats of publish.lua (codec.ts): the script writes no JSON.
local entry = string.format('%d', ord) .. ' ' .. string.format('%d', ms) .. ' ' .. body
if history_size > 0 then
  redis.call('RPUSH', hist_key, entry)
  redis.call('LTRIM', hist_key, -history_size, -1)
  redis.call('EXPIRE', hist_key, history_ttl)
else
  redis.call('DEL', hist_key)
end
redis.call('EXPIRE', ord_key, ord_ttl)
local receivers = redis.call('SPUBLISH', channel_topic, head .. '\n' .. entry)
return {ord, ms, receivers}
