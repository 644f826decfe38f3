--[[
  emitEvents: the events stage's one write. Under its lease, atomically: acknowledge the results it
  consumed, store the cameras' new open state (watermark, buffered reads, open passes), append the events
  of the passes that closed (+ the per-plate index) and their watchlist alerts, and bump counters. A
  process killed before this call leaves its results pending and the stored state as it was (the next
  holder claims and re-applies them); killed after it, everything is written: no pass lost, none twice.

  KEYS[1] results stream
  KEYS[2] events state hash (field = camera, value = JSON state)
  KEYS[3] events stream
  KEYS[4] counters hash
  KEYS[5] alerts stream
  KEYS[6] events lease lock (value "<token>:<owner>")
  KEYS[7] per-plate index (sorted set, score 0, member "<plate>:<first ms, 13 digits>:<event id>")
  KEYS[8] per-plate index by time (same members, score = first capture ms; caps the index)

  ARGV[1] consumer group
  ARGV[2] lease value the caller holds
  ARGV[3] events stream MAXLEN (approximate)
  ARGV[4] index cap (most members kept; 0 = no index)
  ARGV[5] alerts stream MAXLEN (approximate)
  ARGV[6] n = number of result ids, then ARGV[7 .. 6+n] the ids to XACK
  then    s = number of states, then s pairs: camera, JSON ("" = delete the camera's field)
  then    c = number of counters, then c pairs: counter field, increment
  then    e = number of events, then per event:
            f = number of event field/value PAIRS, then 2f values;
            a = number of alert field/value PAIRS (0 = no alert), then 2a values (the alert gets an
                "event" field with the event's stream id added here)

  Returns -1 when the lease is not the caller's (nothing written), else
    { acked, { eventId, ... }, { alertId or "", ... } }
]]
if redis.call('GET', KEYS[6]) ~= ARGV[2] then
  return -1
end

local i = 6
local n = tonumber(ARGV[i])
local acked = 0
if n > 0 then
  local ack = { 'XACK', KEYS[1], ARGV[1] }
  for k = 1, n do
    ack[#ack + 1] = ARGV[i + k]
  end
  acked = redis.call(unpack(ack))
end
i = i + n + 1

local s = tonumber(ARGV[i])
for k = 0, s - 1 do
  local camera = ARGV[i + 1 + 2 * k]
  local json = ARGV[i + 2 + 2 * k]
  if json == '' then
    redis.call('HDEL', KEYS[2], camera)
  else
    redis.call('HSET', KEYS[2], camera, json)
  end
end
i = i + 2 * s + 1

local c = tonumber(ARGV[i])
for k = 0, c - 1 do
  redis.call('HINCRBY', KEYS[4], ARGV[i + 1 + 2 * k], ARGV[i + 2 + 2 * k])
end
i = i + 2 * c + 1

local e = tonumber(ARGV[i])
i = i + 1
local cap = tonumber(ARGV[4])
local eventIds = {}
local alertIds = {}
for k = 1, e do
  local f = tonumber(ARGV[i])
  local add = { 'XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*' }
  local plate, first = '', '0'
  for j = 1, 2 * f, 2 do
    local name, value = ARGV[i + j], ARGV[i + j + 1]
    add[#add + 1] = name
    add[#add + 1] = value
    if name == 'plate' then plate = value end
    if name == 'first_ts' then first = value end
  end
  local id = redis.call(unpack(add))
  eventIds[k] = id
  i = i + 2 * f + 1
  if cap > 0 and plate ~= '' then
    local member = plate .. ':' .. string.rep('0', 13 - #first) .. first .. ':' .. id
    redis.call('ZADD', KEYS[7], 0, member)
    redis.call('ZADD', KEYS[8], tonumber(first), member)
    local over = redis.call('ZCARD', KEYS[8]) - cap
    if over > 0 then
      local old = redis.call('ZPOPMIN', KEYS[8], over)
      for o = 1, #old, 2 do
        redis.call('ZREM', KEYS[7], old[o])
      end
    end
  end
  local a = tonumber(ARGV[i])
  if a > 0 then
    local alert = { 'XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*' }
    for j = 1, 2 * a do
      alert[#alert + 1] = ARGV[i + j]
    end
    alert[#alert + 1] = 'event'
    alert[#alert + 1] = id
    alertIds[k] = redis.call(unpack(alert))
  else
    alertIds[k] = ''
  end
  i = i + 2 * a + 1
end
return { acked, eventIds, alertIds }
