-- The provider registry's Redis functions. The registry is small (hundreds of providers, thousands
-- of offices) and read far more often than written, so it lives in a few hashes under one hash
-- tag, {registry}, with a generation counter that every change increments. A service replica keeps
-- a decoded snapshot in memory and reloads it when the generation moved.
--
-- A change is one call of registry_write: it checks the idempotency key, the generation the change
-- was computed from (so the rules the replica checked on its snapshot still hold) and the head of
-- the audit chain, then writes the entities, increments the generation and appends the audit event.

-- keys: generation, idem, audit_events, audit_heads, follow-up delayed, follow-up delayed items,
--       then the hashes written (k7, k8, ...)
-- args: fingerprint, ttl, expected_generation ("-": do not check), result, audit (6 args: 5..10),
--       bump ("1": the change touches the snapshot tables, so the generation moves),
--       n, then n triples (key index, field, value; an empty value deletes the field),
--       then a follow-up schedule or not: "0", or "1", schedule id, payload, due_ms (replacing any
--       schedule under that id)
-- Returns the result (the first call's on a repeated request_id).
redis.register_function('registry_write', function(keys, args)
  local done = rusta_idem_begin(keys[2], args[1])
  if done then return done end
  if args[3] ~= '-' then
    local generation = redis.call('GET', keys[1]) or '0'
    if generation ~= args[3] then
      return redis.error_reply('ABORTED registry.generation: the registry changed, retry')
    end
  end
  local err = rusta_audit_check(keys[4], args, 5)
  if err then return err end
  local n = tonumber(args[12])
  for i = 0, n - 1 do
    local key = keys[tonumber(args[13 + 3 * i])]
    local field, value = args[14 + 3 * i], args[15 + 3 * i]
    if value == '' then redis.call('HDEL', key, field) else redis.call('HSET', key, field, value) end
  end
  local s = 13 + 3 * n
  if args[s] == '1' then
    rusta_queue_cancel(keys[5], keys[6], args[s + 1])
    rusta_queue_schedule(keys[5], keys[6], args[s + 1], args[s + 2], args[s + 3])
  end
  if args[11] == '1' then redis.call('INCR', keys[1]) end
  rusta_audit_write(keys[3], keys[4], args, 5)
  return rusta_idem_finish(keys[2], args[1], args[4], args[2])
end)

-- Reserves one default assignment of a provider in an area, unless its capacity is reached.
-- keys: assignments, idem, audit_events, audit_heads
-- args: fingerprint, ttl, "<org>|<area>", capacity (0 = none), result, audit (6 args: 6..11)
-- Returns the result, or RESOURCE_EXHAUSTED when full. Does not move the generation: assignments
-- change often and are read fresh with every proximity lookup.
redis.register_function('registry_reserve', function(keys, args)
  local done = rusta_idem_begin(keys[2], args[1])
  if done then return done end
  local err = rusta_audit_check(keys[4], args, 6)
  if err then return err end
  local capacity = tonumber(args[4])
  local used = tonumber(redis.call('HGET', keys[1], args[3]) or '0')
  if capacity > 0 and used >= capacity then
    return redis.error_reply('RESOURCE_EXHAUSTED capacity: the provider is full in this area')
  end
  redis.call('HINCRBY', keys[1], args[3], 1)
  rusta_audit_write(keys[3], keys[4], args, 6)
  return rusta_idem_finish(keys[2], args[1], args[5], args[2])
end)
