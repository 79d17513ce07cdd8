-- Read history and top in one consistent snapshot. Returns {top, entry...} oldest first. Ords in
-- the list are contiguous (or two contiguous runs around a cut), so the position of `after` is
-- found from the oldest entry's ord (read from the entry itself, which starts with `<ord> `, or
-- `{"o":<ord>,` for an entry written by release 0.1.0 — the counter is not trusted for it).
local ord_key = KEYS[1]
local hist_key = KEYS[2]
local cut_key = KEYS[3]         -- first ord after a jump over the floor (publish.lua), if any
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
  local first = redis.call('LINDEX', hist_key, 0)
  local oldest = tonumber(string.match(first, '^(%d+) ') or string.match(first, '^{"o":(%d+)'))
  local cut = tonumber(redis.call('GET', cut_key) or '0')
  if cut > 0 and oldest < cut then
    -- Two runs, [oldest..] and [cut..top] (see publish.lua): locate from the matching end.
    local older = len - (top - cut + 1)
    if n >= cut - 1 then
      from = len - (top - n)
    else
      from = n - oldest + 1
      if from > older then from = older end
    end
  else
    from = n - oldest + 1
  end
  if from < 0 then from = 0 end
  if from >= len then return {top} end
  if limit == 0 then return {top} end
  if limit > 0 then to = from + limit - 1 end
end
local out = redis.call('LRANGE', hist_key, from, to)
table.insert(out, 1, top)
return out
