#pragma once
// The compensation engine's adapter: takes a case's facts from the CaseSource (case_source.h),
// computes the lines it has earned (domain/engine.h), and appends to the ledger what it lacks,
// exactly once per idempotency key. It is fed by the case events: a consumer group
// "compensation" on events:referral (common/stream); any event of a case makes the engine bring
// that case's lines up to date. Settlement first lets it catch up with every started case, so
// that no month goes unpaid for want of an event. Only the engine writes lines.
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/identity/identity.h"
#include "common/redis/redis_connection.h"
#include "common/server/clock.h"
#include "common/stream/stream_consumer.h"
#include "rusta/v1/compensation.pb.h"
#include "services/compensation/case_source.h"
#include "services/compensation/domain/engine.h"
#include "services/compensation/ledger_store.h"

namespace rusta::compensation {

class PaymentEngine {
 public:
  // `self`: the identity the engine acts as (its audit events), the hosting service's own in the
  // configured trust domain (identity::ServiceIdentity); its id names the service in the events.
  PaymentEngine(const CaseSource& cases, const LedgerStore& ledger, const TariffSet& tariffs,
                const server::Clock& clock, identity::Identity self)
      : cases_(cases), ledger_(ledger), tariffs_(tariffs), clock_(clock), self_(std::move(self)) {}

  const TariffSet& tariffs() const { return tariffs_; }

  // The lines the case has earned as of `as_of` (problems appended to `problems`; the facts'
  // event count added to `events`, the person to `person_id`, when given).
  absl::StatusOr<std::vector<Line>> Expected(redis::RedisConnection& redis, const std::string& case_id,
                                             absl::CivilDay as_of, std::vector<std::string>* problems,
                                             int64_t* events = nullptr, std::string* person_id = nullptr) const;

  // Brings one case's lines up to date; returns how many lines were appended.
  absl::StatusOr<int64_t> SyncCase(redis::RedisConnection& redis, const std::string& case_id, absl::CivilDay as_of) const;
  // Every started case (settlement's catch-up). Returns lines appended.
  absl::StatusOr<int64_t> SyncAll(redis::RedisConnection& redis, absl::CivilDay as_of) const;
  // The ids of every case that started.
  absl::StatusOr<std::vector<std::string>> StartedCases(redis::RedisConnection& redis) const;
  // One event of events:referral (the consumer group "compensation", common/stream): syncs the
  // lines of the event's case. OK = acknowledge; DATA_LOSS: the event does not decode.
  absl::Status HandleEvent(redis::RedisConnection& redis, const stream::StreamEntry& entry) const;

  // Line → PaymentLine (line id derived from the idempotency key).
  static rusta::v1::PaymentLine ToProto(const Line& line, const std::string& person_id, absl::Time now);
  static std::string LineId(const std::string& idempotency_key);
  // PaymentLine → Line (for reconciliation against the ledger).
  static Line FromProto(const rusta::v1::PaymentLine& line);

 private:
  const CaseSource& cases_;
  const LedgerStore& ledger_;
  const TariffSet& tariffs_;
  const server::Clock& clock_;
  const identity::Identity self_;
};

}  // namespace rusta::compensation
