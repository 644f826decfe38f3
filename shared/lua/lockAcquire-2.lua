#!lua flags=allow-oom
--[[
  lockAcquire: take a lease lock if free and hand out a new fencing token.

  KEYS[1] lock key (value "<token>:<owner>")
  KEYS[2] fencing counter (INCR, never reset)

  ARGV[1] owner (unique per process)
  ARGV[2] lease in ms

  Returns the fencing token (integer > 0) when acquired, 0 when another owner holds the lock.

  flags=allow-oom: the housekeeping lease is what lets a worker trim acknowledged frames, the one thing
  that frees memory when Redis is full (maxmemory + noeviction). Without the flag the INCR/SET are refused
  with OOM and nobody trims, so a full Redis would stay full for ever. The lock writes a few bytes.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
