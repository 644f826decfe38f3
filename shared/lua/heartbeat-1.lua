#!lua flags=allow-oom
--[[
  heartbeat: record that a consumer is alive until now + ttl, on the server's clock (so workers on hosts
  with skewed clocks agree), and forget entries that expired more than a day ago.

  KEYS[1] heartbeat sorted set (member = consumer name, score = ms epoch until which it counts as alive)

  ARGV[1] consumer name
  ARGV[2] ttl in ms

  Returns the new deadline (ms epoch).

  flags=allow-oom: a worker must be able to start and stay listed as alive while Redis is full
  (maxmemory + noeviction); its work (acknowledging and trimming) is what frees memory.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], deadline, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
return deadline
