#include "services/referral/compensation_case_source.h"

#include <algorithm>

#include "common/server/clock.h"
#include "common/server/proto_convert.h"
#include "services/referral/case_mapping.h"

namespace rusta::referral {

namespace v1 = rusta::v1;
namespace cmp = ::rusta::compensation;

namespace {

std::optional<absl::CivilDay> Day(const v1::Date& d) {
  if (d.year() == 0) return std::nullopt;
  auto day = server::ToCivilDay(d, "date");
  if (!day.ok()) return std::nullopt;
  return *day;
}

// The event id of the n-th history entry of `kind` (0-based), "" when none.
std::vector<std::string> EventIds(const v1::Case& c, std::initializer_list<v1::CaseTransitionKind> kinds) {
  std::vector<std::string> out;
  for (const v1::CaseTransition& h : c.history()) {
    for (auto k : kinds) {
      if (h.kind() == k) out.push_back(h.event_id());
    }
  }
  return out;
}

std::string Last(const std::vector<std::string>& v) { return v.empty() ? "" : v.back(); }

}  // namespace

absl::StatusOr<std::optional<cmp::Participation>> ParticipationOf(
    const v1::Case& c, const std::vector<v1::CaseReport>& monthly) {
  const auto start = Day(c.started_on());
  if (!start) return std::optional<cmp::Participation>();
  cmp::Participation p;
  p.case_id = c.case_id();
  auto level = ToDomainLevel(c.level(), "level");
  if (!level.ok()) return absl::DataLossError("stored case level");
  p.level = static_cast<cmp::Level>(static_cast<int>(*level));  // the same numbering (rusta.v1.Level)
  p.start = *start;
  p.end = Day(c.end().end_date());
  p.part_time = c.extent().kind() == v1::EXTENT_KIND_PART_TIME || (c.extent().percentage() > 0 && c.extent().percentage() < 100);
  const auto measures = EventIds(c, {v1::CASE_TRANSITION_KIND_REGISTER_PARALLEL_MEASURE});
  for (int i = 0; i < c.parallel_measures_size(); ++i) {
    const auto& m = c.parallel_measures(i);
    auto s = Day(m.dates().start()), e = Day(m.dates().end());
    if (!s || !e) continue;
    p.parallel_measures.push_back({*s, *e, i < static_cast<int>(measures.size()) ? measures[i] : ""});
  }
  const auto assigned = EventIds(c, {v1::CASE_TRANSITION_KIND_CHOOSE_PROVIDER, v1::CASE_TRANSITION_KIND_ASSIGN_DEFAULT_PROVIDER,
                                     v1::CASE_TRANSITION_KIND_CHANGE_PROVIDER});
  for (int i = 0; i < c.provider_history_size(); ++i) {
    const auto& a = c.provider_history(i);
    auto from = Day(a.assigned_on());
    if (!from) continue;
    p.providers.push_back({a.organisation_number(), *from, Day(a.ended_on()),
                           i < static_cast<int>(assigned.size()) ? assigned[i] : ""});
  }
  for (const v1::CaseReport& r : monthly) {
    if (!r.has_monthly() || r.monthly().interpreter_hours() == 0) continue;
    p.interpreter.push_back({absl::CivilMonth(r.monthly().month().year(), r.monthly().month().month()),
                             r.monthly().interpreter_hours(), r.organisation_number(), r.report_id(),
                             absl::StrCat(r.report_id(), "#", r.version())});
  }
  if (c.has_result() && c.result().verification_status() == v1::VERIFICATION_STATUS_VERIFIED) {
    const v1::CaseResult& r = c.result();
    auto rs = Day(r.start_date());
    if (rs) {
      cmp::VerifiedResult v;
      v.event_id = Last(EventIds(c, {v1::CASE_TRANSITION_KIND_VERIFY_RESULT}));
      v.verified_on = server::SwedishDay(server::FromTimestamp(r.verified_at()));
      v.start = *rs;
      v.percentage = r.percentage();
      v.subsidised = r.subsidised();
      v.kind = r.kind() == v1::RESULT_KIND_WORK ? cmp::ResultKind::kWork : cmp::ResultKind::kStudies;
      v.organisation_number = c.provider_history_size() > 0 ? c.provider_history(c.provider_history_size() - 1).organisation_number() : "";
      v.report_event_id = Last(EventIds(c, {v1::CASE_TRANSITION_KIND_REPORT_RESULT}));
      p.result = v;
    }
  }
  p.decision_event_id = Last(EventIds(c, {v1::CASE_TRANSITION_KIND_DECIDE}));
  p.start_event_id = Last(EventIds(c, {v1::CASE_TRANSITION_KIND_START}));
  p.end_event_id = Last(EventIds(c, {v1::CASE_TRANSITION_KIND_END}));
  return std::optional<cmp::Participation>(std::move(p));
}


absl::StatusOr<std::optional<cmp::CaseFacts>> InProcessCaseSource::Facts(redis::RedisConnection& redis,
                                                                         const std::string& case_id) const {
  auto read = cases_.ReadWithCurrentReports(redis, case_id);
  if (!read.ok()) return read.status();
  if (!read->has_value()) return std::optional<cmp::CaseFacts>();
  const v1::Case& c = (*read)->case_record;
  cmp::CaseFacts facts;
  facts.case_id = case_id;
  facts.person_id = c.person_id();
  facts.events = c.history_size();
  auto participation = ParticipationOf(c, (*read)->current_monthly_reports);
  if (!participation.ok()) return participation.status();
  facts.participation = std::move(*participation);
  return std::optional<cmp::CaseFacts>(std::move(facts));
}

absl::StatusOr<std::vector<std::string>> InProcessCaseSource::StartedCases(redis::RedisConnection& redis) const {
  auto ids = cases_.AllCaseIds(redis);
  if (!ids.ok()) return ids.status();
  std::vector<std::string> started;
  for (size_t i = 0; i < ids->size(); i += 500) {
    std::vector<std::string> batch(ids->begin() + i, ids->begin() + std::min(ids->size(), i + 500));
    auto cases = cases_.GetMany(redis, batch);
    if (!cases.ok()) return cases.status();
    for (const v1::Case& c : *cases) {
      if (c.started_on().year() != 0) started.push_back(c.case_id());
    }
  }
  return started;
}

}  // namespace rusta::referral
