-- Several publications in one script call, each with publish.lua's guarantees: per channel one
-- counter step per publication, the bounded history, the channel index, TTLs, and the hand-off to
-- the channel and namespace topics, in the order the publications are listed. Its fixed costs
-- (the call, the epoch and floor reads, the clock) are paid once for the batch, and a channel's
-- publications share one INCRBY, one RPUSH, one LTRIM and one EXPIRE each; the namespace's channel
-- index gets one ZADD for all the batch's channels.
--
-- KEYS: epoch, ordbase, then per publication ord, hist, chans, cut (4 each).
-- ARGV: history_ttl, ord_ttl, my_epoch, then per publication body, head, history_size, channel,
-- channel_topic, namespace_topic, deadline (7 each; see publish.lua for each one's meaning).
-- Returns {epoch, then per publication ord, time ms or error text, receivers}: ord -1 when Redis
-- reached the batch after that publication's deadline (skipped: not published), -2 when a Redis
-- error stopped that publication's channel (the text says which; other channels go on).
local epoch_key = KEYS[1]
local ordbase_key = KEYS[2]
local history_ttl = ARGV[1]
local ord_ttl = ARGV[2]
local my_epoch = ARGV[3]
local count = (#KEYS - 2) / 4

local now = now_ms()
local out = {}
local groups = {}  -- ord key -> list of publication indexes, in order
local order = {}   -- ord keys in first-seen order
for i = 1, count do
  local deadline = tonumber(ARGV[3 + (i - 1) * 7 + 7])
  if deadline > 0 and now > deadline then
    out[i] = {-1, 0, 0}
  else
    local ord_key = KEYS[2 + (i - 1) * 4 + 1]
    local g = groups[ord_key]
    if not g then
      g = {}
      groups[ord_key] = g
      order[#order + 1] = ord_key
    end
    g[#g + 1] = i
  end
end

local epoch = redis.call('GET', epoch_key)
if #order > 0 and epoch ~= my_epoch then
  if not epoch then
    epoch = my_epoch
    redis.call('SET', epoch_key, epoch)
  end
  if redis.call('EXISTS', ordbase_key) == 0 then
    redis.call('SET', ordbase_key, string.format('%d', now * 1000))
  end
end
local base = tonumber(redis.call('GET', ordbase_key) or '0')
local ms = string.format('%d', now)
local entries = {}  -- publication index -> its history record

local chans = {}        -- channel index key -> {score, channel, score, channel, ...}
local chans_order = {}

local function append(ord_key, g)
  local k = 2 + (g[1] - 1) * 4
  local hist_key, chans_key, cut_key = KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local a = 3 + (g[1] - 1) * 7
  local history_size, channel = tonumber(ARGV[a + 3]), ARGV[a + 4]
  local n = #g
  local last = redis.call('INCRBY', ord_key, n)
  local first = last - n + 1
  if first <= base then
    local prev = first - 1
    first = base + 1
    last = base + n
    redis.call('SET', ord_key, string.format('%d', last))
    if prev > 0 then
      -- As in publish.lua: the run after the jump starts at the cut.
      local cut = tonumber(redis.call('GET', cut_key) or '0')
      if cut > 0 and prev >= cut then redis.call('LTRIM', hist_key, -(prev - cut + 1), -1) end
      redis.call('SET', cut_key, string.format('%d', first), 'EX', ord_ttl)
    end
  end
  local records = {}
  for j = 1, n do
    local i = g[j]
    local record = string.format('%d', first + j - 1) .. ' ' .. ms .. ' ' .. ARGV[3 + (i - 1) * 7 + 1]
    records[j] = record
    entries[i] = record
    out[i] = {first + j - 1, now, 0}
  end
  if history_size > 0 then
    redis.call('RPUSH', hist_key, unpack(records))
    redis.call('LTRIM', hist_key, -history_size, -1)
    redis.call('EXPIRE', hist_key, history_ttl)
  else
    redis.call('DEL', hist_key)
  end
  redis.call('EXPIRE', ord_key, ord_ttl)
  -- The channel index is written once per namespace below, with every channel of the batch.
  local c = chans[chans_key]
  if not c then
    c = {}
    chans[chans_key] = c
    chans_order[#chans_order + 1] = chans_key
  end
  c[#c + 1] = now
  c[#c + 1] = channel
end

for _, ord_key in ipairs(order) do
  local g = groups[ord_key]
  local ok, err = pcall(append, ord_key, g)
  if not ok then
    local text = type(err) == 'table' and (err.err or 'error') or tostring(err)
    for _, i in ipairs(g) do
      out[i] = {-2, text, 0}
      entries[i] = nil
    end
  end
end

for _, chans_key in ipairs(chans_order) do
  redis.call('ZADD', chans_key, unpack(chans[chans_key]))
  redis.call('EXPIRE', chans_key, ord_ttl)
end

-- The hand-off, in the order the publications were listed. One PUBSUB NUMSUB for every topic of
-- the batch first: a PUBLISH to a topic nobody subscribes to (the namespace topic of a namespace
-- no node watches whole, a channel no node watches) would deliver to no one, so it is left out.
-- The script runs atomically, so the count is the one each PUBLISH would have seen.
local topics, seen = {}, {}
for i = 1, count do
  if entries[i] then
    local a = 3 + (i - 1) * 7
    for t = a + 5, a + 6 do
      if not seen[ARGV[t]] then
        seen[ARGV[t]] = true
        topics[#topics + 1] = ARGV[t]
      end
    end
  end
end
local listened = {}
if #topics > 0 then
  local numsub = redis.call('PUBSUB', 'NUMSUB', unpack(topics))
  for j = 1, #numsub, 2 do listened[numsub[j]] = numsub[j + 1] > 0 end
end
for i = 1, count do
  local record = entries[i]
  if record then
    local a = 3 + (i - 1) * 7
    local message = ARGV[a + 2] .. '\n' .. record
    local receivers = 0
    for t = a + 5, a + 6 do
      if listened[ARGV[t]] then receivers = receivers + redis.call('PUBLISH', ARGV[t], message) end
    end
    out[i][3] = receivers
  end
end

local reply = {epoch or my_epoch}
for i = 1, count do
  reply[#reply + 1] = out[i][1]
  reply[#reply + 1] = out[i][2]
  reply[#reply + 1] = out[i][3]
end
return reply
