--[[
  removeIdleConsumers: delete consumers of one group that have been idle longer than a threshold AND own
  no pending entries, under the housekeeping lease (fencing). The check and the delete happen in one
  script, so a consumer that owns entries is never removed.

  KEYS[1] housekeeping lock key
  KEYS[2] frames stream

  ARGV[1] lock value "<token>:<owner>" the caller holds
  ARGV[2] consumer group
  ARGV[3] minimum idle time in ms

  Returns the list of removed consumer names, or -1 when the caller no longer holds the lock.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {}
end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[2], ARGV[2])
if not ok then
  return {}
end
local minIdle = tonumber(ARGV[3])
local removed = {}
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do
    info[c[i]] = c[i + 1]
  end
  if tonumber(info['pending']) == 0 and tonumber(info['idle']) >= minIdle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[2], ARGV[2], info['name'])
    removed[#removed + 1] = info['name']
  end
end
return removed
