-- The referral service's Redis function. Every change of a case, whatever the RPC, is ONE call of
-- referral_apply: it checks the idempotency key, the case version (and any other version or queue
-- claim the change rests on) and the head of the case's audit chain, then performs the change's
-- writes (case, reports, indexes, queue items, scheduled deadlines, published events), appends
-- the audit event and remembers the response for a repeated request_id. Nothing is written
-- unless every check passes. The C++ side (services/referral/case_store.cc) computes the new
-- values from what it read and describes the writes as a list of operations, so that one small,
-- reviewed interpreter serves every transition instead of one Lua function per RPC.
--
-- keys: [1] idempotency key ("" = none), [2] audit events, [3] audit heads, [4..] operation keys
-- args: [1] fingerprint, [2] idempotency ttl, [3] the response to remember and return,
--       [4..9] the audit event (chain, expected head, seq, prev, hash, body),
--       [10..] operations, each "<op>" followed by its fields; keys are named by their index.
--
-- Checks (all run before the first write):
--   V key expected       hash field 'version' equals expected ('0': the key must not exist)
--   O stream group id consumer   the queue item is claimed by consumer (completed by the write pass)
-- Writes:
--   W key data version   HSET data, version        H key field value   HSET one field
--   Z key score member   ZADD                      ZR key member       ZREM
--   S key member         SADD                      SR key member       SREM
--   E stream payload now_ms                        enqueue a queue item
--   D delayed items id payload due_ms              schedule a delayed item (first one stays)
--   C delayed items id                             cancel a scheduled item
--   P stream maxlen type data                      publish an event (XADD MAXLEN ~)

local AUDIT = 4
local FIRST_OP = 10

local ARITY = {V = 2, O = 4, W = 3, H = 3, Z = 3, ZR = 2, S = 2, SR = 2, E = 3, D = 5, C = 3, P = 4}

local function referral_ops(args)
  local ops, i = {}, FIRST_OP
  while i <= #args do
    local name = args[i]
    local n = ARITY[name]
    if not n then return nil, redis.error_reply('INTERNAL referral_apply: unknown operation ' .. tostring(name)) end
    local op = {name = name}
    for j = 1, n do op[j] = args[i + j] end
    ops[#ops + 1] = op
    i = i + n + 1
  end
  return ops
end

local function referral_check(keys, op)
  if op.name == 'V' then
    local current = redis.call('HGET', keys[tonumber(op[1])], 'version')
    if op[2] == '0' then
      if current then return redis.error_reply('ALREADY_EXISTS version: the record exists already') end
    elseif not current then
      return redis.error_reply('NOT_FOUND case: not found')
    elseif current ~= op[2] then
      return redis.error_reply('ABORTED version: expected ' .. op[2] .. ', current ' .. current)
    end
  elseif op.name == 'O' then
    local _, err = rusta_queue_check_owner(keys[tonumber(op[1])], op[2], op[3], op[4])
    if err then return err end
  end
  return nil
end

local function referral_write(keys, op)
  local name = op.name
  if name == 'W' then
    redis.call('HSET', keys[tonumber(op[1])], 'data', op[2], 'version', op[3])
  elseif name == 'H' then
    redis.call('HSET', keys[tonumber(op[1])], op[2], op[3])
  elseif name == 'Z' then
    redis.call('ZADD', keys[tonumber(op[1])], op[2], op[3])
  elseif name == 'ZR' then
    redis.call('ZREM', keys[tonumber(op[1])], op[2])
  elseif name == 'S' then
    redis.call('SADD', keys[tonumber(op[1])], op[2])
  elseif name == 'SR' then
    redis.call('SREM', keys[tonumber(op[1])], op[2])
  elseif name == 'E' then
    rusta_queue_enqueue(keys[tonumber(op[1])], op[2], op[3])
  elseif name == 'D' then
    rusta_queue_schedule(keys[tonumber(op[1])], keys[tonumber(op[2])], op[3], op[4], op[5])
  elseif name == 'C' then
    rusta_queue_cancel(keys[tonumber(op[1])], keys[tonumber(op[2])], op[3])
  elseif name == 'O' then
    rusta_queue_complete_item(keys[tonumber(op[1])], op[2], op[3], op[4])
  elseif name == 'P' then
    redis.call('XADD', keys[tonumber(op[1])], 'MAXLEN', '~', op[2], '*', 'type', op[3], 'data', op[4])
  end
end

redis.register_function('referral_apply', function(keys, args)
  local idem = keys[1]
  if idem ~= '' then
    local done = rusta_idem_begin(idem, args[1])
    if done then return done end
  end
  local ops, err = referral_ops(args)
  if not ops then return err end
  for _, op in ipairs(ops) do
    err = referral_check(keys, op)
    if err then return err end
  end
  err = rusta_audit_check(keys[3], args, AUDIT)
  if err then return err end
  for _, op in ipairs(ops) do referral_write(keys, op) end
  rusta_audit_write(keys[2], keys[3], args, AUDIT)
  if idem ~= '' then return rusta_idem_finish(idem, args[1], args[3], args[2]) end
  return args[3]
end)

-- ClaimWork: the claim, its request_id and the remembered result in one call, so that concurrent or
-- retried claims with one request_id get the same item and a claim is never lost with its answer.
-- keys: [1..4] the queue's claim keys (stream, dead, delayed, delayed items), [5] idempotency key,
--       [6] first claims (hash: "<queue>/<item>" -> ms), [7] decision claims (hash: case -> ms)
-- args: [1] fingerprint, [2] ttl, [3..8] the queue's claim arguments (group, consumer, now_ms,
--       visibility, max deliveries, promote limit), [9] queue short name, [10] '1' for the decisions
--       queue, [11] a stale item: the remembered claim turned out to be work no longer needed; if the
--       record still names it, it leaves the queue and the next item is claimed under the same id.
-- Returns '' (nothing due) or "<item id> <deliveries> <enqueued_ms> <payload>".
redis.register_function('referral_claim_work', function(keys, args)
  local record, fresh = rusta_queue_claim_once(keys[1], keys[2], keys[3], keys[4], keys[5], args[1], args[2],
                                               args[3], args[4], args[5], tonumber(args[6]), tonumber(args[7]),
                                               tonumber(args[8]), args[11])
  if type(record) == 'table' then return record end
  if fresh then  -- first claims, for the handling-time report
    local id, payload = string.match(record, '^(%S+) %S+ %S+ (.*)$')
    redis.call('HSETNX', keys[6], args[9] .. '/' .. id, args[5])
    if args[10] == '1' then
      local case_id = string.match(payload, '^[^|]*|([^|]*)|')
      if case_id then redis.call('HSETNX', keys[7], case_id, args[5]) end
    end
  end
  return record
end)
