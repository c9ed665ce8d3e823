-- The common library: audit and queue operations callable on their own (services that need them
-- inside a larger atomic change call the prelude's local functions from their own library).

-- keys: events, heads; args: chain, expected_head, seq, prev, hash, body. Returns the entry id.
redis.register_function('rusta_audit_append', function(keys, args)
  local err = rusta_audit_check(keys[2], args, 1)
  if err then return err end
  return rusta_audit_write(keys[1], keys[2], args, 1)
end)

-- keys: stream; args: payload, now_ms
redis.register_function('rusta_queue_enqueue', function(keys, args)
  return rusta_queue_enqueue(keys[1], args[1], args[2])
end)

-- keys: delayed, delayed_items; args: item_id, payload, due_ms
redis.register_function('rusta_queue_schedule', function(keys, args)
  return rusta_queue_schedule(keys[1], keys[2], args[1], args[2], args[3])
end)

-- keys: delayed, delayed_items; args: item_id
redis.register_function('rusta_queue_cancel', function(keys, args)
  return rusta_queue_cancel(keys[1], keys[2], args[1])
end)

-- keys: stream, dead, delayed, delayed_items
-- args: group, consumer, now_ms, visibility_ms, max_deliveries, promote_limit
-- Returns false when there is no work, else {id, deliveries, {field, value, ...}}.
redis.register_function('rusta_queue_claim', function(keys, args)
  return rusta_queue_claim_next(keys[1], keys[2], keys[3], keys[4], args[1], args[2], args[3],
                                tonumber(args[4]), tonumber(args[5]), tonumber(args[6]))
end)

-- keys: the claim keys (stream, dead, delayed, delayed items), idempotency key; args: fingerprint,
-- ttl, group, consumer, now_ms, visibility, max deliveries, promote limit, stale item ('' = none).
-- One claim per request_id (rusta_queue_claim_once in the prelude); returns its record or ''.
redis.register_function('rusta_queue_claim_once', function(keys, args)
  local record = rusta_queue_claim_once(keys[1], keys[2], keys[3], keys[4], keys[5], args[1], args[2], args[3],
                                        args[4], args[5], tonumber(args[6]), tonumber(args[7]), tonumber(args[8]),
                                        args[9])
  return record
end)

-- keys: stream; args: group, id, consumer. Returns the entry's fields.
redis.register_function('rusta_queue_complete', function(keys, args)
  return rusta_queue_complete_item(keys[1], args[1], args[2], args[3])
end)

-- keys: stream; args: group, id, consumer, count_as_failure ('1' or '0'), visibility_ms.
redis.register_function('rusta_queue_release', function(keys, args)
  return rusta_queue_release_item(keys[1], args[1], args[2], args[3], args[4] == '1', args[5])
end)

-- keys: stream; args: group, id, consumer. Restarts the visibility timeout of a claimed item.
redis.register_function('rusta_queue_extend', function(keys, args)
  local stream, group, id, consumer = keys[1], args[1], args[2], args[3]
  local owner, err = rusta_queue_check_owner(stream, group, id, consumer)
  if not owner then return err end
  redis.call('XCLAIM', stream, group, consumer, 0, id, 'JUSTID')
  return 1
end)

-- keys: stream, dead, delayed; args: group.
-- Returns {entries, pending, delayed, dead, oldest_enqueued_ms or -1, next_due_ms or -1}.
redis.register_function{function_name = 'rusta_queue_stats', flags = {'no-writes'}, callback = function(keys, args)
  local stream, dead, delayed, group = keys[1], keys[2], keys[3], args[1]
  local entries = redis.call('XLEN', stream)
  local pending = 0
  local summary = redis.pcall('XPENDING', stream, group)
  if type(summary) == 'table' and not summary.err then pending = summary[1] end
  local oldest = -1
  local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
  if #first > 0 then
    local f = first[1][2]
    for i = 1, #f, 2 do if f[i] == 'enqueued_ms' then oldest = tonumber(f[i + 1]) end end
  end
  local next_due = -1
  local nd = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  if #nd > 0 then next_due = tonumber(nd[2]) end
  return {entries, pending, redis.call('ZCARD', delayed), redis.call('XLEN', dead), oldest, next_due}
end}

