#pragma once
// Where cases live in Redis (keys in docs/architecture.md), behind one small class. Every change
// of a case is one call of referral_apply (services/referral/lua/referral.lua), described by a
// CaseWrite: the checks it rests on and the writes it makes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/queue/work_queue.h"
#include "common/redis/redis_connection.h"
#include "rusta/v1/referral.pb.h"

namespace rusta::referral {

// The operations of one referral_apply call, in the order given (checks run before any write
// whatever their position). Keys are collected once each.
class CaseWrite {
 public:
  void CheckVersion(const std::string& key, int64_t expected);
  // The queue item must be claimed by `consumer`; the write pass completes it.
  void CompleteItem(const queue::WorkQueue& queue, const std::string& item_id,
                    const std::string& consumer);
  void Put(const std::string& key, const std::string& data, int64_t version);
  void HashSet(const std::string& key, const std::string& field, const std::string& value);
  void ZAdd(const std::string& key, int64_t score, const std::string& member);
  void ZRem(const std::string& key, const std::string& member);
  void SAdd(const std::string& key, const std::string& member);
  void SRem(const std::string& key, const std::string& member);
  void Enqueue(const queue::WorkQueue& queue, const std::string& payload, int64_t now_ms);
  void Schedule(const queue::WorkQueue& queue, const std::string& schedule_id,
                const std::string& payload, int64_t due_ms);
  void Cancel(const queue::WorkQueue& queue, const std::string& schedule_id);
  void Publish(const std::string& stream, int64_t max_length, const std::string& type,
               const std::string& data);

  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<std::string>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::string KeyRef(const std::string& key);
  void Op(std::initializer_list<std::string> fields);
  std::vector<std::string> keys_;  // KEYS[4..]
  std::vector<std::string> ops_;
};

// A case as read for a change, with everything the change is checked against.
struct CaseRead {
  std::optional<std::string> earlier_result;  // a repeated request_id: the first response
  std::optional<rusta::v1::Case> case_record;
  redis::RedisValue audit_head;               // of the case's chain
  std::vector<redis::RedisValue> extra;       // replies to the caller's extra commands
};

class CaseStore {
 public:
  CaseStore(const audit::AuditLog& audit, std::string pseudonym_secret, int64_t events_max_length);

  static std::string CaseKey(const std::string& case_id);
  // A case's provider documents: hash report_id → serialised CaseReport.
  static std::string ReportsKey(const std::string& case_id);
  // The current revision of each reported month: hash "YYYY-MM" → report_id.
  static std::string MonthsKey(const std::string& case_id);
  // A person's cases (set), under an HMAC pseudonym so that no personnummer is in a key name.
  std::string PersonIndexKey(const std::string& person_id) const;
  // A provider's current participants (set of case ids), and every case it ever had.
  // A provider's current participants: a sorted set (all scores 0) so that it pages by case id.
  static std::string ProviderCurrentKey(const std::string& organisation_number);
  static std::string ProviderEverKey(const std::string& organisation_number);
  // Every case by creation time, and decided cases by decision time (sorted sets, ms).
  static std::string AllCasesKey();
  static std::string DecidedKey();
  // When a decision item was first claimed, per case (hash case_id → ms).
  static std::string DecisionClaimsKey();
  // When each queue item was first claimed (hash item id → ms), and completed items per queue
  // (sorted set by completion ms of "<item>|<enqueued_ms>|<first_claim_ms>|<completed_ms>").
  static std::string FirstClaimsKey();
  static std::string HandledKey(const std::string& queue_name);
  // The stream every case and report event is published on.
  static std::string EventsStream();
  static std::string Chain(const std::string& case_id);

  const audit::AuditLog& audit() const { return audit_; }
  int64_t events_max_length() const { return events_max_length_; }

  // One round trip: the idempotency record (INVALID_ARGUMENT when the id was used for another
  // request), the case, its chain head and the replies to `extra`.
  absl::StatusOr<CaseRead> Read(redis::RedisConnection& redis, const std::string& idem_key,
                                const std::string& fingerprint, const std::string& case_id,
                                const std::vector<std::vector<std::string>>& extra = {}) const;

  // One round trip: referral_apply. Returns the remembered response (the first call's on a repeat).
  absl::StatusOr<std::string> Apply(redis::RedisConnection& redis, const std::string& idem_key,
                                    const std::string& fingerprint, const std::string& response,
                                    const audit::PreparedEvent& audit, const CaseWrite& write) const;

  // One round trip: referral_claim_work (claim, first-claim times and the request_id's record in one
  // atomic call). nullopt: nothing due. `stale_item` names a remembered claim found to be work no
  // longer needed: it is completed and the next item claimed under the same request_id.
  absl::StatusOr<std::optional<queue::QueueItem>> ClaimWork(redis::RedisConnection& redis, const queue::WorkQueue& queue,
                                                   const std::string& queue_name, bool decisions,
                                                   const std::string& idem_key, const std::string& fingerprint,
                                                   const std::string& worker, int64_t now_ms,
                                                   const std::string& stale_item) const;

  // Case ids from an index, in its order, after `cursor` ("" = from the start), at most `count`:
  // each with the cursor that continues after it. Reads one page of the index, never all of it.
  struct IndexEntry {
    std::string case_id, cursor;
  };
  absl::StatusOr<std::vector<IndexEntry>> CasesByTime(redis::RedisConnection& redis, const std::string& cursor,
                                                      int64_t count) const;
  absl::StatusOr<std::vector<IndexEntry>> ProviderParticipants(redis::RedisConnection& redis, const std::string& org,
                                                               const std::string& cursor, int64_t count) const;
  // A person's cases (a handful; the index is read whole) in case-id order.
  absl::StatusOr<std::vector<IndexEntry>> PersonCases(redis::RedisConnection& redis, const std::string& person_id,
                                                      const std::string& cursor, int64_t count) const;

  absl::StatusOr<std::vector<rusta::v1::Case>> GetMany(redis::RedisConnection& redis,
                                                       const std::vector<std::string>& ids) const;
  absl::StatusOr<std::vector<rusta::v1::CaseReport>> Reports(redis::RedisConnection& redis,
                                                             const std::string& case_id) const;
  // One round trip: the case (nullopt: none stored) with the current revision of each of its
  // monthly reports (what compensation computes from).
  struct CaseWithReports {
    rusta::v1::Case case_record;
    std::vector<rusta::v1::CaseReport> current_monthly_reports;
  };
  absl::StatusOr<std::optional<CaseWithReports>> ReadWithCurrentReports(redis::RedisConnection& redis,
                                                                         const std::string& case_id) const;
  // Every case id, oldest first.
  absl::StatusOr<std::vector<std::string>> AllCaseIds(redis::RedisConnection& redis) const;

 private:
  const audit::AuditLog& audit_;
  std::string pseudonym_secret_;
  int64_t events_max_length_;
};

// Parses a stored case (DATA_LOSS when it does not parse).
absl::StatusOr<std::optional<rusta::v1::Case>> ParseStoredCase(const redis::RedisValue& data);

}  // namespace rusta::referral
