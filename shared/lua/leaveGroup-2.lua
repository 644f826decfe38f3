--[[
  leaveGroup: a consumer that shuts down gracefully removes itself from its group and from the heartbeat
  set, but only when it owns no pending entry: XGROUP DELCONSUMER drops the consumer's pending entries,
  which then could never be reclaimed. A consumer that still owns entries stays listed (its entries are
  reclaimed by others; housekeeping removes it once it owns nothing and has been idle long enough).

  KEYS[1] stream
  KEYS[2] heartbeat sorted set

  ARGV[1] consumer group
  ARGV[2] consumer name

  Returns 1 when the consumer is no longer in the group, 0 when it was kept (it owns pending entries).
]]
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if not ok or #pending > 0 then
  return 0
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
