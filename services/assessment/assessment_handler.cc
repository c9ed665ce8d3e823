#include "services/assessment/assessment_handler.h"
#include "common/status/status_macros.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_event.h"
#include "common/log/log.h"
#include "common/server/idempotency.h"
#include "common/server/ids.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/assessment/domain/follow_up.h"
#include "services/assessment/factor_extraction.h"
#include "services/assessment/proto_mapping.h"

namespace rusta::assessment {

using identity::Identity;
using identity::Role;
using redis::RedisConnection;
namespace v1 = rusta::v1;

namespace {

constexpr char kService[] = "assessment";
constexpr char kQueueName[] = "assessment.support-review";
constexpr int kMaxJustification = 4000;


using validation::RequireText;

// Assessment ids and the case and decision ids linked to them: at most 64 characters.
absl::Status RequireId(const std::string& id, const char* field) { return validation::RequireId(id, field, 64); }

// A mutation's result: "<extra>\n<serialised assessment>" (see assessment.lua).
absl::Status ParseMutationResult(const std::string& stored, v1::Assessment* out, std::string* extra) {
  const size_t newline = stored.find('\n');
  if (newline == std::string::npos || !out->ParseFromString(stored.substr(newline + 1))) {
    return absl::DataLossError("stored mutation result does not parse");
  }
  if (extra != nullptr) *extra = stored.substr(0, newline);
  return absl::OkStatus();
}

absl::Status RequireExpectedVersion(int64_t v) {
  if (v < 0) return absl::InvalidArgumentError("expected_version: must not be negative");
  return absl::OkStatus();
}

// The outcome an officer's override or the tool gives, whichever stands.
v1::AssessmentOutcome EffectiveOutcome(const v1::Assessment& a) {
  return a.has_override() ? a.override().outcome() : a.result().outcome();
}

}  // namespace

struct AssessmentHandler::Impl {
  Impl(server::ServiceHost& h, AssessmentConfig c, const ModelRegistry& m,
       const validation::MunicipalityCodes* munis, const validation::PostalCodeDirectory* postal)
      : host(h),
        config(std::move(c)),
        models(m),
        reference{munis, postal},
        policy(MakePolicy()),
        support_queue(queue::QueueOptions{kSupportQueue, "workers", config.support_review_visibility_ms, 5, 100}),
        store(host.audit(), config.pseudonym_secret, support_queue) {}

  server::ServiceHost& host;
  AssessmentConfig config;
  const ModelRegistry& models;
  ReferenceData reference;
  identity::Policy policy;
  queue::WorkQueue support_queue;
  AssessmentStore store;

  absl::Time Now() const { return host.clock().Now(); }

  v1::AuditEvent Audit(const Identity& caller, const char* action, const v1::Assessment* a,
                       const std::string& request_id) const {
    v1::AuditEvent e = audit::MakeAuditEvent(caller, kService, action, Now());
    e.set_purpose("statistical-assessment");
    e.set_request_id(request_id);
    if (a != nullptr) {
      audit::AddSubject(e, v1::SUBJECT_KIND_PERSON, a->person_id());
      audit::AddSubject(e, v1::SUBJECT_KIND_ASSESSMENT, a->assessment_id());
      e.set_rule_version(absl::StrCat(a->result().model_version(), "/", a->result().threshold_version(),
                                      "/", a->result().eligibility_rule_version()));
    }
    return e;
  }

  // The shape of every change to a stored assessment: idempotency first, then read, the rule
  // check on what was read, and one Redis call that writes only if nothing changed since the read.
  // With expected_version 0 a lost race is retried on fresh data; otherwise it is ABORTED.
  absl::Status Mutate(RedisConnection& redis, const Identity& caller, const char* method,
                      const google::protobuf::Message& request, const std::string& request_id,
                      const std::string& assessment_id, int64_t expected_version,
                      const std::function<absl::Status(v1::Assessment&)>& change,
                      const std::function<absl::StatusOr<std::string>(const Mutation&)>& write,
                      v1::Assessment* out, std::string* result = nullptr) {
    RETURN_IF_ERROR(server::ValidateRequestId(request_id));
    RETURN_IF_ERROR(RequireId(assessment_id, "assessment_id"));
    RETURN_IF_ERROR(RequireExpectedVersion(expected_version));
    const std::string idem_key = server::IdempotencyKey(assessment_id, caller, method, request_id);
    const std::string fingerprint = server::RequestFingerprint(request);
    for (int attempt = 0;; ++attempt) {
      audit::AuditLog::PauseBeforeRetry(attempt);
      auto read = store.Read(redis, idem_key, fingerprint, assessment_id);
      if (!read.ok()) return read.status();
      if (!read->assessment.has_value()) return absl::NotFoundError("assessment: not found");
      if (read->earlier_result.has_value()) {  // a repeat: the first call's response, nothing changes
        return ParseMutationResult(*read->earlier_result, out, result);
      }
      v1::Assessment next = *read->assessment;
      const int64_t version = next.version();
      if (expected_version > 0 && expected_version != version) {
        return absl::AbortedError(absl::StrCat("version: expected ", expected_version, ", current ", version));
      }
      RETURN_IF_ERROR(change(next));
      next.set_version(version + 1);
      const audit::PreparedEvent event = audit::AuditLog::Prepare(
          AssessmentStore::Chain(assessment_id), read->audit_head, Audit(caller, method, &next, request_id));
      auto written = write(Mutation{idem_key, fingerprint, version, &next, &event});
      // The chain moved (another call audited this assessment meanwhile): never the client's
      // error, try again. A version race only when the client did not name a version.
      if (audit::AuditLog::IsChainConflict(written.status()) && attempt + 1 < audit::AuditLog::kMaxAttempts) {
        continue;
      }
      if (written.status().code() == absl::StatusCode::kAborted && expected_version == 0 && attempt < 3) {
        continue;
      }
      if (!written.ok()) return written.status();
      return ParseMutationResult(*written, out, result);
    }
  }

  absl::StatusOr<v1::Assessment> Load(RedisConnection& redis, const std::string& id) {
    RETURN_IF_ERROR(RequireId(id, "assessment_id"));
    auto a = store.Get(redis, id);
    if (!a.ok()) return a.status();
    if (!a->has_value()) return absl::NotFoundError("assessment: not found");
    return std::move(**a);
  }

  // Appends a read of the assessment to its chain, starting from the head read with it.
  absl::Status AuditRead(RedisConnection& redis, const Identity& caller, const char* method,
                         const v1::Assessment& a, const redis::RedisValue& head, const std::string& detail = "") {
    v1::AuditEvent e = Audit(caller, method, &a, "");
    e.set_detail(detail);
    return host.audit().Append(redis, AssessmentStore::Chain(a.assessment_id()), e, &head).status();
  }

  // The assessment and its chain head, in one round trip.
  absl::StatusOr<AssessmentStore::ReadForUpdate> LoadForRead(RedisConnection& redis, const std::string& id) {
    RETURN_IF_ERROR(RequireId(id, "assessment_id"));
    auto read = store.Read(redis, "", "", id);
    if (!read.ok()) return read.status();
    if (!read->assessment.has_value()) return absl::NotFoundError("assessment: not found");
    return read;
  }

  // ---- RPCs ----

  absl::Status Assess(const Identity& caller, RedisConnection& redis, const v1::AssessRequest& req,
                      v1::AssessResponse* resp) {
    RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
    const absl::Time now = Now();
    const absl::CivilDay today = server::SwedishDay(now);
    auto person = validation::ParsePersonNumber(req.person_id(), "person_id", today);
    if (!person.ok()) return person.status();
    if (!req.has_factors()) return absl::InvalidArgumentError("factors: required");
    v1::AssessmentFactors factors = req.factors();
    ExtractionLimits limits{config.min_age, config.max_age,
                            config.eligibility_rule.kind == EligibilityRule::Kind::kTimeRegistered};
    auto features = ExtractFeatures(factors, today, limits, reference);
    if (!features.ok()) return features.status();
    auto model = models.InForceAt(today);
    if (!model.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("model.in_force: no model in force on ", absl::FormatCivilTime(today)));
    }
    auto thresholds = (*model)->ThresholdsAt(today);
    if (!thresholds.ok()) {
      return absl::FailedPreconditionError("model.thresholds: no threshold set in force today");
    }
    auto result = (*model)->Score(*features, *thresholds, config.eligibility_rule);
    if (!result.ok()) return result.status();

    v1::Assessment a;
    a.set_assessment_id(server::NewId("as"));
    a.set_person_id(person->normalized);
    a.set_version(1);
    server::SetTimestamp(now, a.mutable_assessed_at());
    *a.mutable_assessed_by() = server::ToActor(caller);
    *a.mutable_factors() = std::move(factors);
    *a.mutable_result() = ToProto(*result);
    const std::string idem_key =
        server::IdempotencyKey("assess", caller, "Assess", req.request_id());
    v1::AuditEvent event = Audit(caller, "Assess", &a, req.request_id());
    event.set_detail(absl::StrCat("outcome ", OutcomeName(result->outcome), " level ", LevelName(result->level),
                                  result->eligible ? " eligible" : " not eligible"));
    auto stored_id = store.Create(redis, a, absl::ToUnixMillis(now), idem_key,
                                  server::RequestFingerprint(req), event);
    if (!stored_id.ok()) return stored_id.status();
    if (*stored_id != a.assessment_id()) {  // a repeated request_id: the first assessment
      auto first = Load(redis, *stored_id);
      if (!first.ok()) return first.status();
      *resp->mutable_assessment() = std::move(*first);
      return absl::OkStatus();
    }
    *resp->mutable_assessment() = std::move(a);
    return absl::OkStatus();
  }

  absl::Status GetAssessment(const Identity& caller, RedisConnection& redis,
                             const v1::GetAssessmentRequest& req, v1::GetAssessmentResponse* resp) {
    auto read = LoadForRead(redis, req.assessment_id());
    if (!read.ok()) return read.status();
    RETURN_IF_ERROR(AuditRead(redis, caller, "GetAssessment", *read->assessment, read->audit_head));
    *resp->mutable_assessment() = std::move(*read->assessment);
    return absl::OkStatus();
  }

  absl::Status ListAssessments(const Identity& caller, RedisConnection& redis,
                               const v1::ListAssessmentsRequest& req, v1::ListAssessmentsResponse* resp) {
    auto person = validation::ParsePersonNumber(req.person_id(), "person_id", server::SwedishDay(Now()));
    if (!person.ok()) return person.status();
    auto page_size = server::PageSize(req.page_size());
    if (!page_size.ok()) return page_size.status();
    auto page_offset = server::PageOffset(req.page_token());
    if (!page_offset.ok()) return page_offset.status();
    const int64_t offset = *page_offset;
    auto ids = store.PersonAssessmentIds(redis, person->normalized, offset, *page_size + 1);
    if (!ids.ok()) return ids.status();
    const bool more = static_cast<int>(ids->size()) > *page_size;
    if (more) ids->pop_back();
    auto assessments = store.GetMany(redis, *ids);
    if (!assessments.ok()) return assessments.status();
    for (auto& a : *assessments) *resp->add_assessments() = std::move(a);
    if (more) resp->set_next_page_token(absl::StrCat(offset + *page_size));
    v1::AuditEvent e = audit::MakeAuditEvent(caller, kService, "ListAssessments", Now());
    e.set_purpose("statistical-assessment");
    audit::AddSubject(e, v1::SUBJECT_KIND_PERSON, person->normalized);
    e.set_detail(absl::StrCat(resp->assessments_size(), " assessments"));
    return host.audit().Append(redis, audit::ActorChain(caller.uri), e).status();
  }

  absl::Status ReplayAssessment(const Identity& caller, RedisConnection& redis,
                                const v1::ReplayAssessmentRequest& req, v1::ReplayAssessmentResponse* resp) {
    if (req.version_case() == v1::ReplayAssessmentRequest::VERSION_NOT_SET ||
        (req.version_case() == v1::ReplayAssessmentRequest::kOwnVersion && !req.own_version())) {
      return absl::InvalidArgumentError("version: own_version or model_version required");
    }
    auto read = LoadForRead(redis, req.assessment_id());
    if (!read.ok()) return read.status();
    const v1::Assessment* a = &*read->assessment;
    const v1::AssessmentResult& original = a->result();
    const bool own = req.version_case() == v1::ReplayAssessmentRequest::kOwnVersion;
    const std::string model_version = own ? original.model_version() : req.model_version();
    auto model = models.ByVersion(model_version);
    if (!model.ok()) {
      return own ? absl::FailedPreconditionError("model.version: the recorded model is no longer loaded")
                 : absl::InvalidArgumentError("model_version: unknown model version");
    }
    auto rule = EligibilityRule::FromVersion(original.eligibility_rule_version());
    if (!rule.ok()) return absl::DataLossError("stored eligibility rule does not parse");
    absl::StatusOr<Thresholds> thresholds;
    if (own) {
      thresholds = (*model)->ThresholdsByVersion(original.threshold_version());
    } else {
      // Another model's thresholds as they stood on the assessment day; a model newer than the
      // assessment is compared with its first threshold set.
      const absl::CivilDay day = server::SwedishDay(server::FromTimestamp(a->assessed_at()));
      thresholds = (*model)->ThresholdsAt(day);
      if (!thresholds.ok() && !(*model)->thresholds().empty()) thresholds = (*model)->thresholds().front();
    }
    if (!thresholds.ok()) return absl::FailedPreconditionError("model.thresholds: the recorded thresholds are not loaded");
    auto replayed = (*model)->Score(FeaturesOf(a->factors()), *thresholds, *rule);
    if (!replayed.ok()) return replayed.status();
    *resp->mutable_original() = original;
    *resp->mutable_replayed() = ToProto(*replayed);
    const bool identical = SameResult(original, resp->replayed());
    resp->set_identical(identical);
    if (own && !identical) {
      log::Error("replay_differs", {{"assessment_id", a->assessment_id()}, {"model", model_version}});
    }
    return AuditRead(redis, caller, "ReplayAssessment", *a, read->audit_head,
                     absl::StrCat("replayed under ", model_version, identical ? ", identical" : ", differs"));
  }

  absl::Status RecordOverride(const Identity& caller, RedisConnection& redis,
                              const v1::RecordOverrideRequest& req, v1::RecordOverrideResponse* resp) {
    if (req.outcome() == v1::ASSESSMENT_OUTCOME_UNSPECIFIED || !v1::AssessmentOutcome_IsValid(req.outcome())) {
      return absl::InvalidArgumentError("outcome: required");
    }
    const bool in_between = req.outcome() == v1::ASSESSMENT_OUTCOME_IN_BETWEEN;
    if (in_between && (req.level() == v1::LEVEL_UNSPECIFIED || !v1::Level_IsValid(req.level()))) {
      return absl::InvalidArgumentError("level: required when the outcome is IN_BETWEEN");
    }
    if (!in_between && req.level() != v1::LEVEL_UNSPECIFIED) {
      return absl::InvalidArgumentError("level: only with the outcome IN_BETWEEN");
    }
    if (req.reason_code().empty()) return absl::InvalidArgumentError("reason_code: required");
    const bool known = std::any_of(config.override_reasons.begin(), config.override_reasons.end(),
                                   [&](const OverrideReasonEntry& r) { return r.code == req.reason_code(); });
    if (!known) return absl::InvalidArgumentError("reason_code: not in the list of override reasons");
    RETURN_IF_ERROR(RequireText(req.justification(), "justification", kMaxJustification));
    const absl::Time now = Now();
    return Mutate(redis, caller, "RecordOverride", req, req.request_id(), req.assessment_id(),
                  req.expected_version(),
        [&](v1::Assessment& a) -> absl::Status {
          if (a.has_decision_link()) {
            return absl::FailedPreconditionError("override.before_decision: the assessment already led to a decision");
          }
          if (req.outcome() == a.result().outcome() &&
              (!in_between || req.level() == a.result().level())) {
            return absl::FailedPreconditionError("override.differs: the override must differ from the tool's result");
          }
          v1::AssessmentOverride* o = a.mutable_override();
          o->Clear();
          o->set_outcome(req.outcome());
          o->set_level(req.level());
          o->set_reason_code(req.reason_code());
          o->set_justification(req.justification());
          *o->mutable_recorded_by() = server::ToActor(caller);
          server::SetTimestamp(now, o->mutable_recorded_at());
          o->set_reason_list_version(config.override_reasons_version);
          return absl::OkStatus();
        },
        [&](const Mutation& m) { return store.Update(redis, m); }, resp->mutable_assessment());
  }

  absl::Status SendToSupportGroup(const Identity& caller, RedisConnection& redis,
                                  const v1::SendToSupportGroupRequest& req,
                                  v1::SendToSupportGroupResponse* resp) {
    if (req.note().size() > kMaxJustification) return absl::InvalidArgumentError("note: at most 4000 characters");
    const absl::Time now = Now();
    std::string result;
    RETURN_IF_ERROR(Mutate(redis, caller, "SendToSupportGroup", req, req.request_id(), req.assessment_id(),
                           req.expected_version(),
        [&](v1::Assessment& a) -> absl::Status {
          if (a.result().eligible()) {
            return absl::FailedPreconditionError("support_review.not_eligible_only: only a \"not eligible\" outcome goes to the support group");
          }
          if (a.has_support_review()) {
            return absl::FailedPreconditionError("support_review.once: already sent to the support group");
          }
          v1::SupportReview* r = a.mutable_support_review();
          r->set_status(v1::SUPPORT_REVIEW_STATUS_PENDING);
          *r->mutable_sent_by() = server::ToActor(caller);
          server::SetTimestamp(now, r->mutable_sent_at());
          r->set_note(req.note());
          return absl::OkStatus();
        },
        [&](const Mutation& m) { return store.SendToSupport(redis, m, absl::ToUnixMillis(now)); },
        resp->mutable_assessment(), &result));
    // result: the queue item id
    {
      v1::QueueItem* item = resp->mutable_item();
      item->set_item_id(result);
      item->set_queue(kQueueName);
      item->set_kind("NOT_ELIGIBLE_REVIEW");
      item->set_subject_id(resp->assessment().assessment_id());
      *item->mutable_enqueued_at() = resp->assessment().support_review().sent_at();
    }
    return absl::OkStatus();
  }

  absl::Status ClaimSupportReview(const Identity& caller, RedisConnection& redis,
                                  const v1::ClaimSupportReviewRequest& req, v1::ClaimSupportReviewResponse* resp) {
    RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
    const absl::Time now = Now();
    const std::string idem_key = server::IdempotencyKey("support-review", caller, "ClaimSupportReview", req.request_id());
    auto claimed = store.ClaimReview(redis, idem_key, server::RequestFingerprint(req), caller.uri,
                                     absl::ToUnixMillis(now));
    if (!claimed.ok()) return claimed.status();
    if (claimed->empty()) return absl::OkStatus();  // nothing due
    std::vector<std::string> parts = absl::StrSplit(*claimed, absl::MaxSplits(' ', 3));
    if (parts.size() != 4) return absl::InternalError("malformed claim result");
    queue::QueueItem item;
    item.id = parts[0];
    (void)absl::SimpleAtoi(parts[1], &item.deliveries);
    (void)absl::SimpleAtoi(parts[2], &item.enqueued_ms);
    const std::string assessment_id = parts[3];
    *resp->mutable_item() = server::ToQueueItemProto(item, kQueueName, "NOT_ELIGIBLE_REVIEW", assessment_id,
                                                      caller.uri, now,
                                                      absl::Milliseconds(config.support_review_visibility_ms));
    auto read = LoadForRead(redis, assessment_id);
    if (!read.ok()) return read.status();
    RETURN_IF_ERROR(AuditRead(redis, caller, "ClaimSupportReview", *read->assessment, read->audit_head,
                              absl::StrCat("claimed ", item.id)));
    *resp->mutable_assessment() = std::move(*read->assessment);
    return absl::OkStatus();
  }

  absl::Status CompleteSupportReview(const Identity& caller, RedisConnection& redis,
                                     const v1::CompleteSupportReviewRequest& req,
                                     v1::CompleteSupportReviewResponse* resp) {
    RETURN_IF_ERROR(RequireId(req.item_id(), "item_id"));
    if (req.conclusion() == v1::SUPPORT_REVIEW_CONCLUSION_UNSPECIFIED ||
        !v1::SupportReviewConclusion_IsValid(req.conclusion())) {
      return absl::InvalidArgumentError("conclusion: required");
    }
    RETURN_IF_ERROR(RequireText(req.justification(), "justification", kMaxJustification));
    RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
    // The queue item names the assessment; an item this worker does not hold is refused by Redis.
    auto entry = redis.Command({"XRANGE", support_queue.stream_key(), req.item_id(), req.item_id()});
    if (!entry.ok()) return entry.status();
    std::string assessment_id;
    if (entry->size() == 1) {
      const auto& f = (*entry)[0][1];
      for (size_t i = 0; i + 1 < f.size(); i += 2) if (f[i].str == "payload") assessment_id = f[i + 1].str;
    }
    if (assessment_id.empty()) return absl::NotFoundError("item_id: no such review in the queue");
    const absl::Time now = Now();
    return Mutate(redis, caller, "CompleteSupportReview", req, req.request_id(), assessment_id, 0,
        [&](v1::Assessment& a) -> absl::Status {
          if (!a.has_support_review() || a.support_review().status() == v1::SUPPORT_REVIEW_STATUS_COMPLETED) {
            return absl::FailedPreconditionError("support_review.pending: the review is not open");
          }
          v1::SupportReview* r = a.mutable_support_review();
          r->set_status(v1::SUPPORT_REVIEW_STATUS_COMPLETED);
          *r->mutable_reviewed_by() = server::ToActor(caller);
          server::SetTimestamp(now, r->mutable_completed_at());
          r->set_conclusion(req.conclusion());
          r->set_justification(req.justification());
          return absl::OkStatus();
        },
        [&](const Mutation& m) { return store.CompleteReview(redis, m, req.item_id(), caller.uri); },
        resp->mutable_assessment());
  }

  absl::Status ReleaseSupportReview(const Identity& caller, RedisConnection& redis,
                                    const v1::ReleaseSupportReviewRequest& req) {
    RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
    RETURN_IF_ERROR(RequireId(req.item_id(), "item_id"));
    if (req.reason().size() > kMaxJustification) return absl::InvalidArgumentError("reason: at most 4000 characters");
    // Releasing twice is harmless for the queue; the second one finds the item no longer held.
    RETURN_IF_ERROR(support_queue.Release(redis, req.item_id(), caller.uri));
    v1::AuditEvent e = Audit(caller, "ReleaseSupportReview", nullptr, req.request_id());
    audit::AddSubject(e, v1::SUBJECT_KIND_QUEUE_ITEM, req.item_id());
    e.set_detail(req.reason());
    return host.audit().Append(redis, audit::ActorChain(caller.uri), e).status();
  }

  absl::Status QueueStats(RedisConnection& redis, v1::GetSupportReviewQueueStatsResponse* resp) {
    auto stats = support_queue.Stats(redis);
    if (!stats.ok()) return stats.status();
    *resp->mutable_stats() = server::ToQueueStatsProto(*stats, kQueueName, Now());
    return absl::OkStatus();
  }

  absl::Status LinkDecision(const Identity& caller, RedisConnection& redis, const v1::LinkDecisionRequest& req,
                            v1::LinkDecisionResponse* resp) {
    RETURN_IF_ERROR(RequireId(req.case_id(), "case_id"));
    RETURN_IF_ERROR(RequireId(req.decision_id(), "decision_id"));
    const absl::Time now = Now();
    return Mutate(redis, caller, "LinkDecision", req, req.request_id(), req.assessment_id(), req.expected_version(),
        [&](v1::Assessment& a) -> absl::Status {
          if (a.has_decision_link()) {
            return absl::FailedPreconditionError("assessment.link_once: the assessment is already linked to a decision");
          }
          if (EffectiveOutcome(a) != v1::ASSESSMENT_OUTCOME_IN_BETWEEN && !a.result().eligible()) {
            return absl::FailedPreconditionError(
                "assessment.eligible: a referral needs an eligible assessment or an override to IN_BETWEEN");
          }
          v1::DecisionLink* link = a.mutable_decision_link();
          link->set_case_id(req.case_id());
          link->set_decision_id(req.decision_id());
          server::SetTimestamp(now, link->mutable_linked_at());
          *link->mutable_linked_by() = server::ToActor(caller);
          return absl::OkStatus();
        },
        [&](const Mutation& m) { return store.LinkDecision(redis, m, req.case_id()); },
        resp->mutable_assessment());
  }

  absl::Status AnswerComplementaryQuestions(const Identity& caller, RedisConnection& redis,
                                            const v1::AnswerComplementaryQuestionsRequest& req,
                                            v1::AnswerComplementaryQuestionsResponse* resp) {
    if (!req.has_answers()) return absl::InvalidArgumentError("answers: required");
    const auto& answers = req.answers();
    if (!answers.has_normal_month_work_income_last_year()) {
      return absl::InvalidArgumentError("answers.normal_month_work_income_last_year: required");
    }
    if (answers.normal_month_work_income_last_year().ore() < 0) {
      return absl::InvalidArgumentError("answers.normal_month_work_income_last_year: must not be negative");
    }
    if (answers.other_answers_size() > 50) return absl::InvalidArgumentError("answers.other_answers: at most 50");
    for (int i = 0; i < answers.other_answers_size(); ++i) {
      const auto& qa = answers.other_answers(i);
      if (qa.question_code().empty() || qa.question_code().size() > 64) {
        return absl::InvalidArgumentError(absl::StrCat("answers.other_answers[", i, "].question_code: required, at most 64 characters"));
      }
      if (qa.answer().size() > kMaxJustification) {
        return absl::InvalidArgumentError(absl::StrCat("answers.other_answers[", i, "].answer: at most 4000 characters"));
      }
    }
    const absl::Time now = Now();
    return Mutate(redis, caller, "AnswerComplementaryQuestions", req, req.request_id(), req.assessment_id(),
                  req.expected_version(),
        [&](v1::Assessment& a) -> absl::Status {
          if (EffectiveOutcome(a) != v1::ASSESSMENT_OUTCOME_IN_BETWEEN) {
            return absl::FailedPreconditionError("complementary_questions.in_between: only after an IN_BETWEEN outcome");
          }
          v1::ComplementaryAnswers* stored = a.mutable_complementary_answers();
          *stored = answers;
          *stored->mutable_answered_by() = server::ToActor(caller);
          server::SetTimestamp(now, stored->mutable_answered_at());
          return absl::OkStatus();
        },
        [&](const Mutation& m) { return store.Update(redis, m); }, resp->mutable_assessment());
  }

  absl::Status RecordFollowUp(const Identity& caller, RedisConnection& redis, const v1::RecordFollowUpRequest& req,
                              v1::RecordFollowUpResponse* resp) {
    if (req.status() == v1::LABOUR_MARKET_STATUS_UNSPECIFIED || !v1::LabourMarketStatus_IsValid(req.status())) {
      return absl::InvalidArgumentError("status: required");
    }
    auto observed = server::ToCivilDay(req.observed_on(), "observed_on");
    if (!observed.ok()) return observed.status();
    const absl::Time now = Now();
    if (*observed > server::SwedishDay(now)) return absl::InvalidArgumentError("observed_on: is in the future");
    return Mutate(redis, caller, "RecordFollowUp", req, req.request_id(), req.assessment_id(), req.expected_version(),
        [&](v1::Assessment& a) -> absl::Status {
          if (a.has_follow_up()) return absl::FailedPreconditionError("follow_up.once: a follow-up is already recorded");
          if (*observed < server::SwedishDay(server::FromTimestamp(a.assessed_at()))) {
            return absl::FailedPreconditionError("follow_up.after_assessment: observed before the assessment");
          }
          v1::FollowUp* f = a.mutable_follow_up();
          f->set_status(req.status());
          *f->mutable_observed_on() = req.observed_on();
          f->set_referred(a.has_decision_link());
          f->set_recommendation_correct(
              RecommendationCorrect(a.result().eligible(), FromProto(req.status())));
          *f->mutable_recorded_by() = server::ToActor(caller);
          server::SetTimestamp(now, f->mutable_recorded_at());
          return absl::OkStatus();
        },
        [&](const Mutation& m) { return store.Update(redis, m); }, resp->mutable_assessment());
  }

  absl::Status GetFollowUpReport(const Identity& caller, RedisConnection& redis,
                                 const v1::GetFollowUpReportRequest& req, v1::GetFollowUpReportResponse* resp) {
    if (!req.has_period()) return absl::InvalidArgumentError("period: required");
    auto start = server::ToCivilDay(req.period().start(), "period.start");
    if (!start.ok()) return start.status();
    auto end = server::ToCivilDay(req.period().end(), "period.end");
    if (!end.ok()) return end.status();
    if (*end < *start) return absl::InvalidArgumentError("period.end: before period.start");
    std::vector<Dimension> dims;
    for (int i = 0; i < req.group_by_size(); ++i) {
      switch (req.group_by(i)) {
        case v1::FOLLOW_UP_DIMENSION_SEX: dims.push_back(Dimension::kSex); break;
        case v1::FOLLOW_UP_DIMENSION_BORN_IN_SWEDEN: dims.push_back(Dimension::kBornInSweden); break;
        case v1::FOLLOW_UP_DIMENSION_DISABILITY: dims.push_back(Dimension::kDisability); break;
        default: return absl::InvalidArgumentError(absl::StrCat("group_by[", i, "]: unknown dimension"));
      }
    }
    if (!req.model_version().empty() && !models.ByVersion(req.model_version()).ok()) {
      return absl::InvalidArgumentError("model_version: unknown model version");
    }
    const absl::TimeZone tz = server::SwedishTimeZone();
    const int64_t from_ms = absl::ToUnixMillis(absl::FromCivil(*start, tz));
    const int64_t to_ms = absl::ToUnixMillis(absl::FromCivil(*end + 1, tz)) - 1;
    auto ids = store.IdsInPeriod(redis, from_ms, to_ms);
    if (!ids.ok()) return ids.status();
    std::vector<FollowUpRecord> records;
    records.reserve(ids->size());
    constexpr size_t kBatch = 500;
    for (size_t i = 0; i < ids->size(); i += kBatch) {
      std::vector<std::string> batch(ids->begin() + i, ids->begin() + std::min(ids->size(), i + kBatch));
      auto assessments = store.GetMany(redis, batch);
      if (!assessments.ok()) return assessments.status();
      for (const v1::Assessment& a : *assessments) {
        if (!req.model_version().empty() && a.result().model_version() != req.model_version()) continue;
        records.push_back(ToFollowUpRecord(a));
      }
    }
    const FollowUpReport report = BuildFollowUpReport(records, dims, config.minimum_group_size);
    *resp->mutable_total() = ToProto(report.total);
    for (const GroupFigures& g : report.groups) *resp->add_groups() = ToProto(g);
    resp->set_minimum_group_size(static_cast<int32_t>(config.minimum_group_size));
    server::SetTimestamp(Now(), resp->mutable_generated_at());
    v1::AuditEvent e = audit::MakeAuditEvent(caller, kService, "GetFollowUpReport", Now());
    e.set_purpose("follow-up");
    e.set_detail(absl::StrCat(absl::FormatCivilTime(*start), "..", absl::FormatCivilTime(*end), ", ",
                              records.size(), " assessments"));
    return host.audit().Append(redis, audit::ActorChain(caller.uri), e).status();
  }

  absl::Status ListModels(const v1::ListModelsRequest& req, v1::ListModelsResponse* resp) {
    auto page_size = server::PageSize(req.page_size());
    if (!page_size.ok()) return page_size.status();
    auto page_offset = server::PageOffset(req.page_token());
    if (!page_offset.ok()) return page_offset.status();
    const int64_t offset = *page_offset;
    const absl::CivilDay today = server::SwedishDay(Now());
    auto in_force = models.InForceAt(today);
    const std::vector<const Model*> all = models.All();
    for (size_t i = static_cast<size_t>(offset); i < all.size() && resp->models_size() < *page_size; ++i) {
      const Model* m = all[i];
      v1::ModelInfo* info = resp->add_models();
      info->set_model_version(m->version());
      *info->mutable_effective_from() = server::FromCivilDay(m->effective_from());
      info->set_illustrative(m->illustrative());
      info->set_description(m->description());
      for (const std::string& f : m->factor_names()) info->add_factors(f);
      auto t = m->ThresholdsAt(today);
      if (!t.ok() && !m->thresholds().empty()) t = m->thresholds().front();
      if (t.ok()) *info->mutable_thresholds() = ToProto(*t);
      info->set_eligibility_rule(ToProto(config.eligibility_rule.kind));
      info->set_eligibility_rule_version(config.eligibility_rule.Version());
      info->set_in_force(in_force.ok() && *in_force == m);
    }
    if (static_cast<size_t>(offset) + resp->models_size() < all.size()) {
      resp->set_next_page_token(absl::StrCat(offset + resp->models_size()));
    }
    return absl::OkStatus();
  }
};

AssessmentHandler::AssessmentHandler(server::ServiceHost& host, AssessmentConfig config,
                                     const ModelRegistry& models,
                                     const validation::MunicipalityCodes* municipalities,
                                     const validation::PostalCodeDirectory* postal_codes)
    : impl_(std::make_shared<Impl>(host, std::move(config), models, municipalities, postal_codes)) {}

identity::Policy AssessmentHandler::MakePolicy() {
  identity::Policy p;
  const auto cw = Role::kCaseworker, eo = Role::kEmploymentOfficer, sg = Role::kSupportGroup,
             pfu = Role::kProviderFollowUp, aud = Role::kAuditor, adm = Role::kAdmin, svc = Role::kService;
  p.Allow("Assess", {cw, eo});
  p.Allow("GetAssessment", {cw, eo, sg, svc});
  p.Allow("ListAssessments", {cw, eo, sg, svc});
  p.Allow("ReplayAssessment", {cw, eo, sg});
  p.Allow("RecordOverride", {cw, eo});
  p.Allow("SendToSupportGroup", {cw, eo});
  p.Allow("ClaimSupportReview", {sg});
  p.Allow("CompleteSupportReview", {sg});
  p.Allow("ReleaseSupportReview", {sg});
  p.Allow("GetSupportReviewQueueStats", {cw, eo, sg, adm});
  p.Allow("LinkDecision", {svc});
  p.Allow("AnswerComplementaryQuestions", {cw, eo});
  p.Allow("RecordFollowUp", {cw, eo, svc});
  p.Allow("GetFollowUpReport", {cw, eo, sg, pfu, aud, adm});
  p.Allow("ListModels", {cw, eo, sg, pfu, aud, adm, svc});
  p.Allow("ListOverrideReasons", {cw, eo, sg, pfu, aud, adm, svc});
  return p;
}

// Each RPC: identity and policy in the host, then the body on a Redis worker.
#define RUSTA_RPC(Name, Body)                                                                    \
  AssessmentHandler::Reactor* AssessmentHandler::Name(Ctx* ctx, const v1::Name##Request* req,     \
                                                      v1::Name##Response* resp) {                 \
    std::shared_ptr<Impl> impl = impl_;                                                           \
    return impl->host.Handle(ctx, #Name, impl->policy, req,                                            \
        [impl, req, resp](const Identity& caller, RedisConnection& redis) -> absl::Status {      \
          (void)caller; (void)redis; (void)req; (void)resp;                                       \
          Body;                                                                                   \
        });                                                                                       \
  }

RUSTA_RPC(Assess, return impl->Assess(caller, redis, *req, resp))
RUSTA_RPC(GetAssessment, return impl->GetAssessment(caller, redis, *req, resp))
RUSTA_RPC(ListAssessments, return impl->ListAssessments(caller, redis, *req, resp))
RUSTA_RPC(ReplayAssessment, return impl->ReplayAssessment(caller, redis, *req, resp))
RUSTA_RPC(RecordOverride, return impl->RecordOverride(caller, redis, *req, resp))
RUSTA_RPC(SendToSupportGroup, return impl->SendToSupportGroup(caller, redis, *req, resp))
RUSTA_RPC(ClaimSupportReview, return impl->ClaimSupportReview(caller, redis, *req, resp))
RUSTA_RPC(CompleteSupportReview, return impl->CompleteSupportReview(caller, redis, *req, resp))
RUSTA_RPC(ReleaseSupportReview, return impl->ReleaseSupportReview(caller, redis, *req))
RUSTA_RPC(GetSupportReviewQueueStats, return impl->QueueStats(redis, resp))
RUSTA_RPC(LinkDecision, return impl->LinkDecision(caller, redis, *req, resp))
RUSTA_RPC(AnswerComplementaryQuestions, return impl->AnswerComplementaryQuestions(caller, redis, *req, resp))
RUSTA_RPC(RecordFollowUp, return impl->RecordFollowUp(caller, redis, *req, resp))
RUSTA_RPC(GetFollowUpReport, return impl->GetFollowUpReport(caller, redis, *req, resp))
RUSTA_RPC(ListModels, return impl->ListModels(*req, resp))
RUSTA_RPC(ListOverrideReasons, {
  for (const OverrideReasonEntry& r : impl->config.override_reasons) {
    v1::OverrideReason* out = resp->add_reasons();
    out->set_code(r.code);
    out->set_label(r.label);
  }
  resp->set_reason_list_version(impl->config.override_reasons_version);
  return absl::OkStatus();
})

#undef RUSTA_RPC

}  // namespace rusta::assessment
