--[[
  Admits one frame under the backpressure policy drop-oldest, atomically:
  XADD the frame, then, while the consumer group's backlog is above its limit or the stream is longer than
  the length its memory budget allows, drop the oldest frames that no consumer of the group has been given
  yet (entries after the group's last-delivered-id, never the frame just added). Entries already delivered
  (pending) are left alone: a worker may be processing them. Every dropped frame is counted.

  How a drop keeps Redis's lag exact: the group's cursor is moved past the dropped frames first
  (XGROUP SETID ... ENTRIESREAD n, so they count as read), then they are deleted. Redis 7.0 reports lag as
  nil while a deleted entry lies at or after the cursor, so the frame the cursor now points at (the last one
  dropped) is deleted by the next call instead (its id is kept in the counters hash, field
  "drop-oldest:boundary"); at most one dropped frame waits in memory.

  Backlog = pending + lag of the group. When Redis cannot report lag (entries deleted by something else),
  the stream length is used as a conservative upper bound. A missing group counts every entry.

  KEYS[1] frames stream
  KEYS[2] counters hash
  KEYS[3] idempotency key of this request (see addFrame-2.lua); not touched when ARGV[6] is 0
  ARGV[1] consumer group name
  ARGV[2] max backlog (lag + pending)
  ARGV[3] max stream length derived from the memory budget (0 = no length limit)
  ARGV[4] counters-hash field incremented by the number of dropped frames
  ARGV[5] most frames dropped by this call (later admissions continue)
  ARGV[6] de-duplication window in ms; 0 = no de-duplication
  ARGV[7..] the frame's field/value pairs for XADD

  Returns { id of the new entry, backlog before dropping, number of frames dropped, duplicate }
    A retry of a request admitted within the window writes nothing: { earlier id, -1, 0, 1 }.
]]
local stream = KEYS[1]
local group = ARGV[1]
local maxBacklog = tonumber(ARGV[2])
local maxLen = tonumber(ARGV[3])
local maxDrop = tonumber(ARGV[5])

local window = tonumber(ARGV[6])
if window > 0 then
  local previous = redis.call('GET', KEYS[3])
  if previous then
    return { previous, -1, 0, 1 }
  end
end
local id = redis.call('XADD', stream, '*', unpack(ARGV, 7, #ARGV))
if window > 0 then
  redis.call('SET', KEYS[3], id, 'PX', window)
end

local found = false
local pending = 0
local lag = nil
local lastId = '0-0'
local entriesRead = nil
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
    if info['entries-read'] then
      entriesRead = tonumber(info['entries-read'])
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
if excess > 0 and found then
  local n = math.min(excess, maxDrop)
  local entries = redis.call('XRANGE', stream, '(' .. lastId, '(' .. id, 'COUNT', n)
  if #entries > 0 then
    local last = entries[#entries][1]
    if entriesRead ~= nil then
      redis.call('XGROUP', 'SETID', stream, group, last, 'ENTRIESREAD', entriesRead + #entries)
    else
      redis.call('XGROUP', 'SETID', stream, group, last)
    end
    -- Delete every dropped frame but the one the cursor points at, plus the previous call's boundary.
    local ids = {}
    for i = 1, #entries - 1 do
      ids[#ids + 1] = entries[i][1]
    end
    local previous = redis.call('HGET', KEYS[2], 'drop-oldest:boundary')
    if previous and previous ~= last then
      ids[#ids + 1] = previous
    end
    if #ids > 0 then
      redis.call('XDEL', stream, unpack(ids))
    end
    redis.call('HSET', KEYS[2], 'drop-oldest:boundary', last)
    dropped = #entries
    redis.call('HINCRBY', KEYS[2], ARGV[4], dropped)
  end
elseif excess > 0 then
  -- No group yet: nothing has been delivered, so the oldest entries are all undelivered.
  local n = math.min(excess, maxDrop)
  local entries = redis.call('XRANGE', stream, '-', '(' .. id, 'COUNT', n)
  if #entries > 0 then
    local ids = {}
    for i, e in ipairs(entries) do
      ids[i] = e[1]
    end
    dropped = redis.call('XDEL', stream, unpack(ids))
    redis.call('HINCRBY', KEYS[2], ARGV[4], dropped)
  end
end

return { id, backlog, dropped, 0 }
