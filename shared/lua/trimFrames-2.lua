--[[
  trimFrames: trim frames that every consumer group on the stream has acknowledged, under the
  housekeeping lease (fencing: the caller's lock value must still be the current one).

  For each group the oldest entry it still needs is the smaller of
    - its oldest pending entry (delivered, not acknowledged), and
    - the first entry after its last-delivered-id (not delivered yet; when there is none, the id just
      above last-delivered-id).
  The stream is trimmed with XTRIM MINID <min over groups> (exact), so nothing a group still needs is
  removed. A stream without groups is never trimmed here.

  KEYS[1] housekeeping lock key
  KEYS[2] frames stream

  ARGV[1] lock value "<token>:<owner>" the caller holds

  Returns { trimmed, minId }
    trimmed  number of entries removed; -1 when the caller no longer holds the lock (nothing done)
    minId    the MINID used ("" when nothing was computed: no stream or no groups)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return { -1, '' }
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  return { 0, '' }
end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then
    return am < bm
  end
  return as < bs
end
local function nextId(id)
  local ms, seq = parse(id)
  if seq < 9007199254740991 then
    return string.format('%d-%d', ms, seq + 1)
  end
  return string.format('%d-0', ms + 1)
end

local minId = nil
local groups = redis.call('XINFO', 'GROUPS', KEYS[2])
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do
    info[g[i]] = g[i + 1]
  end
  local need
  local after = redis.call('XRANGE', KEYS[2], '(' .. info['last-delivered-id'], '+', 'COUNT', 1)
  if after[1] then
    need = after[1][1]
  else
    need = nextId(info['last-delivered-id'])
  end
  if tonumber(info['pending']) > 0 then
    local summary = redis.call('XPENDING', KEYS[2], info['name'])
    if summary[2] and less(summary[2], need) then
      need = summary[2]
    end
  end
  if minId == nil or less(need, minId) then
    minId = need
  end
end
if minId == nil then
  return { 0, '' }
end
local trimmed = redis.call('XTRIM', KEYS[2], 'MINID', minId)
return { trimmed, minId }
