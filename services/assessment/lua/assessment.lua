-- The assessment service's Redis functions. Every change of an assessment is one call: it checks
-- the idempotency key, the version the change was computed from and the head of the assessment's
-- audit chain, then writes, records the index, queue or link the change needs, and appends the
-- audit event (common/lua prelude).
--
-- Keys of an assessment: assessment:{<id>} (hash: data = serialised rusta.v1.Assessment,
-- version). Indexes: assessment-person:{<pseudonym>} (sorted set by time), assessments:by-time
-- (sorted set by time, for follow-up reports), assessment-decision:{<case_id>} (the one assessment
-- linked to a case). Audit: the events stream and the chain heads (keys passed in).
--
-- Arguments common to the update functions:
--   args[1] fingerprint, args[2] idempotency ttl, args[3] read version, args[4] new data,
--   args[5..10] the audit event (chain, expected head, seq, prev, hash, body),
--   args[11..] the function's own.
-- Keys common to them: keys[1] assessment, keys[2] idempotency key, keys[3] audit events,
-- keys[4] audit heads, keys[5..] the function's own.

local AUDIT = 5

-- Fails unless the stored version is the one the change was computed from.
local function assessment_check_version(key, read_version)
  local current = redis.call('HGET', key, 'version')
  if not current then return redis.error_reply('NOT_FOUND assessment: not found') end
  if current ~= read_version then
    return redis.error_reply('ABORTED version: expected ' .. read_version .. ', current ' .. current)
  end
  return nil
end

-- Everything an update checks before it writes; returns an error reply or a stored result.
local function assessment_begin(keys, args)
  local done = rusta_idem_begin(keys[2], args[1])
  if done then return done end
  local err = assessment_check_version(keys[1], args[3])
  if err then return err end
  return rusta_audit_check(keys[4], args, AUDIT)
end

-- The result, remembered for a repeated request_id, is "<extra>\n<the new assessment>": the
-- response the first call gave (extra: the queue item id where there is one, else empty).
local function assessment_finish(keys, args, extra)
  redis.call('HSET', keys[1], 'data', args[4], 'version', tonumber(args[3]) + 1)
  rusta_audit_write(keys[3], keys[4], args, AUDIT)
  return rusta_idem_finish(keys[2], args[1], extra .. '\n' .. args[4], args[2])
end

-- keys: assessment, idem, audit_events, audit_heads, person_index, time_index
-- args: fingerprint, ttl, assessment_id, data, audit (6), assessed_ms
-- Returns the assessment id (the first call's, on a repeated request_id).
redis.register_function('assessment_create', function(keys, args)
  local done = rusta_idem_begin(keys[2], args[1])
  if done then return done end
  if redis.call('EXISTS', keys[1]) == 1 then
    return redis.error_reply('ALREADY_EXISTS assessment_id: exists')
  end
  local err = rusta_audit_check(keys[4], args, AUDIT)
  if err then return err end
  redis.call('HSET', keys[1], 'data', args[4], 'version', 1)
  redis.call('ZADD', keys[5], args[11], args[3])
  redis.call('ZADD', keys[6], args[11], args[3])
  rusta_audit_write(keys[3], keys[4], args, AUDIT)
  return rusta_idem_finish(keys[2], args[1], args[3], args[2])
end)

-- Returns "\n<the new assessment>" (the first call's on a repeated request_id).
redis.register_function('assessment_update', function(keys, args)
  local stop = assessment_begin(keys, args)
  if stop then return stop end
  return assessment_finish(keys, args, '')
end)

-- Links the assessment to a referral decision: at most one assessment per case (the decision key)
-- and one decision per assessment (checked by the caller on the version it read).
-- keys[5]: decision key; args[11]: assessment id.
redis.register_function('assessment_link_decision', function(keys, args)
  local stop = assessment_begin(keys, args)
  if stop then return stop end
  local linked = redis.call('GET', keys[5])
  if linked and linked ~= args[11] then
    return redis.error_reply('FAILED_PRECONDITION assessment.link_once: the case is already linked to another assessment')
  end
  redis.call('SET', keys[5], args[11])
  return assessment_finish(keys, args, '')
end)

-- Records the send to the support group and enqueues the review.
-- keys[5]: queue stream; args[11]: payload, args[12]: now_ms. Returns "<queue item id>\n<assessment>".
redis.register_function('assessment_send_to_support', function(keys, args)
  local stop = assessment_begin(keys, args)
  if stop then return stop end
  local item = rusta_queue_enqueue(keys[5], args[11], args[12])
  return assessment_finish(keys, args, item)
end)

-- Completes a claimed review with the group's conclusion: the queue item and the assessment in
-- one call. keys[5]: queue stream; args[11..13]: group, item_id, consumer.
redis.register_function('assessment_complete_review', function(keys, args)
  local stop = assessment_begin(keys, args)
  if stop then return stop end
  local completed = rusta_queue_complete_item(keys[5], args[11], args[12], args[13])
  if completed.err then return completed end
  return assessment_finish(keys, args, '')
end)

-- Claims the next support review, idempotently (a repeated request_id returns the same item).
-- keys: stream, dead, delayed, delayed_items, idem
-- args: fingerprint, ttl, group, consumer, now_ms, visibility_ms, max_deliveries, promote_limit
-- Returns "" when nothing is due, else "<item id> <deliveries> <enqueued_ms> <payload>".
redis.register_function('assessment_claim_review', function(keys, args)
  local done = rusta_idem_begin(keys[5], args[1])
  if done then return done end
  local claimed = rusta_queue_claim_next(keys[1], keys[2], keys[3], keys[4], args[3], args[4],
                                         args[5], tonumber(args[6]), tonumber(args[7]), tonumber(args[8]))
  if not claimed then return '' end  -- nothing claimed: nothing to remember
  local payload, enqueued = '', '0'
  local f = claimed[3]
  for i = 1, #f, 2 do
    if f[i] == 'payload' then payload = f[i + 1] elseif f[i] == 'enqueued_ms' then enqueued = f[i + 1] end
  end
  return rusta_idem_finish(keys[5], args[1], claimed[1] .. ' ' .. claimed[2] .. ' ' .. enqueued .. ' ' .. payload, args[2])
end)
