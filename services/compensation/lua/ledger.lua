-- The payment ledger (services/compensation/ledger_store.h), the library rusta_compensation. Lines are appended and never edited (the
-- statement a line was settled in is kept beside it); a correction is a new reversing line. Every key of the
-- ledger shares the hash tag {ledger}.

-- Appends payment lines exactly once: a line whose idempotency key is already in the ledger is
-- skipped. The audit event (the engine's, in the case's ledger chain) is written only when at
-- least one line was new.
-- keys: [1] lines, [2] keys, [3] by-date, [4] audit events, [5] audit heads, [6] orgs,
--       then per line: case set, org zset, unsettled zset
-- args: [1..6] audit, then per line: idempotency key, line id, data, date score, org
redis.register_function('ledger_append', function(keys, args)
  local err = rusta_audit_check(keys[5], args, 1)
  if err then return err end
  local appended = 0
  local n = (#args - 6) / 5
  for i = 0, n - 1 do
    local a, k = 7 + i * 5, 7 + i * 3
    if redis.call('HSETNX', keys[2], args[a], args[a + 1]) == 1 then
      redis.call('HSET', keys[1], args[a + 1], args[a + 2])
      redis.call('SADD', keys[k], args[a + 1])
      redis.call('ZADD', keys[k + 1], args[a + 3], args[a + 1])
      redis.call('ZADD', keys[k + 2], args[a + 3], args[a + 1])
      redis.call('ZADD', keys[3], args[a + 3], args[a + 1])
      redis.call('SADD', keys[6], args[a + 4])
      appended = appended + 1
    end
  end
  if appended > 0 then rusta_audit_write(keys[4], keys[5], args, 1) end
  return appended
end)

-- Settles lines into one statement: each line must still be unsettled (else ABORTED, nothing is
-- written), and the provider-month must have exactly the statements the caller read. The lines
-- themselves are not rewritten: the statement a line was settled in is kept beside it (the
-- settled hash), so a settlement passes only line ids.
-- A settlement (SettleMonth) is one call per provider under one request_id: the request's
-- idempotency record (keys[7]) keeps each provider's statement ("statement:<org>") in the same
-- call that settles it, so a repeat or a concurrent call with the same request_id gets the
-- statement back instead of settling again ({'earlier', data}); once the request was answered
-- (ledger_settle_finish) nothing more is settled under it ({'answered'}).
-- keys: [1] settled (hash line id → statement id), [2] statements, [3] statement index,
--       [4] unsettled zset of the provider, [5] audit events, [6] audit heads, [7] idempotency record
-- args: [1..6] audit, [7] statement id, [8] statement data, [9] index field, [10] statements read,
--       [11] request fingerprint, [12] organisation number, [13] record ttl (s), then the line ids
redis.register_function('ledger_settle', function(keys, args)
  local done = rusta_idem_begin(keys[7], args[11])
  if type(done) == 'table' then return done end  -- the request_id was used for another request
  if done then return {'answered'} end
  local field = 'statement:' .. args[12]
  local earlier = redis.call('HGET', keys[7], field)
  if earlier then return {'earlier', earlier} end
  local err = rusta_audit_check(keys[6], args, 1)
  if err then return err end
  local count = redis.call('HGET', keys[3], args[9]) or '0'
  if count ~= args[10] then
    return redis.error_reply('ABORTED ledger.settle: another settlement of this month came first')
  end
  for i = 14, #args do
    if not redis.call('ZSCORE', keys[4], args[i]) then
      return redis.error_reply('ABORTED ledger.settle: a line was settled meanwhile')
    end
  end
  for i = 14, #args do
    redis.call('ZREM', keys[4], args[i])
    redis.call('HSET', keys[1], args[i], args[7])
  end
  redis.call('HSET', keys[2], args[7], args[8])
  redis.call('HSET', keys[3], args[9], tonumber(count) + 1)
  redis.call('HSET', keys[3], args[9] .. '|' .. (tonumber(count) + 1), args[7])
  redis.call('HSET', keys[7], 'fingerprint', args[11], field, args[8])
  redis.call('EXPIRE', keys[7], args[13])
  rusta_audit_write(keys[5], keys[6], args, 1)
  return {'settled'}
end)

-- Answers a settlement: remembers its response in the request's idempotency record, unless a
-- concurrent call with the same request_id answered first; returns the response that stands.
-- keys: [1] idempotency record; args: [1] fingerprint, [2] response, [3] ttl (s)
redis.register_function('ledger_settle_finish', function(keys, args)
  local done = rusta_idem_begin(keys[1], args[1])
  if done then return done end
  return rusta_idem_finish(keys[1], args[1], args[2], args[3])
end)
