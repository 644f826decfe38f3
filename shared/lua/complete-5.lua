--[[
  complete: acknowledge a frame and write its result (and, optionally, a watchlist alert) atomically.
  The result is written only when this XACK acknowledged the entry, so a worker whose frame was reclaimed
  and finished elsewhere writes nothing (a "stale completion", counted in the counters hash).

  KEYS[1] frames stream
  KEYS[2] results stream
  KEYS[3] counters hash
  KEYS[4] alerts stream
  KEYS[5] alert de-duplication window key (StreamKeys.alertWindow(camera, plate)); when no alert is passed,
          callers pass the alerts stream key again as a same-slot placeholder (it is not touched then)

  ARGV[1] consumer group
  ARGV[2] frame entry id
  ARGV[3] results retention strategy: MAXLEN or MINID (always approximate, "~")
  ARGV[4] results retention threshold (MAXLEN count, or MINID entry id)
  ARGV[5] n = number of result field/value PAIRS
  ARGV[6 .. 5+2n]  result field, value, field, value, ...
  ARGV[6+2n] alert window in ms (the window key is SET to the frame id, NX PX window); "0" (or absent) = no alert, everything after it is ignored
  ARGV[7+2n] alerts stream MAXLEN (approximate)
  ARGV[8+2n ..] alert field, value pairs (to the end of ARGV)

  Returns { acked, resultId, alertOutcome, alertId }
    acked        1 = acknowledged and result written; 0 = stale (already acknowledged elsewhere), nothing written
    resultId     id of the result entry, "" when stale
    alertOutcome "none" (no alert passed or stale), "sent", or "suppressed" (window key already set)
    alertId      id of the alert entry, "" unless sent
]]
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked ~= 1 then
  redis.call('HINCRBY', KEYS[3], 'stale-completions', 1)
  return { 0, '', 'none', '' }
end

local n = tonumber(ARGV[5])
local add = { 'XADD', KEYS[2], ARGV[3], '~', ARGV[4], '*' }
for i = 6, 5 + 2 * n do
  add[#add + 1] = ARGV[i]
end
local resultId = redis.call(unpack(add))

local base = 6 + 2 * n
local windowMs = tonumber(ARGV[base] or '0') or 0
if windowMs <= 0 then
  return { 1, resultId, 'none', '' }
end
if not redis.call('SET', KEYS[5], ARGV[2], 'NX', 'PX', windowMs) then
  return { 1, resultId, 'suppressed', '' }
end
local alert = { 'XADD', KEYS[4], 'MAXLEN', '~', ARGV[base + 1], '*' }
for i = base + 2, #ARGV do
  alert[#alert + 1] = ARGV[i]
end
local alertId = redis.call(unpack(alert))
return { 1, resultId, 'sent', alertId }
