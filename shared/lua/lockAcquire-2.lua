--[[
  lockAcquire: take a lease lock if free and hand out a new fencing token.

  KEYS[1] lock key (value "<token>:<owner>")
  KEYS[2] fencing counter (INCR, never reset)

  ARGV[1] owner (unique per process)
  ARGV[2] lease in ms

  Returns the fencing token (integer > 0) when acquired, 0 when another owner holds the lock.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
