// Results after the end (domain.md section 3, step 6): reported within the window, verified at
// the 4-month mark against the register (result_register.h) by the scheduler, or by an
// employment officer from the result-verifications queue when the register cannot settle it.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/referral/case_mapping.h"
#include "services/referral/domain/state_machine.h"
#include "services/referral/referral_impl.h"

namespace rusta::referral {

namespace {

std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

// The event the compensation engine and the rating input consume, with all they need.
v1::ResultVerificationEvent VerificationEvent(const v1::Case& c, const v1::CaseTransition& step) {
  v1::ResultVerificationEvent e;
  const v1::CaseResult& r = c.result();
  e.set_event_id(step.event_id());
  e.set_case_id(c.case_id());
  e.set_person_id(c.person_id());
  if (c.provider_history_size() > 0) {
    e.set_organisation_number(c.provider_history(c.provider_history_size() - 1).organisation_number());
  }
  e.set_level(c.level());
  *e.mutable_service_started_on() = c.started_on();
  *e.mutable_service_ended_on() = c.end().end_date();
  e.set_kind(r.kind());
  *e.mutable_result_start() = r.start_date();
  if (r.has_end_date()) *e.mutable_result_end() = r.end_date();
  e.set_percentage(r.percentage());
  e.set_subsidised(r.subsidised());
  e.set_status(r.verification_status());
  e.set_failure(r.verification_failure());
  e.set_verification_reference(r.verification_reference());
  *e.mutable_occurred_at() = step.time();
  e.set_rule_version(r.rule_version());
  return e;
}

}  // namespace

absl::Status ReferralImpl::ReportResult(const Identity& caller, RedisConnection& redis,
                                        const v1::ReportResultRequest& req, v1::ReportResultResponse* resp) {
  if (req.kind() != v1::RESULT_KIND_WORK && req.kind() != v1::RESULT_KIND_STUDIES) {
    return absl::InvalidArgumentError("kind: WORK or STUDIES");
  }
  RETURN_IF_ERROR(RequireText(req.organisation().name(), "organisation.name", 200));
  if (!req.organisation().organisation_number().empty()) {
    auto o = validation::ParseOrganisationNumber(req.organisation().organisation_number(), "organisation.organisation_number");
    if (!o.ok()) return o.status();
  }
  auto start = server::ToCivilDay(req.start_date(), "start_date");
  if (!start.ok()) return start.status();
  std::optional<absl::CivilDay> end;
  if (req.has_end_date()) {
    auto e = server::ToCivilDay(req.end_date(), "end_date");
    if (!e.ok()) return e.status();
    if (*e < *start) return absl::InvalidArgumentError("end_date: before start_date");
    end = *e;
  }
  if (req.percentage() < 1 || req.percentage() > 100) return absl::InvalidArgumentError("percentage: 1..100");
  // Who reported it follows from the caller: a provider reports as PROVIDER, the register import
  // (a service) as REGISTER, a caseworker as CASEWORKER.
  v1::ResultSource source = req.source();
  const bool provider = caller.role == identity::Role::kProvider;
  const v1::ResultSource expected = provider ? v1::RESULT_SOURCE_PROVIDER
                                    : caller.role == identity::Role::kService ? v1::RESULT_SOURCE_REGISTER
                                                                             : v1::RESULT_SOURCE_CASEWORKER;
  if (source == v1::RESULT_SOURCE_UNSPECIFIED) source = expected;
  if (source != expected) return absl::InvalidArgumentError(absl::StrCat("source: ", v1::ResultSource_Name(expected), " for this caller"));
  ResultReport report{req.kind() == v1::RESULT_KIND_WORK ? ResultKind::kWork : ResultKind::kStudies, *start, end,
                      req.percentage()};
  return Mutate(redis, caller, "ReportResult", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        if (provider) {
          const ProviderAssignment* last = domain->LastProvider();
          if (last == nullptr || last->organisation_number != caller.id) {
            return absl::PermissionDeniedError(absl::StrCat("result.provider: ", caller.id, " is not the case's last provider"));
          }
        }
        auto step = tx.Step(Transition::kReportResult, req.organisation().name(), *start);
        if (!step.ok()) return step.status();
        RETURN_IF_ERROR(CheckResultReport(*domain, report, tx.today, config.rules));
        const absl::CivilDay due = ResultVerificationDueOn(*start, config.rules);
        v1::CaseResult* r = tx.next.mutable_result();
        r->Clear();
        r->set_result_id(absl::StrCat(tx.next.case_id(), ".res", tx.next.history_size()));
        r->set_case_id(tx.next.case_id());
        r->set_version(1);
        r->set_kind(req.kind());
        *r->mutable_organisation() = req.organisation();
        *r->mutable_start_date() = req.start_date();
        if (end) *r->mutable_end_date() = req.end_date();
        r->set_percentage(req.percentage());
        r->set_subsidised(req.subsidised());
        r->set_source(source);
        *r->mutable_reported_by() = server::ToActor(caller);
        server::SetTimestamp(tx.now, r->mutable_reported_at());
        *r->mutable_verification_due_on() = server::FromCivilDay(due);
        r->set_verification_status(v1::VERIFICATION_STATUS_PENDING);
        r->set_rule_version(config.rules.version);
        v1::ResultReportedDetails* d = (*step)->mutable_result_reported();
        d->set_result_id(r->result_id());
        d->set_kind(req.kind());
        *d->mutable_result_start() = req.start_date();
        *d->mutable_verification_due_on() = r->verification_due_on();
        // Checked against the register when it has lasted long enough (the scheduler).
        const std::string id = "verify:" + tx.next.case_id();
        tx.write.Cancel(deadlines, id);
        tx.write.Schedule(deadlines, id, WorkPayload{"VERIFY", tx.next.case_id(), r->result_id()}.Encode(),
                          absl::ToUnixMillis(StartOfSwedishDay(due)));
        return absl::OkStatus();
      },
      [&](const Tx& tx) {
        *resp->mutable_case_record() = ViewFor(caller, tx.next);
        *resp->mutable_result() = tx.next.result();
        if (provider) resp->mutable_result()->clear_reported_by();
      },
      resp);
}

absl::Status ReferralImpl::GetResult(const Identity& caller, RedisConnection& redis, const v1::GetResultRequest& req,
                                     v1::GetResultResponse* resp) {
  auto c = LoadForCaller(redis, caller, "GetResult", req.case_id());  // audited for providers
  if (!c.ok()) return c.status();
  if (!c->has_result()) return absl::NotFoundError("result: none reported");
  if (caller.role == identity::Role::kProvider) {
    const auto& h = c->provider_history();
    if (h.empty() || h.rbegin()->organisation_number() != caller.id) return absl::NotFoundError("result: none reported");
  }
  *resp->mutable_result() = c->result();
  return absl::OkStatus();
}

absl::Status ReferralImpl::VerifyResult(const Identity& caller, RedisConnection& redis,
                                        const v1::VerifyResultRequest& req, v1::VerifyResultResponse* resp) {
  if (req.status() != v1::VERIFICATION_STATUS_VERIFIED && req.status() != v1::VERIFICATION_STATUS_NOT_VERIFIED) {
    return absl::InvalidArgumentError("status: VERIFIED or NOT_VERIFIED");
  }
  if (req.status() == v1::VERIFICATION_STATUS_NOT_VERIFIED &&
      (req.failure() == v1::VERIFICATION_FAILURE_UNSPECIFIED || !v1::VerificationFailure_IsValid(req.failure()))) {
    return absl::InvalidArgumentError("failure: required when NOT_VERIFIED");
  }
  if (req.status() == v1::VERIFICATION_STATUS_VERIFIED) {
    RETURN_IF_ERROR(RequireText(req.verification_reference(), "verification_reference", 200));
  }
  if (req.verification_reference().size() > 200) return absl::InvalidArgumentError("verification_reference: at most 200 characters");
  std::optional<ItemRef> item;
  std::vector<std::vector<std::string>> extra;
  if (!req.queue_item_id().empty()) {
    auto parsed = ParseItemId(req.queue_item_id(), "queue_item_id");
    if (!parsed.ok()) return parsed.status();
    if (parsed->spec->id != v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS) {
      return absl::InvalidArgumentError("queue_item_id: not an item of the result-verifications queue");
    }
    item = *parsed;
    extra = ItemReads(*item);
  }
  const bool verified = req.status() == v1::VERIFICATION_STATUS_VERIFIED;
  return Mutate(redis, caller, "VerifyResult", req, req.request_id(), req.case_id(), req.expected_version(), extra,
      [&](Tx& tx) -> absl::Status {
        auto step = tx.Step(verified ? Transition::kVerifyResult : Transition::kRejectResult,
                            verified ? req.verification_reference() : v1::VerificationFailure_Name(req.failure()),
                            tx.today);
        if (!step.ok()) return step.status();
        v1::CaseResult* r = tx.next.mutable_result();
        if (verified) {
          // A verification proves four months of work or studies: not before they have passed.
          auto due = server::ToCivilDay(r->verification_due_on(), "result.verification_due_on");
          if (!due.ok()) return absl::DataLossError("stored result has no due date");
          if (tx.today < *due) {
            return absl::FailedPreconditionError(absl::StrCat("case.result: the result cannot be verified before ",
                                                              absl::FormatCivilTime(*due)));
          }
        }
        r->set_version(r->version() + 1);
        r->set_verification_status(req.status());
        r->set_verification_failure(verified ? v1::VERIFICATION_FAILURE_UNSPECIFIED : req.failure());
        r->set_verification_reference(req.verification_reference());
        server::SetTimestamp(tx.now, r->mutable_verified_at());
        v1::ResultVerifiedDetails* d = (*step)->mutable_result_verified();
        d->set_result_id(r->result_id());
        d->set_status(req.status());
        d->set_failure(r->verification_failure());
        tx.extra_events.emplace_back("rusta.v1.ResultVerificationEvent",
                                     Serialize(VerificationEvent(tx.next, *tx.next.history().rbegin())));
        tx.write.Cancel(deadlines, "verify:" + tx.next.case_id());
        if (item) {
          RETURN_IF_ERROR(CompleteItemInTx(tx, *item, tx.read.extra[0], tx.read.extra[1], tx.next.case_id(),
                                                 verified ? v1::WORK_OUTCOME_APPROVED : v1::WORK_OUTCOME_REJECTED));
        }
        return absl::OkStatus();
      },
      [&](const Tx& tx) {
        *resp->mutable_case_record() = ViewFor(caller, tx.next);
        *resp->mutable_result() = tx.next.result();
      },
      resp);
}

absl::Status ReferralImpl::MarkPaid(RedisConnection& redis, const std::string& case_id,
                                    const std::vector<std::string>& line_ids, const std::string& request_id) {
  v1::PaidDetails paid;  // the request, for the fingerprint: which lines paid the result
  for (const std::string& id : line_ids) paid.add_payment_line_ids(id);
  v1::GetCaseResponse resp;
  return Mutate(redis, SchedulerIdentity(host.config().trust_domain), "MarkPaid", paid, request_id, case_id, 0, {},
      [&](Tx& tx) -> absl::Status {
        auto step = tx.Step(Transition::kMarkPaid, absl::StrCat(line_ids.size(), " result lines settled"), tx.today);
        if (!step.ok()) return step.status();
        *(*step)->mutable_paid() = paid;
        return absl::OkStatus();
      },
      [&](const Tx& tx) { *resp.mutable_case_record() = tx.next; }, &resp);
}

absl::Status ReferralImpl::CheckResultInRegister(RedisConnection& redis, const std::string& case_id,
                                                 const std::string& request_id) {
  auto cases = store.GetMany(redis, {case_id});
  if (!cases.ok()) return cases.status();
  if (cases->empty()) return absl::NotFoundError("case: not found");
  const v1::Case& c = (*cases)[0];
  if (c.state() != v1::CASE_STATE_RESULT_REPORTED) return absl::FailedPreconditionError("case.result: nothing to verify");
  const v1::CaseResult& r = c.result();
  auto to_queue = [&](const std::string& why) -> absl::Status {
    // The register cannot settle it: an employment officer looks at the verifikat.
    v1::VerifyResultRequest none;
    (void)none;
    auto enq = Queue(v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS)
                   .Enqueue(redis, WorkPayload{"RESULT_VERIFICATION", case_id, r.result_id()}.Encode(),
                            absl::ToUnixMillis(Now()));
    if (!enq.ok()) return enq.status();
    return absl::FailedPreconditionError(absl::StrCat("result.register: ", why, "; sent to result-verifications"));
  };
  if (result_register == nullptr) return to_queue("no register configured");
  auto records = result_register->Records(c.person_id());
  if (!records.ok()) return records.status();  // UNAVAILABLE: the deadline comes back later
  auto start = server::ToCivilDay(r.start_date(), "start");
  auto ended = server::ToCivilDay(c.end().end_date(), "end");
  if (!start.ok() || !ended.ok()) return absl::DataLossError("stored result dates");
  // The record that matches the reported result: the same organisation (by number when both
  // have one, else by name) starting within a month of the reported start.
  const RegisterRecord* match = nullptr;
  for (const RegisterRecord& rec : *records) {
    const bool same_org = !r.organisation().organisation_number().empty() && !rec.organisation_number.empty()
                              ? rec.organisation_number == r.organisation().organisation_number()
                              : absl::AsciiStrToLower(rec.organisation_name) == absl::AsciiStrToLower(r.organisation().name());
    if (same_org && std::abs(rec.start - *start) <= 31) match = &rec;
  }
  v1::VerifyResultRequest req;
  req.set_request_id(request_id);
  req.set_case_id(case_id);
  if (match == nullptr) {
    req.set_status(v1::VERIFICATION_STATUS_NOT_VERIFIED);
    req.set_failure(records->empty() ? v1::VERIFICATION_FAILURE_NOT_IN_REGISTER : v1::VERIFICATION_FAILURE_MISMATCH);
  } else {
    switch (EvaluateResult(*ended, match->start, match->end, server::SwedishDay(Now()), config.rules)) {
      case ResultVerdict::kCounts:
        req.set_status(v1::VERIFICATION_STATUS_VERIFIED);
        break;
      case ResultVerdict::kStartedTooLate:
        req.set_status(v1::VERIFICATION_STATUS_NOT_VERIFIED);
        req.set_failure(v1::VERIFICATION_FAILURE_STARTED_TOO_LATE);
        break;
      case ResultVerdict::kTooShort:
        req.set_status(v1::VERIFICATION_STATUS_NOT_VERIFIED);
        req.set_failure(v1::VERIFICATION_FAILURE_TOO_SHORT);
        break;
      case ResultVerdict::kNotYetKnown:
        return to_queue("the register does not show four months yet");
    }
    req.set_verification_reference(absl::StrCat("register:", match->reference));
  }
  v1::VerifyResultResponse resp;
  return VerifyResult(SchedulerIdentity(host.config().trust_domain), redis, req, &resp);
}

}  // namespace rusta::referral
