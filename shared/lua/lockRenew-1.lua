--[[
  lockRenew: extend a lease only while the caller still holds it (compare value, then PEXPIRE).

  KEYS[1] lock key
  ARGV[1] expected value "<token>:<owner>"
  ARGV[2] lease in ms

  Returns 1 when renewed, 0 when the lock expired or belongs to someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
