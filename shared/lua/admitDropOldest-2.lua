--[[
  Admits one frame under the backpressure policy drop-oldest, atomically:
  XADD the frame, then, while the consumer group's backlog is above its limit or the stream is longer than
  the length its memory budget allows, delete the oldest frames that no consumer of the group has been
  given yet (entries after the group's last-delivered-id, never the frame just added). Entries already
  delivered (pending) are left alone: a worker may be processing them. Every deleted frame is counted.

  Backlog = pending + lag of the group. Redis 7.0 reports lag as nil while deleted entries lie ahead of the
  group's last-delivered-id (which is exactly what this script leaves behind); then the stream length is
  used as a conservative upper bound (backlog = max(XLEN, pending)). A missing group counts every entry.

  KEYS[1] frames stream
  KEYS[2] counters hash
  ARGV[1] consumer group name
  ARGV[2] max backlog (lag + pending)
  ARGV[3] max stream length derived from the memory budget (0 = no length limit)
  ARGV[4] counters-hash field incremented by the number of deleted frames
  ARGV[5] most frames deleted by this call (later admissions continue)
  ARGV[6..] the frame's field/value pairs for XADD

  Returns { id of the new entry, backlog before dropping, number of frames deleted }
]]
local stream = KEYS[1]
local group = ARGV[1]
local maxBacklog = tonumber(ARGV[2])
local maxLen = tonumber(ARGV[3])
local maxDrop = tonumber(ARGV[5])

local id = redis.call('XADD', stream, '*', unpack(ARGV, 6, #ARGV))

local found = false
local pending = 0
local lag = nil
local lastId = '0-0'
local groups = redis.call('XINFO', 'GROUPS', stream)
for _, g in ipairs(groups) do
  local info = {}
  for j = 1, #g, 2 do
    info[g[j]] = g[j + 1]
  end
  if info['name'] == group then
    found = true
    pending = tonumber(info['pending'])
    lastId = info['last-delivered-id']
    if info['lag'] then
      lag = tonumber(info['lag'])
    end
  end
end

local len = redis.call('XLEN', stream)
local backlog
if not found then
  backlog = len
elseif lag ~= nil then
  backlog = pending + lag
else
  backlog = math.max(len, pending)
end

local excess = backlog - maxBacklog
if maxLen > 0 and len - maxLen > excess then
  excess = len - maxLen
end

local dropped = 0
if excess > 0 then
  local n = math.min(excess, maxDrop)
  local entries = redis.call('XRANGE', stream, '(' .. lastId, '(' .. id, 'COUNT', n)
  if #entries > 0 then
    local ids = {}
    for i, e in ipairs(entries) do
      ids[i] = e[1]
    end
    dropped = redis.call('XDEL', stream, unpack(ids))
    redis.call('HINCRBY', KEYS[2], ARGV[4], dropped)
  end
end

return { id, backlog, dropped }
