#pragma once
// The provider registry's rating input from real cases (issue 6): reads the referral events
// stream ("events:referral") with its own consumer group "ratings" and records each provider's
// participant outcome with the registry (RecordParticipantOutcome, an upsert by
// (case_id, organisation_number)).
//
// What becomes an outcome (everything else is acknowledged and skipped):
//  - CaseEvent START: the provider after the start (event.organisation_number) with
//    started_on = the start date and the case's level.
//  - CaseEvent CHANGE_PROVIDER from ACTIVE (the service had started): the previous provider gets
//    ended_on = the effective date, the new provider started_on = the effective date (the change
//    day counts for both; no day is subtracted).
//  - CaseEvent END from ACTIVE or INTERRUPTED: the last provider (read from the stored case, as
//    the event carries no provider once the case has none) gets ended_on = the end date.
//  - ResultVerificationEvent with status VERIFIED: result_verified_on = the Swedish day of
//    occurred_at, for the provider credited with the result (event.organisation_number).
//
// The registry fixes started_on (and the level) at the first record of a (case, provider) and
// refuses a different one, so every outcome sent carries the same start for the same provider,
// taken from the stored case where the event does not have it: the case's start for the first
// provider, the day it took over for a later one (ServiceStartWith). This is also why the order
// the registry receives the records in does not matter. Simplifications:
//  - a provider that served the same participant twice (A, B, A) keeps one outcome, from its
//    first start to its last end;
//  - a verified result is credited from the provider's own start (not the service's start,
//    which the event carries as service_started_on and is used only when the case is gone);
//  - an end date before the provider's start (a back-dated change) is sent as the start.
//
// Delivery: at-least-once, through the common stream consumer (common/stream/stream_consumer.h):
// an entry is acknowledged only after its records were accepted; the request ids
// "rating-<event id>-<org>" make a repeat answer the same at the registry. The registry
// unavailable (or timing out, or busy) is reported as UNAVAILABLE: the entry stays pending and is
// not counted against it. An entry that does not decode goes to the dead letters
// (events:referral:dead:ratings). A record the registry refuses for good (INVALID_ARGUMENT,
// FAILED_PRECONDITION, NOT_FOUND, ...) is logged on one line and the entry acknowledged: one bad
// event must not block the feed.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"
#include "common/stream/stream_consumer.h"
#include "rusta/v1/events.pb.h"
#include "rusta/v1/provider_registry.pb.h"
#include "rusta/v1/referral.pb.h"
#include "services/referral/upstream_clients.h"

namespace rusta::referral {

class RatingFeed {
 public:
  static constexpr char kGroup[] = "ratings";
  // Pending entries of other consumers idle this long are taken over (a replica that died).
  static constexpr int64_t kOrphanIdleMs = 10 * 60 * 1000;

  // `registry` must outlive the feed; `consumer` names this replica in the group (stable across
  // restarts: the replica id).
  RatingFeed(RegistryClient* registry, std::string consumer, std::string stream = "events:referral");

  // Processes up to `limit` entries (pending ones first) and returns how many were acknowledged.
  // An error (the registry or Redis unavailable) leaves the entry it stopped at pending.
  absl::StatusOr<int> RunOnce(redis::RedisConnection& redis, int limit);

  // The outcomes one event gives (public for tests). `stored` is the stored case when the event
  // needs it (nullptr: none stored).
  static std::vector<rusta::v1::ParticipantOutcome> OutcomesOf(const rusta::v1::CaseEvent& event,
                                                               const rusta::v1::Case* stored);
  static std::vector<rusta::v1::ParticipantOutcome> OutcomesOf(const rusta::v1::ResultVerificationEvent& event,
                                                               const rusta::v1::Case* stored);
  // The first day of service with `org` in the case: the case's start for a provider assigned
  // before it, the day it took over for a later one; unset Date when it never served after the
  // start or the case has not started.
  static rusta::v1::Date ServiceStartWith(const rusta::v1::Case& c, const std::string& org);
  // "rating-<event id>-<org>" with the event id's '#' as ':' (request ids allow [A-Za-z0-9._:-]);
  // a hash when that does not fit.
  static std::string RequestId(const std::string& event_id, const std::string& org);

 private:
  // One entry: OK = acknowledge it; UNAVAILABLE = try again later; DATA_LOSS = dead letter.
  absl::Status Handle(redis::RedisConnection& redis, const stream::StreamEntry& entry);

  RegistryClient* registry_;
  stream::StreamConsumer consumer_;
};

}  // namespace rusta::referral
