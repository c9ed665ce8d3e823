#include "services/referral/rating_feed.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_log.h"
#include "common/log/log.h"
#include "common/server/clock.h"
#include "common/server/proto_convert.h"
#include "services/referral/case_store.h"

namespace rusta::referral {
namespace {

namespace v1 = rusta::v1;
using redis::RedisValue;

constexpr char kCaseEventType[] = "rusta.v1.CaseEvent";
constexpr char kVerificationEventType[] = "rusta.v1.ResultVerificationEvent";

// A Date as one comparable number (unset = 0).
int64_t DayKey(const v1::Date& d) { return int64_t{d.year()} * 10000 + d.month() * 100 + d.day(); }
bool IsSet(const v1::Date& d) { return d.year() != 0; }
const v1::Date& Later(const v1::Date& a, const v1::Date& b) { return DayKey(a) >= DayKey(b) ? a : b; }

v1::ParticipantOutcome Outcome(const std::string& case_id, const std::string& org, v1::Level level,
                               const v1::Date& started_on) {
  v1::ParticipantOutcome o;
  o.set_case_id(case_id);
  o.set_organisation_number(org);
  o.set_level(level);
  *o.mutable_started_on() = started_on;
  return o;
}

// Failures worth retrying the entry for; anything else the registry says about a record is final.
bool Transient(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

// The transitions whose outcomes need the stored case: a change of provider after the start (the
// previous provider's start) and an end after the start (the last provider).
bool NeedsCase(const v1::CaseEvent& e) {
  const bool started = e.from_state() == v1::CASE_STATE_ACTIVE || e.from_state() == v1::CASE_STATE_INTERRUPTED;
  return (e.transition() == v1::CASE_TRANSITION_KIND_CHANGE_PROVIDER && e.from_state() == v1::CASE_STATE_ACTIVE) ||
         (e.transition() == v1::CASE_TRANSITION_KIND_END && started);
}

void Refused(const std::string& entry_id, const std::string& event_id, const std::string& org,
             const absl::Status& s) {
  log::Warning("rating_feed_event_skipped", {{"entry", entry_id},
                                             {"event_id", event_id},
                                             {"organisation_number", org},
                                             {"status", absl::StatusCodeToString(s.code())},
                                             {"detail", s.message()}});
}

// The stored case (nullopt: none stored; DATA_LOSS: it does not parse).
absl::StatusOr<std::optional<v1::Case>> ReadCase(redis::RedisConnection& redis, const std::string& case_id) {
  auto data = redis.Command({"HGET", CaseStore::CaseKey(case_id), "data"});
  if (!data.ok()) return data.status();
  if (data->is_nil()) return std::optional<v1::Case>();
  v1::Case c;
  if (!c.ParseFromString(data->str)) return absl::DataLossError("stored case does not parse");
  return std::optional<v1::Case>(std::move(c));
}

}  // namespace

RatingFeed::RatingFeed(RegistryClient* registry, std::string consumer, std::string stream)
    : registry_(registry),
      consumer_(stream::ConsumerOptions{std::move(stream), kGroup, std::move(consumer), 100, kOrphanIdleMs, 5},
                [this](redis::RedisConnection& redis, const stream::StreamEntry& e) { return Handle(redis, e); }) {}

v1::Date RatingFeed::ServiceStartWith(const v1::Case& c, const std::string& org) {
  if (!IsSet(c.started_on()) || org.empty()) return v1::Date();
  for (const v1::ProviderAssignment& a : c.provider_history()) {
    if (a.organisation_number() != org) continue;
    // Changed away before the service started: this stint never started.
    if (IsSet(a.ended_on()) && DayKey(a.ended_on()) < DayKey(c.started_on())) continue;
    return Later(a.assigned_on(), c.started_on());
  }
  return v1::Date();
}

std::vector<v1::ParticipantOutcome> RatingFeed::OutcomesOf(const v1::CaseEvent& e, const v1::Case* stored) {
  std::vector<v1::ParticipantOutcome> out;
  switch (e.transition()) {
    case v1::CASE_TRANSITION_KIND_START: {
      if (e.organisation_number().empty()) break;
      const v1::Date& start = IsSet(e.start().start_date()) ? e.start().start_date() : e.effective_date();
      out.push_back(Outcome(e.case_id(), e.organisation_number(), e.level(), start));
      break;
    }
    case v1::CASE_TRANSITION_KIND_CHANGE_PROVIDER: {
      if (e.from_state() != v1::CASE_STATE_ACTIVE) break;  // before the start: nobody started
      const std::string& previous = e.provider_assigned().previous_organisation_number();
      if (!previous.empty() && stored != nullptr) {
        const v1::Date start = ServiceStartWith(*stored, previous);
        if (IsSet(start)) {
          v1::ParticipantOutcome o = Outcome(e.case_id(), previous, e.level(), start);
          *o.mutable_ended_on() = Later(e.effective_date(), start);
          out.push_back(std::move(o));
        }
      }
      if (!e.organisation_number().empty()) {
        v1::Date start = stored != nullptr ? ServiceStartWith(*stored, e.organisation_number()) : v1::Date();
        if (!IsSet(start)) start = e.effective_date();
        out.push_back(Outcome(e.case_id(), e.organisation_number(), e.level(), start));
      }
      break;
    }
    case v1::CASE_TRANSITION_KIND_END: {
      if (e.from_state() != v1::CASE_STATE_ACTIVE && e.from_state() != v1::CASE_STATE_INTERRUPTED) break;
      if (stored == nullptr || stored->provider_history_size() == 0) break;
      const std::string& last = stored->provider_history(stored->provider_history_size() - 1).organisation_number();
      const v1::Date start = ServiceStartWith(*stored, last);
      if (!IsSet(start)) break;
      v1::ParticipantOutcome o = Outcome(e.case_id(), last, e.level(), start);
      const v1::Date& end = IsSet(e.end().end_date()) ? e.end().end_date() : e.effective_date();
      *o.mutable_ended_on() = Later(end, start);
      out.push_back(std::move(o));
      break;
    }
    default:
      break;
  }
  return out;
}

std::vector<v1::ParticipantOutcome> RatingFeed::OutcomesOf(const v1::ResultVerificationEvent& e,
                                                           const v1::Case* stored) {
  std::vector<v1::ParticipantOutcome> out;
  if (e.status() != v1::VERIFICATION_STATUS_VERIFIED || e.organisation_number().empty()) return out;
  v1::Date start = stored != nullptr ? ServiceStartWith(*stored, e.organisation_number()) : v1::Date();
  if (!IsSet(start)) start = e.service_started_on();
  if (!IsSet(start)) return out;
  v1::ParticipantOutcome o = Outcome(e.case_id(), e.organisation_number(), e.level(), start);
  *o.mutable_result_verified_on() =
      Later(server::FromCivilDay(server::SwedishDay(server::FromTimestamp(e.occurred_at()))), start);
  if (IsSet(e.service_ended_on())) *o.mutable_ended_on() = Later(e.service_ended_on(), start);
  out.push_back(std::move(o));
  return out;
}

std::string RatingFeed::RequestId(const std::string& event_id, const std::string& org) {
  std::string id = absl::StrCat("rating-", event_id, "-", org);
  bool fits = id.size() <= 128;
  for (char& ch : id) {
    if (ch == '#') ch = ':';
    const bool allowed = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                         ch == '.' || ch == '_' || ch == ':' || ch == '-';
    fits &= allowed;
  }
  if (fits) return id;
  return absl::StrCat("rating-", audit::Sha256Hex(absl::StrCat(event_id, "|", org)).substr(0, 48));
}

absl::Status RatingFeed::Handle(redis::RedisConnection& redis, const stream::StreamEntry& entry) {
  const std::string& entry_id = entry.id;
  const std::string& type = entry.Field("type");
  const std::string& data = entry.Field("data");
  std::string event_id;
  std::vector<v1::ParticipantOutcome> outcomes;
  auto with_case = [&](const std::string& case_id, auto&& outcomes_of) -> absl::Status {
    auto stored = ReadCase(redis, case_id);
    if (!stored.ok()) {
      if (stored.status().code() != absl::StatusCode::kDataLoss) return stored.status();
      Refused(entry_id, event_id, "", stored.status());
      return absl::OkStatus();
    }
    outcomes = outcomes_of(stored->has_value() ? &**stored : nullptr);
    if (outcomes.empty()) Refused(entry_id, event_id, "", absl::NotFoundError("no provider found in the stored case"));
    return absl::OkStatus();
  };
  if (type == kCaseEventType) {
    v1::CaseEvent e;
    if (!e.ParseFromString(data)) return absl::DataLossError("CaseEvent does not parse");
    event_id = e.event_id();
    if (NeedsCase(e)) {
      absl::Status s = with_case(e.case_id(), [&](const v1::Case* c) { return OutcomesOf(e, c); });
      if (!s.ok()) return s;
    } else {
      outcomes = OutcomesOf(e, nullptr);
    }
  } else if (type == kVerificationEventType) {
    v1::ResultVerificationEvent e;
    if (!e.ParseFromString(data)) return absl::DataLossError("ResultVerificationEvent does not parse");
    event_id = e.event_id();
    if (e.status() == v1::VERIFICATION_STATUS_VERIFIED) {
      absl::Status s = with_case(e.case_id(), [&](const v1::Case* c) { return OutcomesOf(e, c); });
      if (!s.ok()) return s;
    }
  }
  for (const v1::ParticipantOutcome& o : outcomes) {
    absl::Status s = registry_->RecordParticipantOutcome(RequestId(event_id, o.organisation_number()), o);
    if (s.ok()) continue;
    // The registry's trouble, not the event's: pending, retried, not counted against the entry.
    if (Transient(s)) return absl::UnavailableError(absl::StrCat("registry: ", s.message()));
    Refused(entry_id, event_id, o.organisation_number(), s);  // a bad event must not block the feed
  }
  return absl::OkStatus();
}

absl::StatusOr<int> RatingFeed::RunOnce(redis::RedisConnection& redis, int limit) {
  return consumer_.RunOnce(redis, limit);
}

}  // namespace rusta::referral
