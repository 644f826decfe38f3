--[[
  deadLetter: move one frame to the dead-letter stream atomically: XACK it and, only when that XACK
  acknowledged it, XADD the frame's fields (read from the stream here, so large images never travel back)
  plus error, stage, deliveries, frame, worker to the DLQ.

  KEYS[1] frames stream
  KEYS[2] dlq stream
  KEYS[3] counters hash

  ARGV[1] consumer group
  ARGV[2] frame entry id
  ARGV[3] error message
  ARGV[4] stage (decode, inference, reclaim, ...)
  ARGV[5] delivery count
  ARGV[6] worker (consumer name)
  ARGV[7] dlq MAXLEN (approximate); "0" = unbounded
  ARGV[8] dlq byte cap (MEMORY USAGE, sampled); optional, "0" = none. Dead-lettered frames keep their
          whole image, so a few large bodies can weigh more than thousands of small ones: past the cap the
          oldest entries are trimmed (the new one is always kept).

  Returns { acked, dlqId }
    acked  1 = dead-lettered; 0 = already acknowledged elsewhere (nothing written)
    dlqId  id of the DLQ entry ("" when acked is 0)
  A frame that was already trimmed from the stream still gets a DLQ entry (with field missing=1).
]]
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked ~= 1 then
  return { 0, '' }
end
local add = { 'XADD', KEYS[2] }
if tonumber(ARGV[7]) > 0 then
  add[#add + 1] = 'MAXLEN'
  add[#add + 1] = '~'
  add[#add + 1] = ARGV[7]
end
add[#add + 1] = '*'
local entries = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local reserved = { error = true, stage = true, deliveries = true, frame = true, worker = true, missing = true }
if entries[1] then
  local fields = entries[1][2]
  for i = 1, #fields, 2 do
    if not reserved[fields[i]] then
      add[#add + 1] = fields[i]
      add[#add + 1] = fields[i + 1]
    end
  end
else
  add[#add + 1] = 'missing'
  add[#add + 1] = '1'
end
for _, kv in ipairs({ { 'error', ARGV[3] }, { 'stage', ARGV[4] }, { 'deliveries', ARGV[5] }, { 'frame', ARGV[2] }, { 'worker', ARGV[6] } }) do
  add[#add + 1] = kv[1]
  add[#add + 1] = kv[2]
end
local id = redis.call(unpack(add))
redis.call('HINCRBY', KEYS[3], 'dead-lettered', 1)
local maxBytes = tonumber(ARGV[8] or '0') or 0
if maxBytes > 0 then
  local used = redis.call('MEMORY', 'USAGE', KEYS[2], 'SAMPLES', 5)
  if used and used > maxBytes then
    local len = redis.call('XLEN', KEYS[2])
    local keep = math.max(1, math.floor(len * maxBytes / used))
    if keep < len then
      local trimmed = redis.call('XTRIM', KEYS[2], 'MAXLEN', keep)
      redis.call('HINCRBY', KEYS[3], 'dlq-trimmed-bytes-cap', trimmed)
    end
  end
end
return { 1, id }
