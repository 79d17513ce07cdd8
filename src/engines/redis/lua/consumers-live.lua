-- Any live consumer? Returns the live count (expired ones removed).
local consumers_key = KEYS[1]

redis.call('ZREMRANGEBYSCORE', consumers_key, '-inf', now_ms())
return redis.call('ZCARD', consumers_key)
