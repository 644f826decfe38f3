--[[
  addFrame: XADD one frame unless the same request was admitted within the de-duplication window
  (policy reject, with an Idempotency-Key or a key derived from camera + seq). The check and the XADD run in
  this one script, so a camera that retries after a client-side timeout (its first XADD still executed)
  gets the first frame's id back instead of storing the frame twice.

  KEYS[1] frames stream
  KEYS[2] idempotency key of this request (value: the entry id it was admitted as; expires after the window)

  ARGV[1] de-duplication window in ms (> 0)
  ARGV[2..] the frame's field/value pairs for XADD

  Returns { id, duplicate }
    id         the new entry's id, or the id the earlier request was admitted as
    duplicate  1 when nothing was written (a retry of an admitted request), else 0
]]
local previous = redis.call('GET', KEYS[2])
if previous then
  return { previous, 1 }
end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2, #ARGV))
redis.call('SET', KEYS[2], id, 'PX', ARGV[1])
return { id, 0 }
