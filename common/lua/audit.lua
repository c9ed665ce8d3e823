-- The audit chain (see common/audit/audit_log.h). Each event carries its sequence number, the hash
-- of the previous event and its own hash:
--   hash = sha256_hex(prev_hash .. ':' .. seq .. ':' .. sha256_hex(body))
-- The caller passes sha256_hex(body) (computed with OpenSSL; hashing the body here would cost a
-- dozen more compressions per event). Appends happen inside one Redis call, so replicas appending
-- at once are serialised by Redis and the chain never forks.
-- 64 zeros (string.* is not reachable while FUNCTION LOAD runs the top level).
local RUSTA_AUDIT_GENESIS = '0000000000000000000000000000000000000000000000000000000000000000'

local function rusta_audit_append(events_key, head_key, body, body_digest)
  local seq = redis.call('HINCRBY', head_key, 'seq', 1)
  local prev = redis.call('HGET', head_key, 'hash') or RUSTA_AUDIT_GENESIS
  local hash = rusta_sha256_hex(prev .. ':' .. seq .. ':' .. body_digest)
  local id = redis.call('XADD', events_key, '*', 'seq', seq, 'prev', prev, 'hash', hash, 'body', body)
  redis.call('HSET', head_key, 'hash', hash, 'id', id)
  return {seq, id, hash}
end
