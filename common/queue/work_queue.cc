#include "common/queue/work_queue.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rusta::queue {
namespace {

using redis::RedisValue;

int64_t ToInt(const RedisValue& v) {
  if (v.is_integer()) return v.integer;
  int64_t out = 0;
  if (v.is_string()) (void)absl::SimpleAtoi(v.str, &out);
  return out;
}

// Fills the item's fields from a flat [field, value, ...] array.
void ReadFields(const RedisValue& fields, QueueItem* item) {
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].str;
    if (name == "payload") item->payload = fields[i + 1].str;
    else if (name == "enqueued_ms") item->enqueued_ms = ToInt(fields[i + 1]);
    else if (name == "delayed_id") item->delayed_id = fields[i + 1].str;
  }
}

absl::Status Malformed() { return absl::InternalError("malformed queue reply"); }

}  // namespace

WorkQueue::WorkQueue(QueueOptions options) : options_(std::move(options)) {}

std::string WorkQueue::stream_key() const { return absl::StrCat("queue:{", options_.name, "}:stream"); }
std::string WorkQueue::dead_key() const { return absl::StrCat("queue:{", options_.name, "}:dead"); }
std::string WorkQueue::delayed_key() const { return absl::StrCat("queue:{", options_.name, "}:delayed"); }
std::string WorkQueue::delayed_items_key() const {
  return absl::StrCat("queue:{", options_.name, "}:delayed_items");
}

absl::StatusOr<std::string> WorkQueue::Enqueue(redis::RedisConnection& redis,
                                               const std::string& payload, int64_t now_ms) const {
  auto reply = redis.Call("rusta_queue_enqueue", {stream_key()}, {payload, absl::StrCat(now_ms)});
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<bool> WorkQueue::Schedule(redis::RedisConnection& redis,
                                         const std::string& schedule_id,
                                         const std::string& payload, int64_t due_ms) const {
  auto reply = redis.Call("rusta_queue_schedule", {delayed_key(), delayed_items_key()},
                          {schedule_id, payload, absl::StrCat(due_ms)});
  if (!reply.ok()) return reply.status();
  return reply->integer == 1;
}

absl::StatusOr<bool> WorkQueue::CancelScheduled(redis::RedisConnection& redis,
                                                const std::string& schedule_id) const {
  auto reply = redis.Call("rusta_queue_cancel", {delayed_key(), delayed_items_key()}, {schedule_id});
  if (!reply.ok()) return reply.status();
  return reply->integer == 1;
}

std::vector<std::string> WorkQueue::ClaimKeys() const {
  return {stream_key(), dead_key(), delayed_key(), delayed_items_key()};
}

std::vector<std::string> WorkQueue::ClaimArgs(const std::string& worker, int64_t now_ms) const {
  return {options_.group, worker, absl::StrCat(now_ms), absl::StrCat(options_.visibility_timeout_ms),
          absl::StrCat(options_.max_deliveries), absl::StrCat(options_.promote_limit)};
}

absl::StatusOr<std::optional<QueueItem>> WorkQueue::ParseClaimReply(const redis::RedisValue& reply) {
  if (reply.is_nil()) return std::optional<QueueItem>();
  if (!reply.is_array() || reply.size() != 3) return Malformed();
  QueueItem item;
  item.id = reply[0].str;
  item.deliveries = ToInt(reply[1]);
  ReadFields(reply[2], &item);
  return std::optional<QueueItem>(std::move(item));
}

absl::StatusOr<std::optional<QueueItem>> WorkQueue::Claim(redis::RedisConnection& redis,
                                                          const std::string& worker,
                                                          int64_t now_ms) const {
  auto reply = redis.Call("rusta_queue_claim", ClaimKeys(), ClaimArgs(worker, now_ms));
  if (!reply.ok()) return reply.status();
  return ParseClaimReply(*reply);
}

absl::StatusOr<std::optional<QueueItem>> WorkQueue::ParseClaimRecord(const std::string& record) {
  if (record.empty()) return std::optional<QueueItem>();
  std::vector<std::string> parts = absl::StrSplit(record, absl::MaxSplits(' ', 3));
  QueueItem item;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[1], &item.deliveries) ||
      !absl::SimpleAtoi(parts[2], &item.enqueued_ms)) {
    return Malformed();
  }
  item.id = parts[0];
  item.payload = parts[3];
  return std::optional<QueueItem>(std::move(item));
}

absl::StatusOr<std::optional<QueueItem>> WorkQueue::ClaimOnce(redis::RedisConnection& redis,
                                                              const std::string& idem_key,
                                                              const std::string& fingerprint,
                                                              int64_t ttl_seconds, const std::string& worker,
                                                              int64_t now_ms,
                                                              const std::string& stale_item) const {
  std::vector<std::string> keys = ClaimKeys();
  keys.push_back(idem_key);
  std::vector<std::string> args = {fingerprint, absl::StrCat(ttl_seconds)};
  for (std::string& a : ClaimArgs(worker, now_ms)) args.push_back(std::move(a));
  args.push_back(stale_item);
  auto reply = redis.Call("rusta_queue_claim_once", keys, args);
  if (!reply.ok()) return reply.status();
  return ParseClaimRecord(reply->str);
}

absl::StatusOr<QueueItem> WorkQueue::Complete(redis::RedisConnection& redis, const std::string& id,
                                              const std::string& worker) const {
  auto reply = redis.Call("rusta_queue_complete", {stream_key()}, {options_.group, id, worker});
  if (!reply.ok()) return reply.status();
  QueueItem item;
  item.id = id;
  ReadFields(*reply, &item);
  return item;
}

absl::Status WorkQueue::GiveBack(redis::RedisConnection& redis, const std::string& id,
                                 const std::string& worker, bool count_as_failure) const {
  auto reply = redis.Call("rusta_queue_release", {stream_key()},
                          {options_.group, id, worker, count_as_failure ? "1" : "0",
                           absl::StrCat(options_.visibility_timeout_ms)});
  return reply.status();
}

absl::Status WorkQueue::Release(redis::RedisConnection& redis, const std::string& id,
                                const std::string& worker) const {
  return GiveBack(redis, id, worker, false);
}

absl::Status WorkQueue::Fail(redis::RedisConnection& redis, const std::string& id,
                             const std::string& worker) const {
  return GiveBack(redis, id, worker, true);
}

absl::Status WorkQueue::Extend(redis::RedisConnection& redis, const std::string& id,
                               const std::string& worker) const {
  return redis.Call("rusta_queue_extend", {stream_key()}, {options_.group, id, worker}).status();
}

absl::StatusOr<QueueStats> WorkQueue::Stats(redis::RedisConnection& redis) const {
  auto reply = redis.Call("rusta_queue_stats", {stream_key(), dead_key(), delayed_key()},
                          {options_.group});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->size() != 6) return Malformed();
  QueueStats stats;
  const int64_t entries = ToInt((*reply)[0]);
  stats.claimed = ToInt((*reply)[1]);
  stats.waiting = entries - stats.claimed;
  stats.scheduled = ToInt((*reply)[2]);
  stats.dead = ToInt((*reply)[3]);
  stats.oldest_enqueued_ms = ToInt((*reply)[4]);
  stats.next_due_ms = ToInt((*reply)[5]);
  return stats;
}

absl::StatusOr<std::vector<DeadLetter>> WorkQueue::DeadLetters(redis::RedisConnection& redis,
                                                               int64_t limit) const {
  auto reply = redis.Command({"XRANGE", dead_key(), "-", "+", "COUNT", absl::StrCat(limit)});
  if (!reply.ok()) return reply.status();
  std::vector<DeadLetter> out;
  for (const RedisValue& entry : reply->elements) {
    if (entry.size() != 2) return Malformed();
    DeadLetter d;
    d.id = entry[0].str;
    const RedisValue& f = entry[1];
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      const std::string& name = f[i].str;
      if (name == "source_id") d.source_id = f[i + 1].str;
      else if (name == "payload") d.payload = f[i + 1].str;
      else if (name == "deliveries") d.deliveries = ToInt(f[i + 1]);
      else if (name == "enqueued_ms") d.enqueued_ms = ToInt(f[i + 1]);
      else if (name == "dead_ms") d.dead_ms = ToInt(f[i + 1]);
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace rusta::queue
