#include "services/compensation/payment_engine.h"

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_log.h"
#include "common/identity/identity.h"
#include "common/server/proto_convert.h"
#include "rusta/v1/events.pb.h"

namespace rusta::compensation {

namespace cmp = ::rusta::compensation;
namespace v1 = ::rusta::v1;

std::string PaymentEngine::LineId(const std::string& key) { return "pl-" + audit::Sha256Hex(key).substr(0, 24); }

v1::PaymentLine PaymentEngine::ToProto(const cmp::Line& l, const std::string& person_id, absl::Time now) {
  v1::PaymentLine out;
  out.set_line_id(LineId(l.idempotency_key));
  out.set_case_id(l.case_id);
  out.set_person_id(person_id);
  out.set_organisation_number(l.organisation_number);
  out.set_component(static_cast<v1::PaymentComponent>(static_cast<int>(l.component)));
  out.set_level(static_cast<v1::Level>(static_cast<int>(l.level)));
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
                                                               int64_t* events, std::string* person_id) const {
  auto facts = cases_.Facts(redis, case_id);
  if (!facts.ok()) return facts.status();
  if (!facts->has_value()) return std::vector<cmp::Line>();
  if (events != nullptr) *events += (*facts)->events;
  if (person_id != nullptr) *person_id = (*facts)->person_id;
  if (!(*facts)->participation.has_value()) return std::vector<cmp::Line>();
  return cmp::ComputeLines(*(*facts)->participation, tariffs_, as_of, problems);
}

absl::StatusOr<int64_t> PaymentEngine::SyncCase(redis::RedisConnection& redis, const std::string& case_id,
                                                absl::CivilDay as_of) const {
  std::vector<std::string> problems;
  std::string person_id;
  auto expected = Expected(redis, case_id, as_of, &problems, nullptr, &person_id);
  if (!expected.ok()) return expected.status();
  if (expected->empty()) return 0;
  auto existing = ledger_.CaseLines(redis, case_id);
  if (!existing.ok()) return existing.status();
  std::vector<cmp::Line> ledger_lines;
  for (const auto& p : *existing) ledger_lines.push_back(FromProto(p));
  const cmp::LedgerDiff diff = cmp::Reconcile(*expected, cmp::EffectiveLines(ledger_lines));
  if (diff.empty()) return 0;
  const absl::Time now = clock_.Now();
  std::vector<v1::PaymentLine> lines;
  std::vector<absl::CivilDay> dates;
  for (const cmp::Line& l : diff.ToAppend()) {
    lines.push_back(ToProto(l, person_id, now));
    dates.push_back(l.date);
  }
  // Audited as the service itself (its own identity in the configured trust domain).
  v1::AuditEvent e = audit::MakeAuditEvent(self_, self_.id, "AppendPaymentLines", now);
  e.set_purpose("compensation");
  e.set_detail(absl::StrCat(lines.size(), " lines (", diff.additions.size(), " new, ", diff.corrections.size(),
                            " corrections)"));
  audit::AddSubject(e, v1::SUBJECT_KIND_CASE, case_id);
  audit::AddSubject(e, v1::SUBJECT_KIND_PERSON, person_id);
  return ledger_.Append(redis, case_id, lines, dates, e);
}

absl::StatusOr<std::vector<std::string>> PaymentEngine::StartedCases(redis::RedisConnection& redis) const {
  return cases_.StartedCases(redis);
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

}  // namespace rusta::compensation
