-- Idempotent mutations (docs/api.md, "Idempotency"). A service's atomic function starts with
--   local done = rusta_idem_begin(idem_key, fingerprint)
--   if done then return done end
-- and ends, after its writes, with
--   return rusta_idem_finish(idem_key, fingerprint, result, ttl_seconds)
-- so that a repeated request_id returns the first call's result and changes nothing. The key holds
-- the request's fingerprint (a hash of the request without its request_id) and the result, both
-- written in the same atomic call as the change itself. Only successes are stored: an error reply
-- leaves nothing behind, so the client may retry with the same id.

-- Returns the stored result of an earlier call with the same key, or nil when this is the first.
-- A different request under the same key is refused.
local function rusta_idem_begin(idem_key, fingerprint)
  local stored = redis.call('HMGET', idem_key, 'fingerprint', 'result')
  if not stored[1] then return nil end
  if stored[1] ~= fingerprint then
    return redis.error_reply('INVALID_ARGUMENT request_id: already used for a different request')
  end
  return stored[2]
end

local function rusta_idem_finish(idem_key, fingerprint, result, ttl_seconds)
  redis.call('HSET', idem_key, 'fingerprint', fingerprint, 'result', result)
  redis.call('EXPIRE', idem_key, ttl_seconds)
  return result
end
