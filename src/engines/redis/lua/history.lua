-- Read history and top in one consistent snapshot. Returns {top, entry...} oldest first. Ords in
-- the list are contiguous, so the position of `after` is found from the oldest entry's ord (read
-- from the entry itself, which starts with {"o":<ord>, — the counter is not trusted for it).
local ord_key = KEYS[1]
local hist_key = KEYS[2]
local mode = ARGV[1]            -- 'after' | 'last'
local n = tonumber(ARGV[2])     -- the ord after which to read, or how many of the newest
local limit = tonumber(ARGV[3]) -- at most this many ('after' only); -1 = no limit

local top = tonumber(redis.call('GET', ord_key) or '0')
local len = redis.call('LLEN', hist_key)
if len == 0 then return {top} end
local from
local to = -1
if mode == 'last' then
  if n <= 0 then return {top} end
  from = len - n
  if from < 0 then from = 0 end
else
  local oldest = tonumber(string.match(redis.call('LINDEX', hist_key, 0), '^{"o":(%d+)'))
  from = n - oldest + 1
  if from < 0 then from = 0 end
  if from >= len then return {top} end
  if limit == 0 then return {top} end
  if limit > 0 then to = from + limit - 1 end
end
local out = redis.call('LRANGE', hist_key, from, to)
table.insert(out, 1, top)
return out
