--[[
  lockRelease: delete a lease only while the caller still holds it.

  KEYS[1] lock key
  ARGV[1] expected value "<token>:<owner>"

  Returns 1 when released, 0 when it was no longer held by the caller.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
