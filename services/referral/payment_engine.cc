#include "services/referral/payment_engine.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_log.h"
#include "common/identity/identity.h"
#include "common/server/proto_convert.h"
#include "rusta/v1/events.pb.h"
#include "services/referral/case_mapping.h"

namespace rusta::referral {

namespace cmp = compensation;

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

std::string PaymentEngine::LineId(const std::string& key) { return "pl-" + audit::Sha256Hex(key).substr(0, 24); }

absl::StatusOr<std::optional<cmp::Participation>> PaymentEngine::ParticipationOf(
    const v1::Case& c, const std::vector<v1::CaseReport>& monthly) {
  const auto start = Day(c.started_on());
  if (!start) return std::optional<cmp::Participation>();
  cmp::Participation p;
  p.case_id = c.case_id();
  auto level = ToDomainLevel(c.level(), "level");
  if (!level.ok()) return absl::DataLossError("stored case level");
  p.level = *level;
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
      v.kind = r.kind() == v1::RESULT_KIND_WORK ? ResultKind::kWork : ResultKind::kStudies;
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

v1::PaymentLine PaymentEngine::ToProto(const cmp::Line& l, const std::string& person_id, absl::Time now) {
  v1::PaymentLine out;
  out.set_line_id(LineId(l.idempotency_key));
  out.set_case_id(l.case_id);
  out.set_person_id(person_id);
  out.set_organisation_number(l.organisation_number);
  out.set_component(static_cast<v1::PaymentComponent>(static_cast<int>(l.component)));
  out.set_level(FromDomainLevel(l.level));
  if (l.period) {
    out.mutable_period()->set_year(static_cast<int32_t>(l.period->year()));
    out.mutable_period()->set_month(l.period->month());
  } else {
    out.set_event_id(l.event_id);
  }
  out.set_tariff_version(l.tariff_version);
  out.mutable_amount()->set_ore(l.amount_ore);
  out.mutable_tariff_amount()->set_ore(l.tariff_amount_ore);
  out.set_part_time_or_parallel_cut(l.cut);
  out.set_quantity(l.quantity);
  for (const std::string& e : l.source_event_ids) out.add_source_event_ids(e);
  out.set_idempotency_key(l.idempotency_key);
  if (!l.reverses.empty()) out.set_reverses_line_id(LineId(l.reverses));
  server::SetTimestamp(now, out.mutable_created_at());
  out.set_explanation(l.explanation);
  return out;
}

cmp::Line PaymentEngine::FromProto(const v1::PaymentLine& p) {
  cmp::Line l;
  l.idempotency_key = p.idempotency_key();
  l.case_id = p.case_id();
  l.organisation_number = p.organisation_number();
  l.component = static_cast<cmp::Component>(static_cast<int>(p.component()));
  l.level = static_cast<Level>(static_cast<int>(p.level()));
  if (p.has_period()) l.period = absl::CivilMonth(p.period().year(), p.period().month());
  l.event_id = p.event_id();
  l.tariff_version = p.tariff_version();
  l.amount_ore = p.amount().ore();
  l.tariff_amount_ore = p.tariff_amount().ore();
  l.cut = p.part_time_or_parallel_cut();
  l.quantity = p.quantity();
  l.source_event_ids.assign(p.source_event_ids().begin(), p.source_event_ids().end());
  l.explanation = p.explanation();
  // A reversal "B#rev<n>" reverses version n of B ("B" for n = 1, else "B#v<n>"); the proto keeps
  // only the reversed line's id, the engine's reconciliation needs its key.
  if (!p.reverses_line_id().empty()) {
    const std::string base = cmp::BaseKey(l.idempotency_key);
    const int n = cmp::KeyVersion(l.idempotency_key);
    l.reverses = n == 1 ? base : absl::StrCat(base, "#v", n);
  }
  return l;
}

absl::StatusOr<std::vector<cmp::Line>> PaymentEngine::Expected(redis::RedisConnection& redis, const std::string& case_id,
                                                               absl::CivilDay as_of, std::vector<std::string>* problems,
                                                               int64_t* events) const {
  auto replies = redis.Pipeline({{"HGET", CaseStore::CaseKey(case_id), "data"},
                                 {"HGETALL", CaseStore::MonthsKey(case_id)},
                                 {"HGETALL", CaseStore::ReportsKey(case_id)}});
  if (!replies.ok()) return replies.status();
  auto c = ParseStoredCase((*replies)[0]);
  if (!c.ok()) return c.status();
  if (!c->has_value()) return std::vector<cmp::Line>();
  if (events != nullptr) *events += (*c)->history_size();
  // The current revision of each reported month (the index points at it).
  std::set<std::string> current;
  const auto& index = (*replies)[1];
  for (size_t i = 0; i + 1 < index.size(); i += 2) {
    if (index[i].str == "final") continue;
    std::vector<std::string> parts = absl::StrSplit(index[i + 1].str, '|');
    current.insert(parts[0]);
  }
  std::vector<v1::CaseReport> monthly;
  const auto& reports = (*replies)[2];
  for (size_t i = 0; i + 1 < reports.size(); i += 2) {
    if (!current.count(reports[i].str)) continue;
    v1::CaseReport r;
    if (!r.ParseFromString(reports[i + 1].str)) return absl::DataLossError("stored report does not parse");
    monthly.push_back(std::move(r));
  }
  auto participation = ParticipationOf(**c, monthly);
  if (!participation.ok()) return participation.status();
  if (!participation->has_value()) return std::vector<cmp::Line>();
  return cmp::ComputeLines(**participation, tariffs_, as_of, problems);
}

absl::StatusOr<int64_t> PaymentEngine::SyncCase(redis::RedisConnection& redis, const std::string& case_id,
                                                absl::CivilDay as_of) const {
  std::vector<std::string> problems;
  auto expected = Expected(redis, case_id, as_of, &problems);
  if (!expected.ok()) return expected.status();
  if (expected->empty()) return 0;
  auto existing = ledger_.CaseLines(redis, case_id);
  if (!existing.ok()) return existing.status();
  std::vector<cmp::Line> ledger_lines;
  for (const auto& p : *existing) ledger_lines.push_back(FromProto(p));
  const cmp::LedgerDiff diff = cmp::Reconcile(*expected, cmp::EffectiveLines(ledger_lines));
  if (diff.empty()) return 0;
  auto person = redis.Command({"HGET", CaseStore::CaseKey(case_id), "data"});
  std::string person_id;
  if (person.ok() && person->is_string()) {
    v1::Case c;
    if (c.ParseFromString(person->str)) person_id = c.person_id();
  }
  const absl::Time now = clock_.Now();
  std::vector<v1::PaymentLine> lines;
  std::vector<absl::CivilDay> dates;
  for (const cmp::Line& l : diff.ToAppend()) {
    lines.push_back(ToProto(l, person_id, now));
    dates.push_back(l.date);
  }
  v1::AuditEvent e = audit::MakeAuditEvent(self_, "referral", "AppendPaymentLines", now);
  e.set_purpose("compensation");
  e.set_detail(absl::StrCat(lines.size(), " lines (", diff.additions.size(), " new, ", diff.corrections.size(),
                            " corrections)"));
  audit::AddSubject(e, v1::SUBJECT_KIND_CASE, case_id);
  audit::AddSubject(e, v1::SUBJECT_KIND_PERSON, person_id);
  return ledger_.Append(redis, case_id, lines, dates, e);
}

absl::StatusOr<std::vector<std::string>> PaymentEngine::StartedCases(redis::RedisConnection& redis) const {
  auto all = redis.Command({"ZRANGE", CaseStore::AllCasesKey(), "0", "-1"});
  if (!all.ok()) return all.status();
  std::vector<std::string> ids;
  for (const auto& v : all->elements) ids.push_back(v.str);
  std::vector<std::string> started;
  for (size_t i = 0; i < ids.size(); i += 500) {
    std::vector<std::string> batch(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 500));
    auto cases = cases_.GetMany(redis, batch);
    if (!cases.ok()) return cases.status();
    for (const v1::Case& c : *cases) {
      if (c.started_on().year() != 0) started.push_back(c.case_id());
    }
  }
  return started;
}

absl::StatusOr<int64_t> PaymentEngine::SyncAll(redis::RedisConnection& redis, absl::CivilDay as_of) const {
  auto ids = StartedCases(redis);
  if (!ids.ok()) return ids.status();
  int64_t appended = 0;
  for (const std::string& id : *ids) {
    auto n = SyncCase(redis, id, as_of);
    if (!n.ok()) return n.status();
    appended += *n;
  }
  return appended;
}

absl::Status PaymentEngine::HandleEvent(redis::RedisConnection& redis, const stream::StreamEntry& entry) const {
  // Every event type carries its case: the case's lines are brought up to date. Other types are
  // not the engine's business (acknowledged); one that does not parse is a dead letter.
  const std::string& type = entry.Field("type");
  const std::string& data = entry.Field("data");
  std::string case_id;
  if (type == "rusta.v1.CaseEvent") {
    v1::CaseEvent e;
    if (!e.ParseFromString(data)) return absl::DataLossError("CaseEvent does not parse");
    case_id = e.case_id();
  } else if (type == "rusta.v1.CaseReportEvent") {
    v1::CaseReportEvent e;
    if (!e.ParseFromString(data)) return absl::DataLossError("CaseReportEvent does not parse");
    case_id = e.case_id();
  } else if (type == "rusta.v1.ResultVerificationEvent") {
    v1::ResultVerificationEvent e;
    if (!e.ParseFromString(data)) return absl::DataLossError("ResultVerificationEvent does not parse");
    case_id = e.case_id();
  } else {
    return absl::OkStatus();
  }
  if (case_id.empty()) return absl::InvalidArgumentError("event without a case id");
  return SyncCase(redis, case_id, server::SwedishDay(clock_.Now())).status();
}

}  // namespace rusta::referral
