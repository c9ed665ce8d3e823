// The case transitions (domain.md section 3): each is one Mutate, i.e. one atomic referral_apply
// call after the checks of the transition table and the rules.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/server/idempotency.h"
#include "common/server/ids.h"
#include "common/server/page_token.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/referral/case_mapping.h"
#include "services/referral/domain/state_machine.h"
#include "services/referral/referral_impl.h"

namespace rusta::referral {

namespace {

constexpr size_t kMaxText = 4000;
// Each state at most once or twice over: a longer filter is a mistake, not a query.
constexpr int kMaxStateFilters = 32;

// Every transition RPC answers with the case as the caller may see it.
template <typename Response>
ReferralImpl::Respond CaseResponse(const ReferralImpl& impl, const Identity& caller, Response* resp) {
  return [&impl, &caller, resp](const ReferralImpl::Tx& tx) {
    *resp->mutable_case_record() = impl.ViewFor(caller, tx.next);
  };
}

// The assessment's effective outcome and level (an override stands over the tool).
bool EffectiveInBetween(const v1::Assessment& a, v1::Level* level) {
  if (a.has_override()) {
    *level = a.override().level();
    return a.override().outcome() == v1::ASSESSMENT_OUTCOME_IN_BETWEEN;
  }
  *level = a.result().level();
  return a.result().outcome() == v1::ASSESSMENT_OUTCOME_IN_BETWEEN;
}

bool OpenState(v1::CaseState s) {
  return s == v1::CASE_STATE_DECIDED || s == v1::CASE_STATE_AWAITING_CHOICE || s == v1::CASE_STATE_ASSIGNED ||
         s == v1::CASE_STATE_ACTIVE || s == v1::CASE_STATE_INTERRUPTED;
}

// The transition table's answer and the expected version for the case as read, before anything
// is asked of another service: a refused transition or a stale request never links an assessment
// or reserves capacity (Mutate checks the version again, atomically, when it writes).
absl::Status PreCheck(const v1::Case& c, Transition transition, const Identity& caller, int64_t expected_version) {
  auto domain = ToDomainCase(c);
  if (!domain.ok()) return domain.status();
  RETURN_IF_ERROR(Next(domain->state, transition, FromIdentityRole(caller.role)).status());
  if (expected_version > 0 && expected_version != c.version()) {
    return absl::AbortedError(absl::StrCat("version: expected ", expected_version, ", current ", c.version()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReferralImpl::CreateCase(const Identity& caller, RedisConnection& redis, const v1::CreateCaseRequest& req,
                                      v1::CreateCaseResponse* resp) {
  RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
  const absl::CivilDay today = server::SwedishDay(Now());
  auto person = validation::ParsePersonNumber(req.person_id(), "person_id", today);
  if (!person.ok()) return person.status();
  RETURN_IF_ERROR(validation::ValidateMunicipalityCode(req.home_municipality_code(), "home_municipality_code",
                                                             municipalities));
  std::string postal;
  if (!req.home_postal_code().empty()) {
    auto p = validation::ParsePostalCode(req.home_postal_code(), "home_postal_code");
    if (!p.ok()) return p.status();
    postal = *p;
    if (postal_codes != nullptr && postal_codes->size() > 0) {
      auto muni = postal_codes->MunicipalityOf(postal);
      if (!muni) return absl::InvalidArgumentError("home_postal_code: unknown postal code");
      if (*muni != req.home_municipality_code()) {
        return absl::InvalidArgumentError(absl::StrCat("home_postal_code: lies in ", *muni, ", not in ",
                                                       req.home_municipality_code()));
      }
    }
  }
  std::optional<v1::Assessment> assessed;
  if (!req.assessment_id().empty()) {
    RETURN_IF_ERROR(RequireId(req.assessment_id(), "assessment_id"));
    auto a = assessment->Get(req.assessment_id());
    if (!a.ok()) {
      if (a.status().code() == absl::StatusCode::kNotFound) return absl::InvalidArgumentError("assessment_id: not found");
      return a.status();
    }
    if (a->person_id() != person->normalized) {
      return absl::InvalidArgumentError("assessment_id: the assessment is of another person");
    }
    assessed = std::move(*a);
  }
  const std::string case_id = server::NewId("case");
  return Mutate(redis, caller, "CreateCase", req, req.request_id(), case_id, 0, {},
      [&](Tx& tx) -> absl::Status {
        tx.next.set_person_id(person->normalized);
        tx.next.set_state(v1::CASE_STATE_UNSPECIFIED);
        tx.next.set_home_municipality_code(req.home_municipality_code());
        tx.next.set_home_postal_code(postal);
        server::SetTimestamp(tx.now, tx.next.mutable_created_at());
        auto created = tx.Step(Transition::kCreate, "", tx.today);
        if (!created.ok()) return created.status();
        if (assessed) {
          tx.next.set_assessment_id(assessed->assessment_id());
          auto attached = tx.Step(Transition::kAttachAssessment, assessed->assessment_id(), tx.today);
          if (!attached.ok()) return attached.status();
          tx.write.Enqueue(Queue(v1::REFERRAL_QUEUE_DECISIONS),
                           WorkPayload{"DECISION", case_id, case_id}.Encode(), absl::ToUnixMillis(tx.now));
        }
        tx.write.SAdd(store.PersonIndexKey(person->normalized), case_id);
        tx.write.ZAdd(CaseStore::AllCasesKey(), absl::ToUnixMillis(tx.now), case_id);
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp, /*creating=*/true);
}

absl::Status ReferralImpl::AttachAssessment(const Identity& caller, RedisConnection& redis,
                                            const v1::AttachAssessmentRequest& req, v1::AttachAssessmentResponse* resp) {
  RETURN_IF_ERROR(RequireId(req.assessment_id(), "assessment_id"));
  auto a = assessment->Get(req.assessment_id());
  if (!a.ok()) {
    if (a.status().code() == absl::StatusCode::kNotFound) return absl::InvalidArgumentError("assessment_id: not found");
    return a.status();
  }
  return Mutate(redis, caller, "AttachAssessment", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        if (a->person_id() != tx.next.person_id()) {
          return absl::InvalidArgumentError("assessment_id: the assessment is of another person");
        }
        const bool first = tx.next.state() == v1::CASE_STATE_REGISTERED;
        auto step = tx.Step(Transition::kAttachAssessment, req.assessment_id(), tx.today);
        if (!step.ok()) return step.status();
        tx.next.set_assessment_id(req.assessment_id());
        if (first) {
          tx.write.Enqueue(Queue(v1::REFERRAL_QUEUE_DECISIONS),
                           WorkPayload{"DECISION", req.case_id(), req.case_id()}.Encode(), absl::ToUnixMillis(tx.now));
        }
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::Decide(const Identity& caller, RedisConnection& redis, const v1::DecideRequest& req,
                                  v1::DecideResponse* resp) {
  if (!req.has_refer() && !req.has_not_refer()) return absl::InvalidArgumentError("decision: refer or not_refer required");
  RETURN_IF_ERROR(RequireId(req.case_id(), "case_id"));
  // A repeat gets the first answer before the checks below, which the first call changed.
  auto loaded = LoadUnlessRepeated(redis, caller, "Decide", req, req.request_id(), req.case_id(), resp);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return absl::OkStatus();  // a repeat: the first call's answer
  std::optional<ItemRef> item;
  std::vector<std::vector<std::string>> extra;
  if (!req.queue_item_id().empty()) {
    auto parsed = ParseItemId(req.queue_item_id(), "queue_item_id");
    if (!parsed.ok()) return parsed.status();
    if (parsed->spec->id != v1::REFERRAL_QUEUE_DECISIONS) {
      return absl::InvalidArgumentError("queue_item_id: not an item of the decisions queue");
    }
    item = *parsed;
  }
  // The decision needs the case first (person, assessment): read it, then decide.
  const v1::Case* current = &**loaded;
  RETURN_IF_ERROR(PreCheck(*current, req.has_refer() ? Transition::kDecide : Transition::kNotRefer, caller,
                                 req.expected_version()));
  if (item) for (auto& r : ItemReads(*item)) extra.push_back(std::move(r));

  if (req.has_not_refer()) {
    const v1::NotReferDecision& d = req.not_refer();
    if (d.reason() == v1::NOT_REFERRED_REASON_UNSPECIFIED || !v1::NotReferredReason_IsValid(d.reason())) {
      return absl::InvalidArgumentError("not_refer.reason: required");
    }
    RETURN_IF_ERROR(RequireText(d.justification(), "not_refer.justification", kMaxText));
    return Mutate(redis, caller, "Decide", req, req.request_id(), req.case_id(), req.expected_version(), extra,
        [&](Tx& tx) -> absl::Status {
          auto step = tx.Step(Transition::kNotRefer, d.justification(), tx.today);
          if (!step.ok()) return step.status();
          tx.next.set_not_referred_reason(d.reason());
          tx.next.set_not_referred_justification(d.justification());
          (*step)->mutable_not_referred()->set_reason(d.reason());
          (*step)->mutable_not_referred()->set_assessment_id(d.assessment_id().empty() ? tx.next.assessment_id()
                                                                                       : d.assessment_id());
          tx.write.ZAdd(CaseStore::DecidedKey(), absl::ToUnixMillis(tx.now), tx.next.case_id());
          if (item) {
            RETURN_IF_ERROR(CompleteItemInTx(tx, *item, tx.read.extra[0], tx.read.extra[1], tx.next.case_id(),
                                                   v1::WORK_OUTCOME_REJECTED));
          }
          return absl::OkStatus();
        },
        CaseResponse(*this, caller, resp), resp);
  }

  const v1::ReferDecision& d = req.refer();
  const std::string assessment_id = d.assessment_id().empty() ? current->assessment_id() : d.assessment_id();
  RETURN_IF_ERROR(RequireId(assessment_id, "refer.assessment_id"));
  if (d.basis() != v1::DECISION_BASIS_ASSESSMENT && d.basis() != v1::DECISION_BASIS_OVERRIDE) {
    return absl::InvalidArgumentError("refer.basis: ASSESSMENT or OVERRIDE required");
  }
  auto level = ToDomainLevel(d.level(), "refer.level");
  if (!level.ok()) return level.status();
  if (*level == Level::kUnspecified) return absl::InvalidArgumentError("refer.level: required");
  auto extent = ToDomainExtent(d.extent());
  if (!extent.ok()) return extent.status();
  const absl::CivilDay today = server::SwedishDay(Now());
  auto decided_on = DayOr(d.decided_on(), "refer.decided_on", today);
  if (!decided_on.ok()) return decided_on.status();
  RETURN_IF_ERROR(CheckClientDate(*decided_on, today, std::nullopt, "", "refer.decided_on", config.rules));
  RETURN_IF_ERROR(CheckExtent(*extent, {}, config.rules));  // the extent itself, before any call
  if (d.justification().size() > kMaxText) return absl::InvalidArgumentError("refer.justification: at most 4000 characters");

  // The assessment: this person's, IN_BETWEEN (by the tool, or by a recorded override for an
  // OVERRIDE decision) and of the level decided.
  auto a = assessment->Get(assessment_id);
  if (!a.ok()) {
    if (a.status().code() == absl::StatusCode::kNotFound) return absl::InvalidArgumentError("refer.assessment_id: not found");
    return a.status();
  }
  if (a->person_id() != current->person_id()) {
    return absl::InvalidArgumentError("refer.assessment_id: the assessment is of another person");
  }
  if (d.basis() == v1::DECISION_BASIS_OVERRIDE && !a->has_override()) {
    return absl::FailedPreconditionError("case.decision: an OVERRIDE decision needs an override recorded in the assessment service");
  }
  if (d.basis() == v1::DECISION_BASIS_ASSESSMENT && a->has_override()) {
    return absl::FailedPreconditionError("case.decision: the assessment was overridden; decide with basis OVERRIDE");
  }
  v1::Level assessed_level = v1::LEVEL_UNSPECIFIED;
  if (!EffectiveInBetween(*a, &assessed_level)) {
    return absl::FailedPreconditionError("case.decision: the assessment is not IN_BETWEEN (record an override first)");
  }
  // A decision cannot precede the assessment it rests on.
  RETURN_IF_ERROR(CheckClientDate(*decided_on, today, server::SwedishDay(server::FromTimestamp(a->assessed_at())),
                                        "the assessment", "refer.decided_on", config.rules));
  if (assessed_level != d.level()) {
    return absl::FailedPreconditionError(absl::StrCat("case.decision: the level decided (", v1::Level_Name(d.level()),
                                                      ") is not the assessment's (", v1::Level_Name(assessed_level), ")"));
  }
  if (a->has_decision_link() && a->decision_link().case_id() != req.case_id()) {
    return absl::FailedPreconditionError("assessment.link_once: the assessment is already linked to another decision");
  }
  // The person's other open referrals, for the 100 % rule.
  auto members = redis.Command({"SMEMBERS", store.PersonIndexKey(current->person_id())});
  if (!members.ok()) return members.status();
  std::vector<std::string> others;
  for (const auto& m : members->elements) if (m.str != req.case_id()) others.push_back(m.str);
  auto other_cases = store.GetMany(redis, others);
  if (!other_cases.ok()) return other_cases.status();
  std::vector<int> other_percentages;
  for (const v1::Case& o : *other_cases) {
    if (OpenState(o.state())) other_percentages.push_back(o.extent().percentage());
  }
  RETURN_IF_ERROR(CheckExtent(*extent, other_percentages, config.rules));

  // Link first (once, in the assessment service): a retry finds its own link and goes on.
  const std::string decision_id = "dec-" + req.case_id();
  if (!a->has_decision_link()) {
    auto linked = assessment->LinkDecision(absl::StrCat("decide-", req.case_id(), "-", assessment_id), assessment_id,
                                           req.case_id(), decision_id);
    if (!linked.ok()) return linked.status();
  }
  return Mutate(redis, caller, "Decide", req, req.request_id(), req.case_id(), req.expected_version(), extra,
      [&](Tx& tx) -> absl::Status {
        // The 100 % rule rests on the person's other cases as read above: the call checks that none
        // of them changed since (another decision for the same person at the same moment makes
        // one of the two ABORTED instead of both passing).
        for (const v1::Case& o : *other_cases) tx.write.CheckVersion(CaseStore::CaseKey(o.case_id()), o.version());
        auto step = tx.Step(Transition::kDecide, d.justification(), *decided_on);
        if (!step.ok()) return step.status();
        const absl::CivilDay deadline = ChoiceDeadline(*decided_on, config.rules);
        v1::Decision* dec = tx.next.mutable_decision();
        dec->set_decision_id(decision_id);
        dec->set_basis(d.basis());
        dec->set_assessment_id(assessment_id);
        dec->set_level(d.level());
        *dec->mutable_extent() = FromDomainExtent(*extent);
        *dec->mutable_decided_by() = server::ToActor(caller);
        *dec->mutable_decided_on() = server::FromCivilDay(*decided_on);
        server::SetTimestamp(tx.now, dec->mutable_decided_at());
        dec->set_rule_version(config.rules.version);
        dec->set_justification(d.justification());
        *dec->mutable_choice_deadline() = server::FromCivilDay(deadline);
        tx.next.set_assessment_id(assessment_id);
        tx.next.set_level(d.level());
        *tx.next.mutable_extent() = dec->extent();
        v1::DecisionDetails* details = (*step)->mutable_decision();
        details->set_decision_id(decision_id);
        details->set_assessment_id(assessment_id);
        details->set_basis(d.basis());
        *details->mutable_choice_deadline() = dec->choice_deadline();
        auto open = tx.Step(Transition::kOpenChoice, "", *decided_on);
        if (!open.ok()) return open.status();
        tx.write.ZAdd(CaseStore::DecidedKey(), absl::ToUnixMillis(tx.now), tx.next.case_id());
        tx.write.Schedule(deadlines, "choice:" + tx.next.case_id(),
                          WorkPayload{"CHOICE", tx.next.case_id(), tx.next.case_id()}.Encode(),
                          absl::ToUnixMillis(StartOfSwedishDay(deadline + 1)));
        if (item) {
          RETURN_IF_ERROR(CompleteItemInTx(tx, *item, tx.read.extra[0], tx.read.extra[1], tx.next.case_id(),
                                                 v1::WORK_OUTCOME_APPROVED));
        }
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::ChooseProvider(const Identity& caller, RedisConnection& redis,
                                          const v1::ChooseProviderRequest& req, v1::ChooseProviderResponse* resp) {
  // A repeat gets the first answer before the checks below, which the first call changed.
  auto loaded = LoadUnlessRepeated(redis, caller, "ChooseProvider", req, req.request_id(), req.case_id(), resp);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return absl::OkStatus();  // a repeat: the first call's answer
  auto org = validation::ParseOrganisationNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  const v1::Case* current = &**loaded;
  RETURN_IF_ERROR(PreCheck(*current, Transition::kChooseProvider, caller, req.expected_version()));
  const absl::CivilDay today = server::SwedishDay(Now());
  auto chosen_on = DayOr(req.chosen_on(), "chosen_on", today);
  if (!chosen_on.ok()) return chosen_on.status();
  RETURN_IF_ERROR(CheckClientDate(*chosen_on, today, std::nullopt, "", "chosen_on", config.rules));
  auto name = CheckChoosable(*current, *org, *chosen_on);
  if (!name.ok()) return name.status();
  return Mutate(redis, caller, "ChooseProvider", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kChooseProvider, *org, *chosen_on);
        if (!step.ok()) return step.status();
        RETURN_IF_ERROR(CheckActiveChoice(*domain, *chosen_on, tx.today));
        SetProvider(tx, *org, *name, v1::CHOICE_KIND_ACTIVE, *chosen_on);
        tx.next.set_choice_kind(v1::CHOICE_KIND_ACTIVE);
        (*step)->mutable_provider_assigned()->set_choice_kind(v1::CHOICE_KIND_ACTIVE);
        tx.write.Cancel(deadlines, "choice:" + tx.next.case_id());
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::AssignDefaultProvider(const Identity& caller, RedisConnection& redis,
                                                 const v1::AssignDefaultProviderRequest& req,
                                                 v1::AssignDefaultProviderResponse* resp) {
  // A repeat gets the first answer before the checks below, which the first call changed.
  auto loaded = LoadUnlessRepeated(redis, caller, "AssignDefaultProvider", req, req.request_id(), req.case_id(), resp);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return absl::OkStatus();  // a repeat: the first call's answer
  const v1::Case* current = &**loaded;
  const absl::CivilDay today = server::SwedishDay(Now());
  {
    // Checked before the registry reserves capacity: the table and the version, then the deadline.
    auto domain = ToDomainCase(*current);
    if (!domain.ok()) return domain.status();
    RETURN_IF_ERROR(PreCheck(*current, Transition::kAssignDefaultProvider, caller, req.expected_version()));
    RETURN_IF_ERROR(CheckDefaultAssignment(*domain, today));
  }
  auto nearest = registry->ReserveNearest(absl::StrCat("default-", req.case_id()), current->home_municipality_code(),
                                          current->home_postal_code(), server::FromCivilDay(today), req.case_id(), {});
  if (!nearest.ok()) return nearest.status();
  return Mutate(redis, caller, "AssignDefaultProvider", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        RETURN_IF_ERROR(CheckDefaultAssignment(*domain, tx.today));
        auto step = tx.Step(Transition::kAssignDefaultProvider, nearest->reason(), tx.today);
        if (!step.ok()) return step.status();
        SetProvider(tx, nearest->provider().organisation_number(), nearest->provider().name(), v1::CHOICE_KIND_DEFAULT,
                    tx.today);
        v1::ProviderAssignment* a = tx.next.mutable_provider_history(tx.next.provider_history_size() - 1);
        a->set_registry_reason(nearest->reason());
        a->set_registry_rule_version(nearest->rule_version());
        *tx.next.mutable_current_provider() = *a;
        tx.next.set_choice_kind(v1::CHOICE_KIND_DEFAULT);
        v1::ProviderAssignedDetails* details = (*step)->mutable_provider_assigned();
        details->set_choice_kind(v1::CHOICE_KIND_DEFAULT);
        details->set_registry_reason(nearest->reason());
        details->set_registry_rule_version(nearest->rule_version());
        tx.write.Cancel(deadlines, "choice:" + tx.next.case_id());
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::Start(const Identity& caller, RedisConnection& redis, const v1::StartRequest& req,
                                 v1::StartResponse* resp) {
  auto start = server::ToCivilDay(req.start_date(), "start_date");
  if (!start.ok()) return start.status();
  return Mutate(redis, caller, "Start", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kStart, "", *start);
        if (!step.ok()) return step.status();
        RETURN_IF_ERROR(CheckStart(*domain, *start));
        *tx.next.mutable_started_on() = server::FromCivilDay(*start);
        v1::ServicePeriod* p = tx.next.add_service_periods();
        p->set_number(1);
        *p->mutable_dates()->mutable_start() = server::FromCivilDay(*start);
        *p->mutable_dates()->mutable_end() = server::FromCivilDay(LastDayOfMonths(*start, config.rules.period_months));
        RETURN_IF_ERROR(ScheduleMaximumTime(tx));
        v1::StartDetails* details = (*step)->mutable_start();
        *details->mutable_start_date() = server::FromCivilDay(*start);
        *details->mutable_period_end() = p->dates().end();
        *details->mutable_maximum_end_date() = tx.next.maximum_end_date();
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::Prolong(const Identity& caller, RedisConnection& redis, const v1::ProlongRequest& req,
                                   v1::ProlongResponse* resp) {
  RETURN_IF_ERROR(RequireText(req.justification(), "justification", kMaxText));
  auto decided_on = DayOr(req.decided_on(), "decided_on", server::SwedishDay(Now()));
  if (!decided_on.ok()) return decided_on.status();
  return Mutate(redis, caller, "Prolong", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kProlong, req.justification(), *decided_on);
        if (!step.ok()) return step.status();
        RETURN_IF_ERROR(CheckProlong(*domain, *decided_on, config.rules));
        auto clock = ComputeServiceClock(*domain, config.rules, tx.today);
        if (!clock.ok()) return clock.status();
        v1::ServicePeriod* p = tx.next.add_service_periods();
        p->set_number(2);
        *p->mutable_dates()->mutable_start() = server::FromCivilDay(clock->period1_last_day + 1);
        *p->mutable_dates()->mutable_end() = server::FromCivilDay(clock->maximum_last_day);
        *p->mutable_decided_by() = server::ToActor(caller);
        p->set_justification(req.justification());
        RETURN_IF_ERROR(ScheduleMaximumTime(tx));
        *(*step)->mutable_prolongation()->mutable_period() = p->dates();
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::ChangeProvider(const Identity& caller, RedisConnection& redis,
                                          const v1::ChangeProviderRequest& req, v1::ChangeProviderResponse* resp) {
  // A repeat gets the first answer before the checks below, which the first call changed.
  auto loaded = LoadUnlessRepeated(redis, caller, "ChangeProvider", req, req.request_id(), req.case_id(), resp);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return absl::OkStatus();  // a repeat: the first call's answer
  auto org = validation::ParseOrganisationNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  if (req.reason() == v1::PROVIDER_CHANGE_REASON_UNSPECIFIED || !v1::ProviderChangeReason_IsValid(req.reason())) {
    return absl::InvalidArgumentError("reason: required");
  }
  if (req.reason_text().size() > kMaxText) return absl::InvalidArgumentError("reason_text: at most 4000 characters");
  auto effective = DayOr(req.effective_date(), "effective_date", server::SwedishDay(Now()));
  if (!effective.ok()) return effective.status();
  const v1::Case* current = &**loaded;
  RETURN_IF_ERROR(PreCheck(*current, Transition::kChangeProvider, caller, req.expected_version()));
  auto name = CheckChoosable(*current, *org, *effective);
  if (!name.ok()) return name.status();
  return Mutate(redis, caller, "ChangeProvider", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kChangeProvider, req.reason_text(), *effective);
        if (!step.ok()) return step.status();
        RETURN_IF_ERROR(CheckProviderChange(*domain, *org, *effective));
        const std::string previous = tx.next.current_provider().organisation_number();
        EndCurrentProvider(tx, *effective);
        SetProvider(tx, *org, *name, v1::CHOICE_KIND_CHANGE, *effective);
        v1::ProviderAssignment* a = tx.next.mutable_provider_history(tx.next.provider_history_size() - 1);
        a->set_change_reason(req.reason());
        a->set_change_reason_text(req.reason_text());
        *tx.next.mutable_current_provider() = *a;
        tx.next.set_provider_change_count(tx.next.provider_change_count() + 1);
        v1::ProviderAssignedDetails* details = (*step)->mutable_provider_assigned();
        details->set_choice_kind(v1::CHOICE_KIND_CHANGE);
        details->set_previous_organisation_number(previous);
        details->set_change_reason(req.reason());
        details->set_provider_change_count(tx.next.provider_change_count());
        // Frequent changes flag the case for a caseworker (once while the flag is up).
        auto after = tx.Domain();
        if (!after.ok()) return after.status();
        bool flagged = false;
        for (const v1::CaseFlag& f : tx.next.flags()) {
          flagged |= f.kind() == v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES && !f.has_cleared_at();
        }
        if (!flagged && FrequentProviderChanges(*after, *effective, config.rules)) {
          const std::string note = absl::StrCat(tx.next.provider_change_count(), " provider changes, ",
                                                config.rules.frequent_change_count, " within ",
                                                config.rules.frequent_change_window_months, " months");
          v1::CaseFlag* f = tx.next.add_flags();
          f->set_kind(v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES);
          server::SetTimestamp(tx.now, f->mutable_raised_at());
          f->set_note(note);
          tx.Flag(v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES, true, note);
          tx.write.Enqueue(Queue(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS),
                           WorkPayload{"FREQUENT_PROVIDER_CHANGES", tx.next.case_id(), tx.next.case_id()}.Encode(),
                           absl::ToUnixMillis(tx.now));
        }
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::RegisterParallelMeasure(const Identity& caller, RedisConnection& redis,
                                                   const v1::RegisterParallelMeasureRequest& req,
                                                   v1::RegisterParallelMeasureResponse* resp) {
  if (!req.has_measure()) return absl::InvalidArgumentError("measure: required");
  auto measure = ToDomainParallelMeasure(req.measure());
  if (!measure.ok()) return measure.status();
  if (req.measure().actor_name().size() > 200) return absl::InvalidArgumentError("measure.actor_name: at most 200 characters");
  if (req.measure().description().size() > kMaxText) return absl::InvalidArgumentError("measure.description: at most 4000 characters");
  if (!req.measure().actor_organisation_number().empty()) {
    auto o = validation::ParseOrganisationNumber(req.measure().actor_organisation_number(), "measure.actor_organisation_number");
    if (!o.ok()) return o.status();
  }
  bool ended = false;
  return Mutate(redis, caller, "RegisterParallelMeasure", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kRegisterParallelMeasure, req.measure().description(), measure->start);
        if (!step.ok()) return step.status();
        auto outcome = CheckParallelMeasure(*domain, *measure, config.rules, tx.today);
        if (!outcome.ok()) return outcome.status();
        v1::ParallelMeasure* m = tx.next.add_parallel_measures();
        *m = req.measure();
        m->set_measure_id(absl::StrCat(tx.next.case_id(), ".m", tx.next.parallel_measures_size()));
        v1::ParallelMeasureDetails* details = (*step)->mutable_parallel_measure();
        details->set_measure_id(m->measure_id());
        details->set_kind(m->kind());
        *details->mutable_dates() = m->dates();
        details->set_percentage(m->percentage());
        ended = outcome->ends_participation;
        if (ended) {
          RETURN_IF_ERROR(ApplyEnd(tx, v1::END_REASON_TRANSFER_TO_OTHER_MEASURE, *outcome->participation_last_day,
                                         "labour-market training over the limit ends the participation"));
        }
        return absl::OkStatus();
      },
      [&](const Tx& tx) {
        *resp->mutable_case_record() = ViewFor(caller, tx.next);
        resp->set_ended_participation(ended);
      },
      resp);
}

absl::Status ReferralImpl::Pause(const Identity& caller, RedisConnection& redis, const v1::PauseRequest& req,
                                 v1::PauseResponse* resp) {
  if (req.reason() == v1::PAUSE_REASON_UNSPECIFIED || !v1::PauseReason_IsValid(req.reason())) {
    return absl::InvalidArgumentError("reason: required");
  }
  if (req.reason() == v1::PAUSE_REASON_OTHER) RETURN_IF_ERROR(RequireText(req.reason_text(), "reason_text", kMaxText));
  if (req.reason_text().size() > kMaxText) return absl::InvalidArgumentError("reason_text: at most 4000 characters");
  auto from = DayOr(req.from_date(), "from_date", server::SwedishDay(Now()));
  if (!from.ok()) return from.status();
  std::optional<absl::CivilDay> until;
  if (req.has_expected_until()) {
    auto u = server::ToCivilDay(req.expected_until(), "expected_until");
    if (!u.ok()) return u.status();
    if (*u < *from) return absl::InvalidArgumentError("expected_until: before from_date");
  }
  return Mutate(redis, caller, "Pause", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kPause, v1::PauseReason_Name(req.reason()), *from);
        if (!step.ok()) return step.status();
        auto pause = CheckPause(*domain, *from, config.rules);
        if (!pause.ok()) return pause.status();
        v1::CasePause* p = tx.next.add_pauses();
        p->set_pause_id(absl::StrCat(tx.next.case_id(), ".p", tx.next.pauses_size()));
        p->set_reason(req.reason());
        p->set_reason_text(req.reason_text());
        *p->mutable_dates()->mutable_start() = server::FromCivilDay(*from);
        p->set_stops_clock(pause->stops_clock);
        p->set_rule_version(config.rules.version);
        tx.next.set_paused(true);
        v1::PauseDetails* details = (*step)->mutable_pause();
        details->set_pause_id(p->pause_id());
        details->set_reason(req.reason());
        *details->mutable_from_date() = p->dates().start();
        details->set_stops_clock(p->stops_clock());
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::Resume(const Identity& caller, RedisConnection& redis, const v1::ResumeRequest& req,
                                  v1::ResumeResponse* resp) {
  auto resume = DayOr(req.resume_date(), "resume_date", server::SwedishDay(Now()));
  if (!resume.ok()) return resume.status();
  return Mutate(redis, caller, "Resume", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kResume, "", *resume);
        if (!step.ok()) return step.status();
        RETURN_IF_ERROR(CheckResume(*domain, *resume));
        v1::CasePause* p = tx.next.mutable_pauses(tx.next.pauses_size() - 1);
        *p->mutable_dates()->mutable_end() = server::FromCivilDay(*resume - 1);
        tx.next.set_paused(false);
        if (p->stops_clock()) {
          RETURN_IF_ERROR(ScheduleMaximumTime(tx));
        }
        v1::ResumeDetails* details = (*step)->mutable_resume();
        details->set_pause_id(p->pause_id());
        *details->mutable_resume_date() = server::FromCivilDay(*resume);
        *details->mutable_maximum_end_date() = tx.next.maximum_end_date();
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::Interrupt(const Identity& caller, RedisConnection& redis, const v1::InterruptRequest& req,
                                     v1::InterruptResponse* resp) {
  RETURN_IF_ERROR(RequireText(req.reason(), "reason", kMaxText));
  auto date = DayOr(req.interrupt_date(), "interrupt_date", server::SwedishDay(Now()));
  if (!date.ok()) return date.status();
  std::optional<ItemRef> item;
  std::vector<std::vector<std::string>> extra;
  if (!req.queue_item_id().empty()) {
    auto parsed = ParseItemId(req.queue_item_id(), "queue_item_id");
    if (!parsed.ok()) return parsed.status();
    if (parsed->spec->id != v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS) {
      return absl::InvalidArgumentError("queue_item_id: not an item of the interruption-requests queue");
    }
    item = *parsed;
    extra = ItemReads(*item);
  }
  if (!req.interruption_request_report_id().empty()) {
    RETURN_IF_ERROR(RequireId(req.interruption_request_report_id(), "interruption_request_report_id"));
    if (CaseOfReport(req.interruption_request_report_id()) != req.case_id()) {
      return absl::InvalidArgumentError("interruption_request_report_id: not a report of this case");
    }
  }
  return Mutate(redis, caller, "Interrupt", req, req.request_id(), req.case_id(), req.expected_version(), extra,
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        auto step = tx.Step(Transition::kInterrupt, req.reason(), *date);
        if (!step.ok()) return step.status();
        RETURN_IF_ERROR(CheckInterrupt(*domain, *date, req.reason(), tx.today));
        v1::InterruptionDetails* details = (*step)->mutable_interruption();
        *details->mutable_interrupt_date() = server::FromCivilDay(*date);
        details->set_interruption_request_report_id(req.interruption_request_report_id());
        if (item) {
          RETURN_IF_ERROR(CompleteItemInTx(tx, *item, tx.read.extra[0], tx.read.extra[1], tx.next.case_id(),
                                                 v1::WORK_OUTCOME_APPROVED));
        }
        return absl::OkStatus();
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::End(const Identity& caller, RedisConnection& redis, const v1::EndRequest& req,
                               v1::EndResponse* resp) {
  if (req.reason() == v1::END_REASON_UNSPECIFIED || !v1::EndReason_IsValid(req.reason())) {
    return absl::InvalidArgumentError("reason: required");
  }
  if (req.note().size() > kMaxText) return absl::InvalidArgumentError("note: at most 4000 characters");
  auto end_date = DayOr(req.end_date(), "end_date", server::SwedishDay(Now()));
  if (!end_date.ok()) return end_date.status();
  auto reason = ToDomainEndReason(req.reason(), "reason");
  if (!reason.ok()) return reason.status();
  return Mutate(redis, caller, "End", req, req.request_id(), req.case_id(), req.expected_version(), {},
      [&](Tx& tx) -> absl::Status {
        auto domain = tx.Domain();
        if (!domain.ok()) return domain.status();
        // The table first (role, state), then the dates.
        auto next = Next(domain->state, Transition::kEnd, tx.role());
        if (!next.ok()) return next.status();
        RETURN_IF_ERROR(CheckEnd(*domain, *reason, *end_date, config.rules, tx.today));
        return ApplyEnd(tx, req.reason(), *end_date, req.note());
      },
      CaseResponse(*this, caller, resp), resp);
}

absl::Status ReferralImpl::GetCase(const Identity& caller, RedisConnection& redis, const v1::GetCaseRequest& req,
                                   v1::GetCaseResponse* resp) {
  auto c = LoadForCaller(redis, caller, "GetCase", req.case_id());
  if (!c.ok()) return c.status();
  v1::Case view = ViewFor(caller, *c);
  if (req.view() == v1::CASE_VIEW_BASIC) view.clear_history();
  *resp->mutable_case_record() = std::move(view);
  return absl::OkStatus();
}

absl::Status ReferralImpl::ListCases(const Identity& caller, RedisConnection& redis, const v1::ListCasesRequest& req,
                                     v1::ListCasesResponse* resp) {
  auto page_size = server::PageSize(req.page_size());
  if (!page_size.ok()) return page_size.status();
  auto cursor = server::DecodePageToken(req.page_token(), req);
  if (!cursor.ok()) return cursor.status();
  if (req.states_size() > kMaxStateFilters) {
    return absl::InvalidArgumentError(absl::StrCat("states: at most ", kMaxStateFilters, " entries"));
  }
  for (int i = 0; i < req.states_size(); ++i) {
    const int s = req.states(i);
    if (!v1::CaseState_IsValid(s) || s == 0) {
      return absl::InvalidArgumentError(absl::StrCat("states[", i, "]: ", s, " is not a known CaseState"));
    }
  }
  std::string person;
  if (!req.person_id().empty()) {
    auto p = validation::ParsePersonNumber(req.person_id(), "person_id", server::SwedishDay(Now()));
    if (!p.ok()) return p.status();
    person = p->normalized;
  }
  std::string org = req.organisation_number();
  if (!org.empty()) {
    auto o = validation::ParseOrganisationNumber(org, "organisation_number");
    if (!o.ok()) return o.status();
    org = *o;
  }
  const bool provider = caller.role == identity::Role::kProvider;
  if (provider) {
    if (!org.empty() && org != caller.id) return absl::PermissionDeniedError("organisation_number: only your own");
    org = caller.id;
  }
  // Candidates come from one index, a batch at a time after the cursor, filtered here; a call looks
  // at a bounded number of candidates and may answer fewer than page_size with a token to go on.
  constexpr int64_t kBatch = 200, kMaxScanned = 5000;
  std::string at = *cursor;
  int64_t scanned = 0;
  bool more = true;
  while (more && resp->cases_size() < *page_size && scanned < kMaxScanned) {
    auto batch = !person.empty() ? store.PersonCases(redis, person, at, kBatch)
                 : !org.empty()  ? store.ProviderParticipants(redis, org, at, kBatch)
                                 : store.CasesByTime(redis, at, kBatch);
    if (!batch.ok()) return batch.status();
    more = static_cast<int64_t>(batch->size()) == kBatch;
    std::vector<std::string> ids;
    for (const CaseStore::IndexEntry& e : *batch) ids.push_back(e.case_id);
    auto cases = store.GetMany(redis, ids);
    if (!cases.ok()) return cases.status();
    std::map<std::string, const v1::Case*> by_id;
    for (const v1::Case& c : *cases) by_id[c.case_id()] = &c;
    for (const CaseStore::IndexEntry& e : *batch) {
      ++scanned;
      at = e.cursor;
      auto found = by_id.find(e.case_id);
      if (found == by_id.end()) continue;
      const v1::Case& c = *found->second;
      if (!person.empty() && c.person_id() != person) continue;
      if (!org.empty() && c.current_provider().organisation_number() != org) continue;
      if (req.states_size() > 0 &&
          std::find(req.states().begin(), req.states().end(), c.state()) == req.states().end()) continue;
      if (req.flagged_only()) {
        bool up = false;
        for (const auto& f : c.flags()) up |= !f.has_cleared_at();
        if (!up) continue;
      }
      v1::Case view = ViewFor(caller, c);
      view.clear_history();
      *resp->add_cases() = std::move(view);
      if (resp->cases_size() >= *page_size) {
        more = more || &e != &batch->back();
        break;
      }
    }
  }
  if (more) resp->set_next_page_token(server::EncodePageToken(req, at));
  if (provider && resp->cases_size() > 0) {
    // One audit event for the page a provider saw, naming every case and person on it.
    v1::AuditEvent e = audit::MakeAuditEvent(caller, "referral", "ListCases", Now());
    e.set_purpose("case-handling");
    e.set_detail(absl::StrCat(resp->cases_size(), " cases"));
    for (const v1::Case& c : resp->cases()) {
      audit::AddSubject(e, v1::SUBJECT_KIND_CASE, c.case_id());
      audit::AddSubject(e, v1::SUBJECT_KIND_PERSON, c.person_id());
    }
    RETURN_IF_ERROR(store.audit().Append(redis, audit::ActorChain(caller.uri), e, nullptr).status());
  }
  return absl::OkStatus();
}

}  // namespace rusta::referral
