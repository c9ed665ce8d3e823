#include "common/stream/stream_consumer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"

namespace rusta::stream {
namespace {

using redis::RedisValue;

absl::Status Malformed(const char* what) { return absl::InternalError(absl::StrCat("malformed ", what, " reply")); }

// [id, [field, value, ...]] (fields nil when the entry was trimmed meanwhile).
absl::StatusOr<StreamEntry> ParseEntry(const RedisValue& v) {
  if (!v.is_array() || v.size() != 2 || !v[0].is_string()) return Malformed("stream entry");
  StreamEntry e;
  e.id = v[0].str;
  for (size_t i = 0; i + 1 < v[1].size(); i += 2) e.fields.emplace_back(v[1][i].str, v[1][i + 1].str);
  return e;
}

absl::Status ParseEntries(const RedisValue& list, std::vector<StreamEntry>* out) {
  if (list.is_nil()) return absl::OkStatus();
  if (!list.is_array()) return Malformed("stream entries");
  for (const RedisValue& v : list.elements) {
    auto e = ParseEntry(v);
    if (!e.ok()) return e.status();
    out->push_back(std::move(*e));
  }
  return absl::OkStatus();
}

// Statuses that say the entry itself can never be handled.
bool Undecodable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDataLoss || s.code() == absl::StatusCode::kInvalidArgument;
}

}  // namespace

const std::string& StreamEntry::Field(const std::string& name) const {
  static const std::string* const kEmpty = new std::string();
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return *kEmpty;
}

StreamConsumer::StreamConsumer(ConsumerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  options_.batch_size = std::max(1, options_.batch_size);
  options_.max_failures = std::max(1, options_.max_failures);
}

std::string StreamConsumer::dead_key() const { return absl::StrCat(options_.stream, ":dead:", options_.group); }
std::string StreamConsumer::failures_key() const {
  return absl::StrCat(options_.stream, ":failures:", options_.group);
}

absl::Status StreamConsumer::EnsureGroup(redis::RedisConnection& redis) {
  // A pipeline keeps the error reply as it is: BUSYGROUP (the group exists) is the usual answer
  // and must not read as an error, nor be logged.
  auto replies = redis.Pipeline({{"XGROUP", "CREATE", options_.stream, options_.group, "0", "MKSTREAM"}});
  if (!replies.ok()) return replies.status();
  const RedisValue& created = (*replies)[0];
  if (created.type == RedisValue::Type::kError && !absl::StartsWith(created.str, "BUSYGROUP")) {
    return redis::RedisConnection::StatusFromErrorReply(created.str);
  }
  group_ready_ = true;
  return absl::OkStatus();
}

absl::StatusOr<RedisValue> StreamConsumer::Read(redis::RedisConnection& redis, const std::vector<std::string>& command) {
  for (int attempt = 0;; ++attempt) {
    if (!group_ready_) {
      if (absl::Status s = EnsureGroup(redis); !s.ok()) return s;
    }
    auto replies = redis.Pipeline({command});
    if (!replies.ok()) return replies.status();
    RedisValue& reply = (*replies)[0];
    if (reply.type != RedisValue::Type::kError) return std::move(reply);
    // The group (or the whole stream) is gone: create it again and read once more.
    if (absl::StartsWith(reply.str, "NOGROUP") && attempt == 0) {
      log::Warning("stream_group_missing", {{"stream", options_.stream}, {"group", options_.group}});
      group_ready_ = false;
      autoclaim_cursor_ = "0-0";
      continue;
    }
    return redis::RedisConnection::StatusFromErrorReply(reply.str);
  }
}

absl::StatusOr<StreamConsumer::Entries> StreamConsumer::ReadGroup(redis::RedisConnection& redis,
                                                                   const std::string& from, int count) {
  auto reply = Read(redis, {"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", absl::StrCat(count),
                            "STREAMS", options_.stream, from});
  if (!reply.ok()) return reply.status();
  Entries entries;
  if (reply->is_nil()) return entries;  // nothing new
  if (!reply->is_array()) return Malformed("XREADGROUP");
  for (const RedisValue& stream : reply->elements) {
    if (!stream.is_array() || stream.size() != 2) return Malformed("XREADGROUP");
    if (absl::Status s = ParseEntries(stream[1], &entries); !s.ok()) return s;
  }
  return entries;
}

absl::StatusOr<StreamConsumer::Entries> StreamConsumer::AutoClaim(redis::RedisConnection& redis, int count) {
  auto reply = Read(redis, {"XAUTOCLAIM", options_.stream, options_.group, options_.consumer,
                            absl::StrCat(options_.min_idle_ms), autoclaim_cursor_, "COUNT", absl::StrCat(count)});
  if (!reply.ok()) return reply.status();
  // [next cursor, claimed entries, ids of pending entries that were trimmed (Redis 7)].
  if (!reply->is_array() || reply->size() < 2 || !(*reply)[0].is_string()) return Malformed("XAUTOCLAIM");
  autoclaim_cursor_ = (*reply)[0].str;
  Entries entries;
  if (absl::Status s = ParseEntries((*reply)[1], &entries); !s.ok()) return s;
  return entries;
}

absl::Status StreamConsumer::Ack(redis::RedisConnection& redis, const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  std::vector<std::string> ack = {"XACK", options_.stream, options_.group};
  std::vector<std::string> forget = {"HDEL", failures_key()};
  ack.insert(ack.end(), ids.begin(), ids.end());
  forget.insert(forget.end(), ids.begin(), ids.end());
  auto replies = redis.Pipeline({ack, forget});
  if (!replies.ok()) return replies.status();
  for (const RedisValue& r : *replies) {
    if (r.type == RedisValue::Type::kError) return redis::RedisConnection::StatusFromErrorReply(r.str);
  }
  return absl::OkStatus();
}

absl::Status StreamConsumer::DeadLetter(redis::RedisConnection& redis, const StreamEntry& entry,
                                        const absl::Status& reason, int64_t failures) {
  std::vector<std::string> add = {"XADD", dead_key(), "*"};
  for (const auto& [k, v] : entry.fields) add.insert(add.end(), {k, v});
  add.insert(add.end(), {"source_id", entry.id, "reason",
                         absl::StrCat(absl::StatusCodeToString(reason.code()), " ", reason.message()), "failures",
                         absl::StrCat(failures), "dead_ms", absl::StrCat(absl::ToUnixMillis(absl::Now()))});
  // The dead letter and the acknowledgement together: never one without the other.
  auto replies = redis.Pipeline({{"MULTI"},
                                 add,
                                 {"XACK", options_.stream, options_.group, entry.id},
                                 {"HDEL", failures_key(), entry.id},
                                 {"EXEC"}});
  if (!replies.ok()) return replies.status();
  const RedisValue& exec = replies->back();
  if (exec.type == RedisValue::Type::kError) return redis::RedisConnection::StatusFromErrorReply(exec.str);
  if (!exec.is_array()) return Malformed("EXEC");
  for (const RedisValue& r : exec.elements) {
    if (r.type == RedisValue::Type::kError) return redis::RedisConnection::StatusFromErrorReply(r.str);
  }
  log::Warning("stream_dead_letter", {{"stream", options_.stream},
                                      {"group", options_.group},
                                      {"entry", entry.id},
                                      {"failures", absl::StrCat(failures)},
                                      {"status", absl::StatusCodeToString(reason.code())},
                                      {"detail", reason.message()}});
  return absl::OkStatus();
}

absl::Status StreamConsumer::HandleAll(redis::RedisConnection& redis, const Entries& entries, int* acked) {
  std::vector<std::string> done;
  auto flush = [&]() -> absl::Status {
    absl::Status s = Ack(redis, done);
    if (s.ok()) *acked += static_cast<int>(done.size());
    done.clear();
    return s;
  };
  for (const StreamEntry& e : entries) {
    // An entry trimmed from the stream while pending comes back without fields: nothing to do.
    absl::Status s = e.fields.empty() ? absl::OkStatus() : handler_(redis, e);
    if (s.ok()) {
      done.push_back(e.id);
      continue;
    }
    if (absl::Status f = flush(); !f.ok()) return f;
    if (s.code() == absl::StatusCode::kUnavailable) return s;  // not the entry's fault
    int64_t failures = 1;
    if (!Undecodable(s)) {
      auto counted = redis.Command({"HINCRBY", failures_key(), e.id, "1"});
      if (!counted.ok()) return counted.status();
      failures = counted->integer;
      if (failures < options_.max_failures) return s;  // stays pending: tried again next run
    }
    if (absl::Status d = DeadLetter(redis, e, s, failures); !d.ok()) return d;
    ++*acked;
  }
  return flush();
}

absl::StatusOr<int> StreamConsumer::RunOnce(redis::RedisConnection& redis, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  int acked = 0;
  auto batch = [&] { return std::min(options_.batch_size, limit - acked); };
  // This consumer's own pending entries first (a failure or a crash between effect and ack).
  while (acked < limit) {
    auto entries = ReadGroup(redis, "0", batch());
    if (!entries.ok()) return entries.status();
    if (entries->empty()) break;
    if (absl::Status s = HandleAll(redis, *entries, &acked); !s.ok()) return s;
  }
  // Entries another consumer left pending too long: it died, they are ours now.
  if (acked < limit) {
    auto entries = AutoClaim(redis, batch());
    if (!entries.ok()) return entries.status();
    if (absl::Status s = HandleAll(redis, *entries, &acked); !s.ok()) return s;
  }
  // Then new ones.
  while (acked < limit) {
    auto entries = ReadGroup(redis, ">", batch());
    if (!entries.ok()) return entries.status();
    if (entries->empty()) break;
    if (absl::Status s = HandleAll(redis, *entries, &acked); !s.ok()) return s;
  }
  return acked;
}

}  // namespace rusta::stream
