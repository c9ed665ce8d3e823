-- The audit chains (see common/audit/audit_log.h). Every event belongs to one chain (the subject
-- whose history it is: an assessment, a case, or else the acting identity) and carries its
-- sequence number in the chain, the hash of the chain's previous event and its own hash:
--   hash = sha256_hex(prev ":" chain ":" seq ":" sha256_hex(body))
-- The caller computes the hash (OpenSSL) from the head it read; the append here only checks that
-- the head has not moved since, so two replicas appending to one chain at once cannot fork it (the
-- loser gets "ABORTED audit.chain" and retries on the new head). Hashing in C++ instead of Lua
-- keeps an append at a few microseconds of Redis time.
--
-- A function that appends passes six arguments, starting at index i:
--   chain, expected_head ("" for a new chain, else "<seq>:<hash>" as read), seq, prev, hash, body
-- It calls rusta_audit_check before any write and rusta_audit_write after its own writes.

local function rusta_audit_check(heads_key, args, i)
  local head = redis.call('HGET', heads_key, args[i])
  if (head or '') ~= args[i + 1] then
    return redis.error_reply('ABORTED audit.chain: the chain moved, retry')
  end
  return nil
end

local function rusta_audit_write(events_key, heads_key, args, i)
  local chain, seq, prev, hash = args[i], args[i + 2], args[i + 3], args[i + 4]
  local id = redis.call('XADD', events_key, '*', 'chain', chain, 'seq', seq, 'prev', prev,
                        'hash', hash, 'body', args[i + 5])
  redis.call('HSET', heads_key, chain, seq .. ':' .. hash)
  return id
end
