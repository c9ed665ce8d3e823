-- The common library: audit and queue operations callable on their own (services that need them
-- inside a larger atomic change call the prelude's local functions from their own library).

redis.register_function('rusta_audit_append', function(keys, args)
  return rusta_audit_append(keys[1], keys[2], args[1], args[2])
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
  local stream, dead, delayed, items = keys[1], keys[2], keys[3], keys[4]
  local group, consumer, now_ms = args[1], args[2], args[3]
  local visibility, max_deliveries, promote_limit = tonumber(args[4]), tonumber(args[5]), tonumber(args[6])
  rusta_queue_promote_due(stream, delayed, items, now_ms, promote_limit)
  local created = redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  -- (an error here means the group exists already, the normal case)
  -- First, work whose claim expired: a worker took it and did not finish in time.
  for _ = 1, 100 do
    local p = redis.call('XPENDING', stream, group, 'IDLE', visibility, '-', '+', 1)
    if #p == 0 then break end
    local id, deliveries = p[1][1], p[1][4]
    local entry = redis.call('XRANGE', stream, id, id)
    if #entry == 0 then
      redis.call('XACK', stream, group, id)  -- deleted under us: nothing to deliver
    elseif deliveries >= max_deliveries then
      local fields = entry[1][2]
      redis.call('XADD', dead, '*', 'source_id', id, 'deliveries', deliveries, 'dead_ms', now_ms, unpack(fields))
      redis.call('XACK', stream, group, id)
      redis.call('XDEL', stream, id)
    else
      redis.call('XCLAIM', stream, group, consumer, visibility, id)
      return {id, deliveries + 1, entry[1][2]}
    end
  end
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', stream, '>')
  if r and #r > 0 and #r[1][2] > 0 then
    local e = r[1][2][1]
    return {e[1], 1, e[2]}
  end
  return false
end)

-- keys: stream; args: group, id, consumer. Returns the entry's fields.
redis.register_function('rusta_queue_complete', function(keys, args)
  local stream, group, id, consumer = keys[1], args[1], args[2], args[3]
  local owner, err = rusta_queue_check_owner(stream, group, id, consumer)
  if not owner then return err end
  local entry = redis.call('XRANGE', stream, id, id)
  redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
  if #entry == 0 then return {} end
  return entry[1][2]
end)

-- keys: stream; args: group, id, consumer, count_as_failure ('1' or '0'), visibility_ms.
-- Gives the item back at once: its idle time is set to the visibility timeout, so the next claim
-- takes it. A plain release does not count as a delivery; a failure does (towards dead-lettering).
redis.register_function('rusta_queue_release', function(keys, args)
  local stream, group, id, consumer = keys[1], args[1], args[2], args[3]
  local owner, err = rusta_queue_check_owner(stream, group, id, consumer)
  if not owner then return err end
  local deliveries = owner[4]
  if args[4] ~= '1' then deliveries = math.max(deliveries - 1, 0) end
  redis.call('XCLAIM', stream, group, consumer, 0, id, 'IDLE', args[5], 'RETRYCOUNT', deliveries, 'JUSTID')
  return deliveries
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

-- args: data. The Lua SHA-256 as hex, so tests can compare it with OpenSSL's.
redis.register_function{function_name = 'rusta_sha256_hex', flags = {'no-writes'}, callback = function(keys, args)
  return rusta_sha256_hex(args[1])
end}
