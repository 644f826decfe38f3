--[[
  dlqRequeue: put a dead-lettered frame back on the frames stream and remove it from the DLQ, atomically.
  The fields the worker added when dead-lettering (error, stage, deliveries, frame, worker, missing) are
  stripped; the original frame fields are written back as a new frames entry (new id, fresh deliveries).

  KEYS[1] dlq stream
  KEYS[2] frames stream

  ARGV[1] dlq entry id

  Returns the new frames entry id, or false (nil) when the DLQ entry does not exist,
  or the string "missing" when the DLQ entry has no frame fields to requeue (frame was trimmed before
  dead-lettering); such an entry is left in the DLQ.
]]
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if not entries[1] then
  return false
end
local fields = entries[1][2]
local reserved = { error = true, stage = true, deliveries = true, frame = true, worker = true, missing = true }
local add = { 'XADD', KEYS[2], '*' }
for i = 1, #fields, 2 do
  if fields[i] == 'missing' then
    return 'missing'
  end
  if not reserved[fields[i]] then
    add[#add + 1] = fields[i]
    add[#add + 1] = fields[i + 1]
  end
end
if #add == 3 then
  return 'missing'
end
local id = redis.call(unpack(add))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
