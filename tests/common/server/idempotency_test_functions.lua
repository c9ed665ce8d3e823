-- A test-only function library: an idempotent counter increment, the smallest use of the
-- prelude's idempotency helpers. keys: idem key, counter; args: fingerprint, ttl.
redis.register_function('rusta_test_idem_incr', function(keys, args)
  local done = rusta_idem_begin(keys[1], args[1])
  if done then return done end
  local value = redis.call('INCR', keys[2])
  return rusta_idem_finish(keys[1], args[1], tostring(value), args[2])
end)
