#pragma once
// The compensation engine's adapter: turns a stored case (its record, history and monthly
// reports) into the domain's Participation, computes the lines it has earned
// (services/referral/compensation/engine.h), and appends to the ledger what it lacks, exactly once
// per idempotency key. It is fed by the case events: a consumer group "compensation" on
// events:referral; any event of a case makes the engine bring that case's lines up to date.
// Settlement first lets it catch up with every started case, so that no month goes unpaid for
// want of an event. Only the engine writes lines.
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/redis/redis_connection.h"
#include "common/identity/identity.h"
#include "common/server/clock.h"
#include "common/stream/stream_consumer.h"
#include "rusta/v1/compensation.pb.h"
#include "rusta/v1/referral.pb.h"
#include "services/referral/case_store.h"
#include "services/referral/compensation/engine.h"
#include "services/referral/ledger_store.h"

namespace rusta::referral {

class PaymentEngine {
 public:
  // `self`: the identity the engine acts as (its audit events), the service's own in the configured
  // trust domain (identity::ServiceIdentity).
  PaymentEngine(const CaseStore& cases, const LedgerStore& ledger, const compensation::TariffSet& tariffs,
                const server::Clock& clock, identity::Identity self)
      : cases_(cases), ledger_(ledger), tariffs_(tariffs), clock_(clock), self_(std::move(self)) {}

  const compensation::TariffSet& tariffs() const { return tariffs_; }

  // The participation of a case that started (nullopt for one that never did). `reports`: the
  // case's reports hash and month index replies (see ReadCase).
  static absl::StatusOr<std::optional<compensation::Participation>> ParticipationOf(
      const v1::Case& c, const std::vector<v1::CaseReport>& current_monthly_reports);

  // The lines the case has earned as of `as_of` (problems appended to `problems`).
  absl::StatusOr<std::vector<compensation::Line>> Expected(redis::RedisConnection& redis, const std::string& case_id,
                                                           absl::CivilDay as_of, std::vector<std::string>* problems,
                                                           int64_t* events = nullptr) const;

  // Brings one case's lines up to date; returns how many lines were appended.
  absl::StatusOr<int64_t> SyncCase(redis::RedisConnection& redis, const std::string& case_id, absl::CivilDay as_of) const;
  // Every started case (settlement's catch-up). Returns lines appended.
  absl::StatusOr<int64_t> SyncAll(redis::RedisConnection& redis, absl::CivilDay as_of) const;
  // The ids of every case that started.
  absl::StatusOr<std::vector<std::string>> StartedCases(redis::RedisConnection& redis) const;
  // One event of events:referral (the consumer group "compensation", common/stream): syncs the
  // lines of the event's case. OK = acknowledge; DATA_LOSS: the event does not decode.
  absl::Status HandleEvent(redis::RedisConnection& redis, const stream::StreamEntry& entry) const;

  // compensation::Line → PaymentLine (line id derived from the idempotency key).
  static v1::PaymentLine ToProto(const compensation::Line& line, const std::string& person_id, absl::Time now);
  static std::string LineId(const std::string& idempotency_key);
  // PaymentLine → compensation::Line (for reconciliation against the ledger).
  static compensation::Line FromProto(const v1::PaymentLine& line);

 private:
  const CaseStore& cases_;
  const LedgerStore& ledger_;
  const compensation::TariffSet& tariffs_;
  const server::Clock& clock_;
  const identity::Identity self_;
};

}  // namespace rusta::referral
