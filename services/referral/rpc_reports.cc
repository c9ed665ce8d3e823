// Provider reports (domain.md section 6): stored with the case in its reports hash, each change one
// Mutate (audited in the case's chain, published as a CaseReportEvent). Documents that need a
// caseworker go to their queue in the same call.
//
// The report index (CaseStore::MonthsKey) holds, per reported month, "<report_id>|<revision>|
// <version>" of the current revision, and under "final" "<report_id>|<status number>" of the
// latest final report. Older revisions of a month are SUPERSEDED by being no longer current.
#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/referral/case_mapping.h"
#include "services/referral/referral_impl.h"

namespace rusta::referral {

namespace {

constexpr size_t kMaxText = 4000;

std::string MonthField(const v1::YearMonth& m) { return absl::StrFormat("%04d-%02d", m.year(), m.month()); }

std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

// HGETALL reply → field map.
std::map<std::string, std::string> FieldMap(const redis::RedisValue& v) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < v.size(); i += 2) out[v[i].str] = v[i + 1].str;
  return out;
}

int64_t ReportNumber(const std::string& report_id) {
  const size_t pos = report_id.rfind(".r");
  int64_t n = 0;
  if (pos != std::string::npos) (void)absl::SimpleAtoi(report_id.substr(pos + 2), &n);
  return n;
}

// The report's status as stored, with SUPERSEDED for a monthly revision that is no longer current.
void ApplyIndexStatus(v1::CaseReport& r, const std::map<std::string, std::string>& index) {
  if (r.kind() != v1::CASE_REPORT_KIND_MONTHLY) return;
  auto it = index.find(MonthField(r.monthly().month()));
  if (it == index.end()) return;
  std::vector<std::string> parts = absl::StrSplit(it->second, '|');
  if (parts[0] != r.report_id()) r.set_status(v1::CASE_REPORT_STATUS_SUPERSEDED);
}

// The event published whenever a report is stored or changes status (its id: report and version).
v1::CaseReportEvent ReportEvent(const v1::CaseReport& r, const Identity& caller, absl::Time now) {
  v1::CaseReportEvent e;
  e.set_event_id(absl::StrCat(r.report_id(), "#", r.version()));
  e.set_case_id(r.case_id());
  e.set_report_id(r.report_id());
  e.set_kind(r.kind());
  e.set_status(r.status());
  e.set_organisation_number(r.organisation_number());
  if (r.has_monthly()) {
    *e.mutable_month() = r.monthly().month();
    e.set_revision(r.revision());
    e.set_interpreter_hours(r.monthly().interpreter_hours());
  }
  *e.mutable_actor() = server::ToActor(caller);
  server::SetTimestamp(now, e.mutable_occurred_at());
  return e;
}

absl::Status CheckOrganisation(const v1::NamedOrganisation& o, const std::string& field, bool name_required,
                               const validation::MunicipalityCodes* municipalities) {
  if (name_required) RETURN_IF_ERROR(RequireText(o.name(), (field + ".name").c_str(), 200));
  if (o.name().size() > 200) return absl::InvalidArgumentError(field + ".name: at most 200 characters");
  if (!o.organisation_number().empty()) {
    auto n = validation::ParseOrganisationNumber(o.organisation_number(), field + ".organisation_number");
    if (!n.ok()) return n.status();
  }
  if (!o.municipality_code().empty()) {
    RETURN_IF_ERROR(validation::ValidateMunicipalityCode(o.municipality_code(), field + ".municipality_code",
                                                               municipalities));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// What every submission shares: who may submit which kind in which state, the new report's id
// and envelope, its storage, the queue item and the event.
struct Submission {
  ReportKind kind;
  v1::CaseReportKind proto_kind;
  std::optional<v1::ReferralQueue> queue;  // a document a caseworker handles
  const char* queue_kind = "";
};

}  // namespace

// Shared by the Submit* RPCs. `fill` writes the body into the report (and may check more against
// the case); the response is the stored report.
static absl::Status SubmitReport(ReferralImpl& impl, const Identity& caller, RedisConnection& redis,
                                 const char* method, const google::protobuf::Message& req,
                                 const std::string& request_id, const std::string& case_id,
                                 const Submission& sub,
                                 const std::function<absl::Status(ReferralImpl::Tx&, const Case&,
                                                                  const std::map<std::string, std::string>& index,
                                                                  v1::CaseReport&)>& fill,
                                 v1::CaseReport* out) {
  std::string stored_id;
  return impl.Mutate(redis, caller, method, req, request_id, case_id, ReferralImpl::kNoVersionCheck,
      {{"HGETALL", CaseStore::MonthsKey(case_id)}, {"HLEN", CaseStore::ReportsKey(case_id)}},
      [&](ReferralImpl::Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        RETURN_IF_ERROR(CheckReportSubmission(*domain, sub.kind, caller.id));
        const auto index = FieldMap(tx.read.extra[0]);
        v1::CaseReport r;
        r.set_report_id(absl::StrCat(case_id, ".r", tx.read.extra[1].integer + 1));
        r.set_case_id(case_id);
        r.set_kind(sub.proto_kind);
        r.set_organisation_number(caller.id);
        r.set_version(1);
        r.set_revision(1);
        r.set_status(sub.queue ? v1::CASE_REPORT_STATUS_IN_REVIEW : v1::CASE_REPORT_STATUS_SUBMITTED);
        server::SetTimestamp(tx.now, r.mutable_submitted_at());
        *r.mutable_submitted_by() = server::ToActor(caller);
        RETURN_IF_ERROR(fill(tx, *domain, index, r));
        tx.write.HashSet(CaseStore::ReportsKey(case_id), r.report_id(), Serialize(r));
        if (sub.queue) {
          tx.write.Enqueue(impl.Queue(*sub.queue), WorkPayload{sub.queue_kind, case_id, r.report_id()}.Encode(),
                           absl::ToUnixMillis(tx.now));
        }
        tx.extra_events.emplace_back("rusta.v1.CaseReportEvent", Serialize(ReportEvent(r, caller, tx.now)));
        tx.audit_detail = absl::StrCat(v1::CaseReportKind_Name(r.kind()), " ", r.report_id());
        stored_id = r.report_id();
        *out = r;
        return absl::OkStatus();
      },
      [](const ReferralImpl::Tx&) {}, out);
}

absl::Status ReferralImpl::SubmitMonthlyReport(const Identity& caller, RedisConnection& redis,
                                               const v1::SubmitMonthlyReportRequest& req,
                                               v1::SubmitMonthlyReportResponse* resp) {
  if (!req.has_report()) return absl::InvalidArgumentError("report: required");
  RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version()));
  auto monthly = ToDomainMonthlyReport(req.report());
  if (!monthly.ok()) return monthly.status();
  if (req.report().attested_by().size() > 200) return absl::InvalidArgumentError("report.attested_by: at most 200 characters");
  Submission sub{ReportKind::kMonthly, v1::CASE_REPORT_KIND_MONTHLY, std::nullopt};
  return SubmitReport(*this, caller, redis, "SubmitMonthlyReport", req, req.request_id(), req.case_id(), sub,
      [&](Tx& tx, const Case& c, const std::map<std::string, std::string>& index, v1::CaseReport& r) -> absl::Status {
        std::vector<ReportedMonth> reported;
        for (const auto& [field, value] : index) {
          int y = 0, m = 0;
          std::vector<std::string> parts = absl::StrSplit(value, '|');
          if (field == "final" || parts.size() != 3 || sscanf(field.c_str(), "%d-%d", &y, &m) != 2) continue;
          ReportedMonth rm;
          rm.month = absl::CivilMonth(y, m);
          (void)absl::SimpleAtoi(parts[1], &rm.revision);
          (void)absl::SimpleAtoi(parts[2], &rm.version);
          reported.push_back(rm);
        }
        auto revision = CheckMonthlyReport(c, *monthly, reported, req.expected_version(), tx.today, config.rules);
        if (!revision.ok()) return revision.status();
        r.set_revision(*revision);
        *r.mutable_monthly() = req.report();
        for (auto& a : *r.mutable_monthly()->mutable_activities()) {
          a.set_confirmation(v1::ITEM_CONFIRMATION_PENDING);
          a.clear_participant_comment();
        }
        tx.write.HashSet(CaseStore::MonthsKey(tx.next.case_id()), MonthField(req.report().month()),
                         absl::StrCat(r.report_id(), "|", r.revision(), "|", r.version()));
        return absl::OkStatus();
      },
      resp->mutable_report());
}

absl::Status ReferralImpl::SubmitDeviationReport(const Identity& caller, RedisConnection& redis,
                                                 const v1::SubmitDeviationReportRequest& req,
                                                 v1::SubmitDeviationReportResponse* resp) {
  if (!req.has_report()) return absl::InvalidArgumentError("report: required");
  auto deviation = ToDomainDeviationReport(req.report());
  if (!deviation.ok()) return deviation.status();
  if (req.report().description().size() > kMaxText) return absl::InvalidArgumentError("report.description: at most 4000 characters");
  Submission sub{ReportKind::kDeviation, v1::CASE_REPORT_KIND_DEVIATION, std::nullopt};
  return SubmitReport(*this, caller, redis, "SubmitDeviationReport", req, req.request_id(), req.case_id(), sub,
      [&](Tx& tx, const Case& c, const std::map<std::string, std::string>&, v1::CaseReport& r) -> absl::Status {
        RETURN_IF_ERROR(CheckDeviationReport(c, *deviation, tx.today));
        *r.mutable_deviation() = req.report();
        return absl::OkStatus();
      },
      resp->mutable_report());
}

absl::Status ReferralImpl::SubmitInformativeReport(const Identity& caller, RedisConnection& redis,
                                                   const v1::SubmitInformativeReportRequest& req,
                                                   v1::SubmitInformativeReportResponse* resp) {
  if (!req.has_report()) return absl::InvalidArgumentError("report: required");
  const v1::InformativeReport& in = req.report();
  if (in.kind() == v1::INFORMATIVE_REPORT_KIND_UNSPECIFIED || !v1::InformativeReportKind_IsValid(in.kind())) {
    return absl::InvalidArgumentError("report.kind: required");
  }
  RETURN_IF_ERROR(RequireText(in.description(), "report.description", kMaxText));
  RETURN_IF_ERROR(CheckOrganisation(in.employer(), "report.employer",
                                          in.kind() == v1::INFORMATIVE_REPORT_KIND_WORK_PLACEMENT, municipalities));
  if (in.suggested_measure().size() > 200) return absl::InvalidArgumentError("report.suggested_measure: at most 200 characters");
  Submission sub{ReportKind::kInformative, v1::CASE_REPORT_KIND_INFORMATIVE, v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS,
                 "INFORMATIVE_REPORT"};
  return SubmitReport(*this, caller, redis, "SubmitInformativeReport", req, req.request_id(), req.case_id(), sub,
      [&](Tx&, const Case&, const std::map<std::string, std::string>&, v1::CaseReport& r) -> absl::Status {
        *r.mutable_informative() = in;
        return absl::OkStatus();
      },
      resp->mutable_report());
}

absl::Status ReferralImpl::SubmitInterruptionRequest(const Identity& caller, RedisConnection& redis,
                                                     const v1::SubmitInterruptionRequestRequest& req,
                                                     v1::SubmitInterruptionRequestResponse* resp) {
  if (!req.has_request()) return absl::InvalidArgumentError("request: required");
  const v1::InterruptionRequest& in = req.request();
  RETURN_IF_ERROR(RequireText(in.reason(), "request.reason", kMaxText));
  if (in.code() != v1::DEVIATION_CODE_UNSPECIFIED && !IsKnownDeviationCode(ToDomainDeviationCode(in.code()))) {
    return absl::InvalidArgumentError("request.code: not a deviation code");
  }
  if (in.has_requested_date()) {
    auto d = server::ToCivilDay(in.requested_date(), "request.requested_date");
    if (!d.ok()) return d.status();
  }
  if (in.deviation_report_ids_size() > 100) return absl::InvalidArgumentError("request.deviation_report_ids: at most 100");
  for (const std::string& id : in.deviation_report_ids()) {
    if (CaseOfReport(id) != req.case_id()) {
      return absl::InvalidArgumentError("request.deviation_report_ids: not a report of this case");
    }
  }
  Submission sub{ReportKind::kInterruptionRequest, v1::CASE_REPORT_KIND_INTERRUPTION_REQUEST,
                 v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS, "INTERRUPTION_REQUEST"};
  return SubmitReport(*this, caller, redis, "SubmitInterruptionRequest", req, req.request_id(), req.case_id(), sub,
      [&](Tx&, const Case&, const std::map<std::string, std::string>&, v1::CaseReport& r) -> absl::Status {
        *r.mutable_interruption_request() = in;
        return absl::OkStatus();
      },
      resp->mutable_report());
}

absl::Status ReferralImpl::SubmitSupportedEmploymentRequest(const Identity& caller, RedisConnection& redis,
                                                            const v1::SubmitSupportedEmploymentRequestRequest& req,
                                                            v1::SubmitSupportedEmploymentRequestResponse* resp) {
  if (!req.has_request()) return absl::InvalidArgumentError("request: required");
  const v1::SupportedEmploymentRequest& in = req.request();
  RETURN_IF_ERROR(CheckOrganisation(in.employer(), "request.employer", true, municipalities));
  if (in.percentage() < 1 || in.percentage() > 100) return absl::InvalidArgumentError("request.percentage: 1..100");
  if (in.occupation().size() > 200) return absl::InvalidArgumentError("request.occupation: at most 200 characters");
  if (in.description().size() > kMaxText) return absl::InvalidArgumentError("request.description: at most 4000 characters");
  if (in.has_proposed_start()) {
    auto d = server::ToCivilDay(in.proposed_start(), "request.proposed_start");
    if (!d.ok()) return d.status();
  }
  Submission sub{ReportKind::kSupportedEmploymentRequest, v1::CASE_REPORT_KIND_SUPPORTED_EMPLOYMENT_REQUEST,
                 v1::REFERRAL_QUEUE_SUPPORTED_EMPLOYMENT_REQUESTS, "SUPPORTED_EMPLOYMENT_REQUEST"};
  return SubmitReport(*this, caller, redis, "SubmitSupportedEmploymentRequest", req, req.request_id(), req.case_id(), sub,
      [&](Tx&, const Case&, const std::map<std::string, std::string>&, v1::CaseReport& r) -> absl::Status {
        *r.mutable_supported_employment_request() = in;
        return absl::OkStatus();
      },
      resp->mutable_report());
}

absl::Status ReferralImpl::SubmitFinalReport(const Identity& caller, RedisConnection& redis,
                                             const v1::SubmitFinalReportRequest& req, v1::SubmitFinalReportResponse* resp) {
  if (!req.has_report()) return absl::InvalidArgumentError("report: required");
  const v1::FinalReport& in = req.report();
  RETURN_IF_ERROR(RequireText(in.activities(), "report.activities", kMaxText));
  for (const auto* f : {&in.what_worked(), &in.what_did_not_work(), &in.why()}) {
    if (f->size() > kMaxText) return absl::InvalidArgumentError("report: a text is over 4000 characters");
  }
  std::set<int> seen;
  for (int i = 0; i < in.activity_totals_size(); ++i) {
    const auto& a = in.activity_totals(i);
    auto cat = ToDomainActivityCategory(a.category(), absl::StrCat("report.activity_totals[", i, "].category"));
    if (!cat.ok()) return cat.status();
    if (*cat == ActivityCategory::kUnspecified || !seen.insert(a.category()).second) {
      return absl::InvalidArgumentError(absl::StrCat("report.activity_totals[", i, "].category: unspecified or twice"));
    }
    if (a.hours() < 0) return absl::InvalidArgumentError(absl::StrCat("report.activity_totals[", i, "].hours: negative"));
  }
  Submission sub{ReportKind::kFinal, v1::CASE_REPORT_KIND_FINAL, v1::REFERRAL_QUEUE_FINAL_REPORTS, "FINAL_REPORT"};
  return SubmitReport(*this, caller, redis, "SubmitFinalReport", req, req.request_id(), req.case_id(), sub,
      [&](Tx& tx, const Case&, const std::map<std::string, std::string>& index, v1::CaseReport& r) -> absl::Status {
        auto it = index.find("final");
        if (it != index.end()) {
          std::vector<std::string> parts = absl::StrSplit(it->second, '|');
          if (parts.size() == 2 && parts[1] != absl::StrCat(static_cast<int>(v1::CASE_REPORT_STATUS_REJECTED))) {
            return absl::AlreadyExistsError(absl::StrCat("report.final: ", parts[0],
                                                         " is in review or approved; a new one only after a rejection"));
          }
        }
        *r.mutable_final_report() = in;
        tx.write.HashSet(CaseStore::MonthsKey(tx.next.case_id()), "final",
                         absl::StrCat(r.report_id(), "|", static_cast<int>(v1::CASE_REPORT_STATUS_IN_REVIEW)));
        return absl::OkStatus();
      },
      resp->mutable_report());
}

// A change of a stored report (confirmation, review): read with the case, checked, rewritten.
static absl::Status ChangeReport(ReferralImpl& impl, const Identity& caller, RedisConnection& redis, const char* method,
                                 const google::protobuf::Message& req, const std::string& request_id,
                                 const std::string& report_id, int64_t expected_version,
                                 std::vector<std::vector<std::string>> more_reads,
                                 const std::function<absl::Status(ReferralImpl::Tx&, v1::CaseReport&,
                                                                  const std::map<std::string, std::string>&)>& change,
                                 v1::CaseReport* out) {
  RETURN_IF_ERROR(RequireId(report_id, "report_id"));
  RETURN_IF_ERROR(CheckExpectedVersion(expected_version));
  const std::string case_id = CaseOfReport(report_id);
  if (case_id.empty()) return absl::NotFoundError("report: not found");
  std::vector<std::vector<std::string>> reads = {{"HGET", CaseStore::ReportsKey(case_id), report_id},
                                                 {"HGETALL", CaseStore::MonthsKey(case_id)}};
  for (auto& r : more_reads) reads.push_back(std::move(r));
  return impl.Mutate(redis, caller, method, req, request_id, case_id, ReferralImpl::kNoVersionCheck, reads,
      [&](ReferralImpl::Tx& tx) -> absl::Status {
        if (tx.read.extra[0].is_nil()) return absl::NotFoundError("report: not found");
        v1::CaseReport r;
        if (!r.ParseFromString(tx.read.extra[0].str)) return absl::DataLossError("stored report does not parse");
        if (expected_version > 0 && expected_version != r.version()) {
          return absl::AbortedError(absl::StrCat("report.version: expected ", expected_version, ", current ", r.version()));
        }
        const auto index = FieldMap(tx.read.extra[1]);
        RETURN_IF_ERROR(change(tx, r, index));
        r.set_version(r.version() + 1);
        tx.write.HashSet(CaseStore::ReportsKey(case_id), report_id, Serialize(r));
        tx.extra_events.emplace_back("rusta.v1.CaseReportEvent", Serialize(ReportEvent(r, caller, tx.now)));
        tx.audit_detail = absl::StrCat(tx.audit_detail, tx.audit_detail.empty() ? "" : "; ", method, " ", report_id);
        *out = r;
        return absl::OkStatus();
      },
      [](const ReferralImpl::Tx&) {}, out);
}

absl::Status ReferralImpl::ConfirmMonthlyReport(const Identity& caller, RedisConnection& redis,
                                                const v1::ConfirmMonthlyReportRequest& req,
                                                v1::ConfirmMonthlyReportResponse* resp) {
  if (req.items_size() == 0) return absl::InvalidArgumentError("items: at least one");
  std::set<int> seen;
  for (int i = 0; i < req.items_size(); ++i) {
    const auto& it = req.items(i);
    if (!v1::ActivityCategory_IsValid(it.category()) || it.category() == 0 || !seen.insert(it.category()).second) {
      return absl::InvalidArgumentError(absl::StrCat("items[", i, "].category: unknown, unspecified or twice"));
    }
    if (it.confirmation() != v1::ITEM_CONFIRMATION_CONFIRMED && it.confirmation() != v1::ITEM_CONFIRMATION_DISPUTED) {
      return absl::InvalidArgumentError(absl::StrCat("items[", i, "].confirmation: CONFIRMED or DISPUTED"));
    }
    if (it.comment().size() > 1000) return absl::InvalidArgumentError(absl::StrCat("items[", i, "].comment: at most 1000 characters"));
    if (it.confirmation() == v1::ITEM_CONFIRMATION_DISPUTED) {
      RETURN_IF_ERROR(RequireText(it.comment(), absl::StrCat("items[", i, "].comment").c_str(), 1000));
    }
  }
  return ChangeReport(*this, caller, redis, "ConfirmMonthlyReport", req, req.request_id(), req.report_id(),
                      req.expected_version(), {},
      [&](Tx& tx, v1::CaseReport& r, const std::map<std::string, std::string>& index) -> absl::Status {
        if (r.kind() != v1::CASE_REPORT_KIND_MONTHLY) return absl::FailedPreconditionError("report.kind: not a monthly report");
        ApplyIndexStatus(r, index);
        if (r.status() == v1::CASE_REPORT_STATUS_SUPERSEDED) {
          return absl::FailedPreconditionError("report.superseded: a correction replaced this report; confirm the current one");
        }
        for (int i = 0; i < req.items_size(); ++i) {
          const auto& item = req.items(i);
          v1::ActivityHours* target = nullptr;
          for (auto& a : *r.mutable_monthly()->mutable_activities()) {
            if (a.category() == item.category()) target = &a;
          }
          if (target == nullptr) {
            return absl::InvalidArgumentError(absl::StrCat("items[", i, "].category: not in the report"));
          }
          target->set_confirmation(item.confirmation());
          target->set_participant_comment(item.comment());
        }
        bool all = true, disputed = false;
        for (const auto& a : r.monthly().activities()) {
          all &= a.confirmation() == v1::ITEM_CONFIRMATION_CONFIRMED;
          disputed |= a.confirmation() == v1::ITEM_CONFIRMATION_DISPUTED;
        }
        const bool newly_disputed = disputed && r.status() != v1::CASE_REPORT_STATUS_DISPUTED;
        r.set_status(disputed ? v1::CASE_REPORT_STATUS_DISPUTED
                              : all ? v1::CASE_REPORT_STATUS_CONFIRMED : v1::CASE_REPORT_STATUS_SUBMITTED);
        tx.write.HashSet(CaseStore::MonthsKey(tx.next.case_id()), MonthField(r.monthly().month()),
                         absl::StrCat(r.report_id(), "|", r.revision(), "|", r.version() + 1));
        if (newly_disputed) {
          const std::string note = absl::StrCat("disputed items in ", r.report_id());
          v1::CaseFlag* f = tx.next.add_flags();
          f->set_kind(v1::CASE_FLAG_KIND_DISPUTED_REPORT);
          server::SetTimestamp(tx.now, f->mutable_raised_at());
          f->set_note(note);
          tx.Flag(v1::CASE_FLAG_KIND_DISPUTED_REPORT, true, note);
          tx.write.Enqueue(Queue(v1::REFERRAL_QUEUE_DISPUTES), WorkPayload{"DISPUTE", tx.next.case_id(), r.report_id()}.Encode(),
                           absl::ToUnixMillis(tx.now));
        }
        return absl::OkStatus();
      },
      resp->mutable_report());
}

absl::Status ReferralImpl::ReviewFinalReport(const Identity& caller, RedisConnection& redis,
                                             const v1::ReviewFinalReportRequest& req, v1::ReviewFinalReportResponse* resp) {
  if (req.decision() != v1::CASE_REPORT_STATUS_APPROVED && req.decision() != v1::CASE_REPORT_STATUS_REJECTED) {
    return absl::InvalidArgumentError("decision: APPROVED or REJECTED");
  }
  if (req.decision() == v1::CASE_REPORT_STATUS_REJECTED) RETURN_IF_ERROR(RequireText(req.reason(), "reason", kMaxText));
  if (req.reason().size() > kMaxText) return absl::InvalidArgumentError("reason: at most 4000 characters");
  std::optional<ItemRef> item;
  std::vector<std::vector<std::string>> more;
  if (!req.queue_item_id().empty()) {
    auto parsed = ParseItemId(req.queue_item_id(), "queue_item_id");
    if (!parsed.ok()) return parsed.status();
    if (parsed->spec->id != v1::REFERRAL_QUEUE_FINAL_REPORTS) {
      return absl::InvalidArgumentError("queue_item_id: not an item of the final-reports queue");
    }
    item = *parsed;
    more = ItemReads(*item);
  }
  return ChangeReport(*this, caller, redis, "ReviewFinalReport", req, req.request_id(), req.report_id(),
                      req.expected_version(), more,
      [&](Tx& tx, v1::CaseReport& r, const std::map<std::string, std::string>&) -> absl::Status {
        if (r.kind() != v1::CASE_REPORT_KIND_FINAL) return absl::FailedPreconditionError("report.kind: not a final report");
        if (r.status() != v1::CASE_REPORT_STATUS_IN_REVIEW) {
          return absl::FailedPreconditionError(absl::StrCat("report.review: the report is ",
                                                            v1::CaseReportStatus_Name(r.status()), ", not IN_REVIEW"));
        }
        r.set_status(req.decision());
        v1::ReportReview* review = r.mutable_review();
        review->set_decision(req.decision());
        review->set_reason(req.reason());
        *review->mutable_reviewed_by() = server::ToActor(caller);
        server::SetTimestamp(tx.now, review->mutable_reviewed_at());
        tx.write.HashSet(CaseStore::MonthsKey(tx.next.case_id()), "final",
                         absl::StrCat(r.report_id(), "|", static_cast<int>(req.decision())));
        if (item) {
          RETURN_IF_ERROR(CompleteItemInTx(tx, *item, tx.read.extra[2], tx.read.extra[3], tx.next.case_id(),
                                                 req.decision() == v1::CASE_REPORT_STATUS_APPROVED
                                                     ? v1::WORK_OUTCOME_APPROVED : v1::WORK_OUTCOME_REJECTED));
        }
        return absl::OkStatus();
      },
      resp->mutable_report());
}

absl::Status ReferralImpl::GetCaseReport(const Identity& caller, RedisConnection& redis,
                                         const v1::GetCaseReportRequest& req, v1::GetCaseReportResponse* resp) {
  RETURN_IF_ERROR(RequireId(req.report_id(), "report_id"));
  const std::string case_id = CaseOfReport(req.report_id());
  if (case_id.empty()) return absl::NotFoundError("report: not found");
  auto c = LoadForCaller(redis, caller, "GetCaseReport", case_id);  // audited for providers
  if (!c.ok()) return c.status();
  auto replies = redis.Pipeline({{"HGET", CaseStore::ReportsKey(case_id), req.report_id()},
                                 {"HGETALL", CaseStore::MonthsKey(case_id)}});
  if (!replies.ok()) return replies.status();
  if ((*replies)[0].is_nil()) return absl::NotFoundError("report: not found");
  v1::CaseReport r;
  if (!r.ParseFromString((*replies)[0].str)) return absl::DataLossError("stored report does not parse");
  if (caller.role == identity::Role::kProvider && r.organisation_number() != caller.id) {
    return absl::NotFoundError("report: not found");
  }
  ApplyIndexStatus(r, FieldMap((*replies)[1]));
  *resp->mutable_report() = std::move(r);
  return absl::OkStatus();
}

absl::Status ReferralImpl::ListCaseReports(const Identity& caller, RedisConnection& redis,
                                           const v1::ListCaseReportsRequest& req, v1::ListCaseReportsResponse* resp) {
  auto page_size = server::PageSize(req.page_size());
  if (!page_size.ok()) return page_size.status();
  auto page_offset = server::PageOffset(req.page_token());
  if (!page_offset.ok()) return page_offset.status();
  const int64_t offset = *page_offset;
  for (int k : req.kinds()) {
    if (!v1::CaseReportKind_IsValid(k) || k == 0) return absl::InvalidArgumentError("kinds: unknown kind");
  }
  auto c = LoadForCaller(redis, caller, "ListCaseReports", req.case_id());
  if (!c.ok()) return c.status();
  auto reports = store.Reports(redis, req.case_id());
  if (!reports.ok()) return reports.status();
  auto index_reply = redis.Command({"HGETALL", CaseStore::MonthsKey(req.case_id())});
  if (!index_reply.ok()) return index_reply.status();
  const auto index = FieldMap(*index_reply);
  std::sort(reports->begin(), reports->end(), [](const v1::CaseReport& a, const v1::CaseReport& b) {
    return ReportNumber(a.report_id()) < ReportNumber(b.report_id());
  });
  std::vector<v1::CaseReport> kept;
  for (v1::CaseReport& r : *reports) {
    if (caller.role == identity::Role::kProvider && r.organisation_number() != caller.id) continue;
    if (req.kinds_size() > 0 && std::find(req.kinds().begin(), req.kinds().end(), r.kind()) == req.kinds().end()) continue;
    ApplyIndexStatus(r, index);
    if (!req.include_superseded() && r.status() == v1::CASE_REPORT_STATUS_SUPERSEDED) continue;
    kept.push_back(std::move(r));
  }
  for (int64_t i = offset; i < static_cast<int64_t>(kept.size()) && resp->reports_size() < *page_size; ++i) {
    *resp->add_reports() = kept[i];
  }
  if (offset + resp->reports_size() < static_cast<int64_t>(kept.size())) {
    resp->set_next_page_token(absl::StrCat(offset + resp->reports_size()));
  }
  return absl::OkStatus();
}

}  // namespace rusta::referral
