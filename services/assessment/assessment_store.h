#pragma once
// Where assessments live in Redis (keys in docs/architecture.md), behind one small class. Every
// change is one function call of services/assessment/lua/assessment.lua.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/queue/work_queue.h"
#include "common/redis/redis_connection.h"
#include "rusta/v1/assessment.pb.h"
#include "rusta/v1/audit.pb.h"

namespace rusta::assessment {

struct StoredAssessment {
  rusta::v1::Assessment assessment;  // assessment.version() is the stored version
};

// What a mutation hands to Redis besides the new data.
struct Mutation {
  std::string idem_key;
  std::string fingerprint;
  int64_t read_version = 0;             // the version the change was computed from
  const rusta::v1::Assessment* data = nullptr;  // the new state (its version = read_version + 1)
  const audit::PreparedEvent* audit = nullptr;  // prepared on the chain head read with the data
};

class AssessmentStore {
 public:
  AssessmentStore(const audit::AuditLog& audit, std::string pseudonym_secret,
                  const queue::WorkQueue& support_queue);

  static std::string AssessmentKey(const std::string& id);
  std::string PersonIndexKey(const std::string& person_id) const;
  static std::string TimeIndexKey();
  static std::string DecisionKey(const std::string& case_id);
  // The audit chain of an assessment: its whole history, reads included.
  static std::string Chain(const std::string& id);

  // Stores a new assessment; returns the id stored under the idempotency key (the first call's id
  // on a repeat, which differs from assessment.assessment_id()).
  absl::StatusOr<std::string> Create(redis::RedisConnection& redis,
                                     const rusta::v1::Assessment& assessment, int64_t assessed_ms,
                                     const std::string& idem_key, const std::string& fingerprint,
                                     const rusta::v1::AuditEvent& audit) const;

  absl::StatusOr<std::optional<rusta::v1::Assessment>> Get(redis::RedisConnection& redis,
                                                           const std::string& id) const;
  // Several at once (one round trip); missing ones are skipped.
  absl::StatusOr<std::vector<rusta::v1::Assessment>> GetMany(redis::RedisConnection& redis,
                                                             const std::vector<std::string>& ids) const;

  // One round trip: the stored result of an earlier call with this idempotency key (nullopt when
  // none, or no key given; INVALID_ARGUMENT when the key was used for a different request), the
  // assessment, and the head of its audit chain.
  struct ReadForUpdate {
    std::optional<std::string> earlier_result;
    std::optional<rusta::v1::Assessment> assessment;
    redis::RedisValue audit_head;
  };
  absl::StatusOr<ReadForUpdate> Read(redis::RedisConnection& redis, const std::string& idem_key,
                                     const std::string& fingerprint, const std::string& id) const;

  // The functions of assessment.lua; each returns the function's result string.
  absl::StatusOr<std::string> Update(redis::RedisConnection& redis, const Mutation& m) const;
  absl::StatusOr<std::string> LinkDecision(redis::RedisConnection& redis, const Mutation& m,
                                           const std::string& case_id) const;
  absl::StatusOr<std::string> SendToSupport(redis::RedisConnection& redis, const Mutation& m,
                                            int64_t now_ms) const;
  absl::StatusOr<std::string> CompleteReview(redis::RedisConnection& redis, const Mutation& m,
                                             const std::string& item_id,
                                             const std::string& worker) const;
  // "" when nothing was due, else "<item id> <deliveries> <enqueued_ms> <assessment id>".
  absl::StatusOr<std::string> ClaimReview(redis::RedisConnection& redis, const std::string& idem_key,
                                          const std::string& fingerprint, const std::string& worker,
                                          int64_t now_ms) const;

  // Ids of a person's assessments, newest first.
  absl::StatusOr<std::vector<std::string>> PersonAssessmentIds(redis::RedisConnection& redis,
                                                               const std::string& person_id,
                                                               int64_t offset, int64_t count) const;
  // Ids of assessments made in [from_ms, to_ms], oldest first.
  absl::StatusOr<std::vector<std::string>> IdsInPeriod(redis::RedisConnection& redis, int64_t from_ms,
                                                       int64_t to_ms) const;

 private:
  std::vector<std::string> MutationArgs(const Mutation& m) const;

  const audit::AuditLog& audit_;
  std::string pseudonym_secret_;
  const queue::WorkQueue& support_queue_;
};

}  // namespace rusta::assessment
