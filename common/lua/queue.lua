-- The reliable work queue (see common/queue/work_queue.h) on a Redis stream with one consumer
-- group. Keys of one queue share a hash tag: queue:{name}:stream, :dead, :delayed, :delayed_items.
-- Entries hold 'payload' and 'enqueued_ms'. A claimed entry stays in the group's pending list until
-- completed (XACK + XDEL), so nothing is lost when a worker dies; an entry idle in the pending list
-- for longer than the visibility timeout is claimable again.

local function rusta_queue_enqueue(stream_key, payload, now_ms)
  return redis.call('XADD', stream_key, '*', 'payload', payload, 'enqueued_ms', now_ms)
end

-- Schedules payload to become work at due_ms. item_id is the caller's unique name for it (e.g.
-- "choice-deadline:<case>"): scheduling the same id twice keeps the first (returns 0).
local function rusta_queue_schedule(delayed_key, items_key, item_id, payload, due_ms)
  if redis.call('HSETNX', items_key, item_id, payload) == 0 then return 0 end
  redis.call('ZADD', delayed_key, due_ms, item_id)
  return 1
end

local function rusta_queue_cancel(delayed_key, items_key, item_id)
  redis.call('HDEL', items_key, item_id)
  return redis.call('ZREM', delayed_key, item_id)
end

-- Moves delayed items that are due into the stream, in order of due time. Runs inside a claim, so
-- a due item is promoted exactly once however many replicas claim at the same moment.
local function rusta_queue_promote_due(stream_key, delayed_key, items_key, now_ms, limit)
  local due = redis.call('ZRANGEBYSCORE', delayed_key, '-inf', now_ms, 'WITHSCORES', 'LIMIT', 0, limit)
  for i = 1, #due, 2 do
    local item_id, score = due[i], due[i + 1]
    local payload = redis.call('HGET', items_key, item_id)
    if payload then
      redis.call('XADD', stream_key, '*', 'payload', payload, 'enqueued_ms', score, 'delayed_id', item_id)
    end
    redis.call('ZREM', delayed_key, item_id)
    redis.call('HDEL', items_key, item_id)
  end
end

-- The pending-list entry of id as {id, consumer, idle_ms, deliveries}, or nil.
local function rusta_queue_pending_entry(stream_key, group, id)
  local p = redis.pcall('XPENDING', stream_key, group, id, id, 1)
  if type(p) ~= 'table' or p.err or #p == 0 then return nil end
  return p[1]
end

local function rusta_queue_check_owner(stream_key, group, id, consumer)
  local entry = rusta_queue_pending_entry(stream_key, group, id)
  if not entry then return nil, redis.error_reply('NOT_FOUND queue item is not claimed') end
  if entry[2] ~= consumer then
    return nil, redis.error_reply('FAILED_PRECONDITION queue item is claimed by another worker')
  end
  return entry
end

-- Claims the next item for consumer: first one whose claim expired, else a new one. Returns false
-- when there is none, else {id, deliveries, {field, value, ...}}. Items delivered max_deliveries
-- times without completion go to the dead-letter stream on the way.
local function rusta_queue_claim_next(stream, dead, delayed, items, group, consumer, now_ms,
                                      visibility, max_deliveries, promote_limit)
  rusta_queue_promote_due(stream, delayed, items, now_ms, promote_limit)
  -- An error here means the group exists already, the normal case.
  redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  for _ = 1, 100 do
    local p = redis.call('XPENDING', stream, group, 'IDLE', visibility, '-', '+', 1)
    if #p == 0 then break end
    local id, deliveries = p[1][1], p[1][4]
    local entry = redis.call('XRANGE', stream, id, id)
    if #entry == 0 then
      redis.call('XACK', stream, group, id)  -- deleted under us: nothing to deliver
    elseif deliveries >= max_deliveries then
      redis.call('XADD', dead, '*', 'source_id', id, 'deliveries', deliveries, 'dead_ms', now_ms, unpack(entry[1][2]))
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
end

-- Completes a claimed item (only its holder may); returns its fields, or an error reply.
local function rusta_queue_complete_item(stream, group, id, consumer)
  local owner, err = rusta_queue_check_owner(stream, group, id, consumer)
  if not owner then return err end
  local entry = redis.call('XRANGE', stream, id, id)
  redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
  if #entry == 0 then return {} end
  return entry[1][2]
end

-- Gives a claimed item back at once: its idle time is set to the visibility timeout, so the next
-- claim takes it. A plain release does not count as a delivery; a failure does.
local function rusta_queue_release_item(stream, group, id, consumer, count_as_failure, visibility)
  local owner, err = rusta_queue_check_owner(stream, group, id, consumer)
  if not owner then return err end
  local deliveries = owner[4]
  if not count_as_failure then deliveries = math.max(deliveries - 1, 0) end
  redis.call('XCLAIM', stream, group, consumer, 0, id, 'IDLE', visibility, 'RETRYCOUNT', deliveries, 'JUSTID')
  return deliveries
end

-- The claim of one request_id (ClaimWork-like RPCs): the item remembered under idem_key, or a new
-- claim remembered there in the same call, so that concurrent or retried claims with one
-- request_id get one item and no claim is lost with its answer. `stale` names a remembered item
-- the caller found to be work no longer needed: if the record still names it, it leaves the queue
-- and the next item is claimed under the same request_id.
-- Returns the record "<id> <deliveries> <enqueued_ms> <payload>" ('' when nothing is due) and
-- whether this call made the claim; or an error reply (a table), to be returned as it is.
local function rusta_queue_claim_once(stream, dead, delayed, items, idem_key, fingerprint, ttl, group,
                                      consumer, now_ms, visibility, max_deliveries, promote_limit, stale)
  local stored = redis.call('HMGET', idem_key, 'fingerprint', 'result')
  if stored[1] then
    if stored[1] ~= fingerprint then
      return redis.error_reply('INVALID_ARGUMENT request_id: already used for a different request'), false
    end
    if stale == '' or string.sub(stored[2], 1, #stale + 1) ~= stale .. ' ' then return stored[2], false end
    rusta_queue_complete_item(stream, group, stale, consumer)
    redis.call('DEL', idem_key)
  end
  local claimed = rusta_queue_claim_next(stream, dead, delayed, items, group, consumer, now_ms,
                                         visibility, max_deliveries, promote_limit)
  if not claimed then return '', false end
  local payload, enqueued = '', '0'
  local f = claimed[3]
  for i = 1, #f, 2 do
    if f[i] == 'payload' then payload = f[i + 1] elseif f[i] == 'enqueued_ms' then enqueued = f[i + 1] end
  end
  local record = claimed[1] .. ' ' .. claimed[2] .. ' ' .. enqueued .. ' ' .. payload
  redis.call('HSET', idem_key, 'fingerprint', fingerprint, 'result', record)
  redis.call('EXPIRE', idem_key, ttl)
  return record, true
end
