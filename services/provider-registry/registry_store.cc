#include "services/provider-registry/registry_store.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/server/idempotency.h"

namespace rusta::registry {
namespace {

constexpr Table kSnapshotTables[] = {Table::kMunicipalities, Table::kProviders, Table::kAreas,
                                     Table::kContracts, Table::kOffices};

std::map<std::string, std::string> FromHash(const redis::RedisValue& v) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < v.size(); i += 2) out.emplace(v[i].str, v[i + 1].str);
  return out;
}

}  // namespace

std::string RegistryStore::Key(Table table) {
  switch (table) {
    case Table::kMunicipalities: return "registry:{registry}:municipalities";
    case Table::kProviders: return "registry:{registry}:providers";
    case Table::kAreas: return "registry:{registry}:areas";
    case Table::kContracts: return "registry:{registry}:contracts";
    case Table::kOffices: return "registry:{registry}:offices";
    case Table::kOutcomes: return "registry:{registry}:outcomes";
    case Table::kRatingRuns: return "registry:{registry}:rating-runs";
    case Table::kComplaints: return "registry:{registry}:complaints";
    case Table::kSanctions: return "registry:{registry}:sanctions";
  }
  return "";
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         (absl::StartsWith(status.message(), "registry.generation") ||
          audit::AuditLog::IsChainConflict(status));
}

absl::StatusOr<RawRegistry> RegistryStore::Read(redis::RedisConnection& redis, int64_t cached_generation,
                                                const std::string& idem_key,
                                                const std::string& fingerprint) const {
  RawRegistry out;
  // First the generation (and the idempotency key): most requests stop there.
  std::vector<std::vector<std::string>> first = {{"GET", GenerationKey()}, {"HGETALL", AssignmentsKey()}};
  if (!idem_key.empty()) first.push_back(server::EarlierResultCommand(idem_key));
  auto replies = redis.Pipeline(first);
  if (!replies.ok()) return replies.status();
  if ((*replies)[0].is_string()) (void)absl::SimpleAtoi((*replies)[0].str, &out.generation);
  for (const auto& [k, v] : FromHash((*replies)[1])) {
    int n = 0;
    if (absl::SimpleAtoi(v, &n)) out.assignments[k] = n;
  }
  if (!idem_key.empty()) {
    auto earlier = server::EarlierResult((*replies)[2], fingerprint);
    if (!earlier.ok()) return earlier.status();
    out.earlier_result = std::move(*earlier);
  }
  if (out.generation == cached_generation && cached_generation >= 0) return out;
  // The snapshot moved: read every table and the generation in one transaction.
  std::vector<std::vector<std::string>> load = {{"MULTI"}, {"GET", GenerationKey()}};
  for (Table t : kSnapshotTables) load.push_back({"HGETALL", Key(t)});
  load.push_back({"EXEC"});
  auto loaded = redis.Pipeline(load);
  if (!loaded.ok()) return loaded.status();
  const redis::RedisValue& exec = loaded->back();
  if (!exec.is_array() || exec.size() != 1 + std::size(kSnapshotTables)) {
    return absl::InternalError("registry snapshot read failed");
  }
  out.generation = 0;
  if (exec[0].is_string()) (void)absl::SimpleAtoi(exec[0].str, &out.generation);
  for (size_t i = 0; i < std::size(kSnapshotTables); ++i) {
    out.tables[kSnapshotTables[i]] = FromHash(exec[1 + i]);
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> RegistryStore::ReadTable(redis::RedisConnection& redis,
                                                                            Table table) const {
  auto reply = redis.Command({"HGETALL", Key(table)});
  if (!reply.ok()) return reply.status();
  return FromHash(*reply);
}

absl::StatusOr<std::optional<std::string>> RegistryStore::ReadField(redis::RedisConnection& redis, Table table,
                                                                    const std::string& field) const {
  auto reply = redis.Command({"HGET", Key(table), field});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(reply->str);
}

absl::StatusOr<std::string> RegistryStore::Write(redis::RedisConnection& redis, WriteGuard guard,
                                                 const std::vector<WriteOp>& ops, const std::string& result,
                                                 const std::string& idem_key, const std::string& fingerprint,
                                                 const audit::PreparedEvent& event,
                                                 const std::optional<FollowUpSchedule>& schedule) const {
  std::vector<std::string> keys = {GenerationKey(), idem_key, audit_.events_key(), audit_.heads_key(),
                                   delayed_key_, items_key_};
  std::map<Table, int> key_index;
  for (const WriteOp& op : ops) {
    if (key_index.count(op.table) == 0) {
      keys.push_back(Key(op.table));
      key_index[op.table] = static_cast<int>(keys.size());  // Lua indexes from 1
    }
  }
  std::vector<std::string> args = {
      fingerprint, absl::StrCat(server::kIdempotencyTtlSeconds),
      guard.expected_generation < 0 ? "-" : absl::StrCat(guard.expected_generation), result};
  args.insert(args.end(), event.args.begin(), event.args.end());
  args.push_back(guard.bump ? "1" : "0");
  args.push_back(absl::StrCat(ops.size()));
  for (const WriteOp& op : ops) {
    args.push_back(absl::StrCat(key_index[op.table]));
    args.push_back(op.field);
    args.push_back(op.value);
  }
  if (schedule.has_value()) {
    args.insert(args.end(), {"1", schedule->schedule_id, schedule->payload, absl::StrCat(schedule->due_ms)});
  } else {
    args.push_back("0");
  }
  auto reply = redis.Call("registry_write", keys, args);
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::string> RegistryStore::Reserve(redis::RedisConnection& redis, const std::string& assignment_key,
                                                   int capacity, const std::string& result,
                                                   const std::string& idem_key, const std::string& fingerprint,
                                                   const audit::PreparedEvent& event) const {
  std::vector<std::string> args = {fingerprint, absl::StrCat(server::kIdempotencyTtlSeconds), assignment_key,
                                   absl::StrCat(capacity), result};
  args.insert(args.end(), event.args.begin(), event.args.end());
  auto reply = redis.Call("registry_reserve",
                          {AssignmentsKey(), idem_key, audit_.events_key(), audit_.heads_key()}, args);
  if (!reply.ok()) return reply.status();
  return reply->str;
}

}  // namespace rusta::registry
