#pragma once
// Where the registry lives in Redis (docs/architecture.md): a handful of hashes under the hash
// tag {registry}, each field one serialised rusta.v1 message, plus a generation counter that
// every change increments.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/redis/redis_connection.h"

namespace rusta::registry {

enum class Table {
  kMunicipalities, kProviders, kAreas, kContracts, kOffices, kOutcomes, kRatingRuns, kComplaints,
  kSanctions,
};

struct WriteOp {
  Table table;
  std::string field;
  std::string value;  // serialised message; empty deletes the field
};

// A provider's next follow-up, scheduled in the same call as the change (replacing any earlier).
struct FollowUpSchedule {
  std::string schedule_id;  // "follow-up:<org>"
  std::string payload;      // the organisation number
  int64_t due_ms = 0;
};

// Whether the snapshot tables are written (then the generation moves) and, if so, which
// generation the change was computed from; -1 means "do not check".
struct WriteGuard {
  int64_t expected_generation = -1;
  bool bump = false;
};

// The tables every request may need, read in one transaction.
struct RawRegistry {
  int64_t generation = 0;
  std::map<Table, std::map<std::string, std::string>> tables;  // the snapshot tables
  std::map<std::string, int> assignments;                       // "<org>|<area>" → count
  std::optional<std::string> earlier_result;                   // of the idempotency key, if asked
};

class RegistryStore {
 public:
  RegistryStore(const audit::AuditLog& audit, std::string follow_up_delayed_key,
                std::string follow_up_items_key)
      : audit_(audit), delayed_key_(std::move(follow_up_delayed_key)), items_key_(std::move(follow_up_items_key)) {}

  static std::string Key(Table table);
  static std::string GenerationKey() { return "registry:{registry}:generation"; }
  static std::string AssignmentsKey() { return "registry:{registry}:assignments"; }

  // The generation, and (when it differs from `cached_generation`) the snapshot tables; with an
  // idempotency key, also that key's earlier result (INVALID_ARGUMENT for another request's key).
  absl::StatusOr<RawRegistry> Read(redis::RedisConnection& redis, int64_t cached_generation,
                                   const std::string& idem_key, const std::string& fingerprint) const;
  // One table that is not part of the snapshot (outcomes, rating runs, complaints, sanctions).
  absl::StatusOr<std::map<std::string, std::string>> ReadTable(redis::RedisConnection& redis, Table table) const;
  absl::StatusOr<std::optional<std::string>> ReadField(redis::RedisConnection& redis, Table table,
                                                       const std::string& field) const;

  // registry_write: checks generation and chain head, writes, bumps the generation, audits.
  absl::StatusOr<std::string> Write(redis::RedisConnection& redis, WriteGuard guard,
                                    const std::vector<WriteOp>& ops, const std::string& result,
                                    const std::string& idem_key, const std::string& fingerprint,
                                    const audit::PreparedEvent& event,
                                    const std::optional<FollowUpSchedule>& schedule) const;
  // registry_reserve: one default assignment unless the capacity (>0) is reached.
  absl::StatusOr<std::string> Reserve(redis::RedisConnection& redis, const std::string& assignment_key,
                                      int capacity, const std::string& result, const std::string& idem_key,
                                      const std::string& fingerprint, const audit::PreparedEvent& event) const;

  const audit::AuditLog& audit() const { return audit_; }

 private:
  const audit::AuditLog& audit_;
  std::string delayed_key_, items_key_;
};

// Whether a failed write only lost a race (the registry or the chain moved): read again and retry.
bool IsRetryable(const absl::Status& status);

}  // namespace rusta::registry
