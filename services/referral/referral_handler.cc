#include "services/referral/referral_handler.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/server/proto_convert.h"
#include "services/referral/referral_impl.h"

namespace rusta::referral {

ReferralHandler::ReferralHandler(server::ServiceHost& host, ReferralConfig config, AssessmentClient* assessment,
                                 RegistryClient* registry, const validation::MunicipalityCodes* municipalities,
                                 const validation::PostalCodeDirectory* postal_codes)
    : impl_(std::make_shared<ReferralImpl>(host, std::move(config), assessment, registry, municipalities,
                                           postal_codes)),
      policy_(MakePolicy()) {
  char name[256] = {0};
  gethostname(name, sizeof(name) - 1);
  scheduler_worker_ = absl::StrCat("scheduler-", name, "-", getpid(), "-", reinterpret_cast<uintptr_t>(this));
  rating_feed_ = std::make_unique<RatingFeed>(impl_->registry, host.config().replica_id);
  // The deadline scheduler, then the rating feed, every interval (after the members they use).
  std::vector<server::PeriodicTask::Step> steps = {{"deadline_scheduler", [this] { return RunDueDeadlines(); }}};
  if (impl_->config.rating_feed) steps.push_back({"rating_feed", [this] { return RunRatingFeed(); }});
  scheduler_ = std::make_unique<server::PeriodicTask>(
      impl_->host, std::chrono::milliseconds(impl_->config.scheduler_interval_ms), std::move(steps));
}

ReferralHandler::~ReferralHandler() { scheduler_.reset(); }  // stop the steps before the members go

void ReferralHandler::SetResultRegister(const ResultRegister* r) { impl_->result_register = r; }

absl::StatusOr<int> ReferralHandler::RunDueDeadlines() {
  absl::StatusOr<int> result = 0;
  absl::Status s = impl_->host.executor().RunSync([&](redis::RedisConnection& redis) {
    result = impl_->RunDueDeadlines(redis, scheduler_worker_, 1000);
    return result.status();
  });
  if (!s.ok()) return s;
  return result;
}

const CaseStore& ReferralHandler::case_store() const { return impl_->store; }

absl::Status ReferralHandler::MarkPaid(redis::RedisConnection& redis, const std::string& case_id,
                                      const std::vector<std::string>& line_ids, const std::string& request_id) {
  return impl_->MarkPaid(redis, case_id, line_ids, request_id);
}

absl::StatusOr<int> ReferralHandler::RunRatingFeed() {
  absl::StatusOr<int> result = 0;
  absl::Status s = impl_->host.executor().RunSync([&](redis::RedisConnection& redis) {
    result = rating_feed_->RunOnce(redis, 1000);
    if (!result.ok()) return result.status();
    // Ratings are computed after the feed caught up (a failing feed is retried first, next tick).
    return ComputeRatingsOncePerDay(redis);
  });
  if (!s.ok()) return s;
  return result;
}

absl::Status ReferralHandler::ComputeRatingsOncePerDay(redis::RedisConnection& redis) {
  const absl::CivilDay today = server::SwedishDay(impl_->Now());
  std::lock_guard<std::mutex> lock(ratings_mu_);
  if (ratings_day_ == today) return absl::OkStatus();
  const std::string date = absl::FormatCivilTime(today);
  // Exactly once across replicas: the first to set the day's key computes. Its request id makes a
  // retry (after a lost answer) return the same run.
  const std::string key = absl::StrCat("referral:ratings-computed:", date);
  auto claimed = redis.Command({"SET", key, "1", "NX", "EX", "172800"});
  if (!claimed.ok()) return claimed.status();
  if (claimed->is_nil()) {  // another replica (or this one before a restart) has it
    ratings_day_ = today;
    return absl::OkStatus();
  }
  absl::Status computed = impl_->registry->ComputeRatings(absl::StrCat("ratings-", date), server::FromCivilDay(today));
  if (!computed.ok()) {
    // Give the day back so that the next tick (of any replica) tries again.
    (void)redis.Command({"DEL", key});
    return computed;
  }
  ratings_day_ = today;
  log::Info("ratings_computed", {{"as_of", date}});
  return absl::OkStatus();
}

identity::Policy ReferralHandler::MakePolicy() {
  using identity::Role;
  const auto cw = Role::kCaseworker, eo = Role::kEmploymentOfficer, sg = Role::kSupportGroup,
             pfu = Role::kProviderFollowUp, prv = Role::kProvider, aud = Role::kAuditor, adm = Role::kAdmin,
             svc = Role::kService;
  identity::Policy p;
  // Transitions: the coarse gate is everyone the table lets do the transition somewhere; the
  // table then checks the state (state_machine.cc). Providers and municipalities do none here.
  for (const char* m : {"CreateCase", "AttachAssessment", "ChooseProvider", "ChangeProvider", "Start", "Prolong",
                        "Pause", "Resume", "End"}) {
    p.Allow(m, {cw, eo, svc});
  }
  p.Allow("Decide", {cw, eo});
  p.Allow("AssignDefaultProvider", {svc});
  p.Allow("RegisterParallelMeasure", {eo});
  p.Allow("Interrupt", {eo});
  // Reads: the agency's roles; providers their own participants (checked per case).
  p.Allow("GetCase", {cw, eo, sg, pfu, aud, adm, svc, prv});
  p.Allow("ListCases", {cw, eo, pfu, aud, adm, svc, prv});
  // Provider documents come from providers; the participant's confirmation arrives through the
  // self-service channel (service) or is entered by a caseworker.
  for (const char* m : {"SubmitMonthlyReport", "SubmitDeviationReport", "SubmitInformativeReport",
                        "SubmitInterruptionRequest", "SubmitSupportedEmploymentRequest", "SubmitFinalReport"}) {
    p.Allow(m, {prv});
  }
  p.Allow("ConfirmMonthlyReport", {cw, eo, svc});
  p.Allow("ReviewFinalReport", {cw, eo});
  p.Allow("GetCaseReport", {cw, eo, pfu, aud, adm, svc, prv});
  p.Allow("ListCaseReports", {cw, eo, pfu, aud, adm, svc, prv});
  // Queues: claimed by caseworkers and employment officers (per queue, see QueueSpecs).
  for (const char* m : {"ClaimWork", "CompleteWork", "ReleaseWork"}) p.Allow(m, {cw, eo});
  p.Allow("GetQueueStats", {cw, eo, adm, aud});
  p.Allow("GetHandlingTimeReport", {cw, eo, adm, aud, pfu});
  // Results: the last provider, a caseworker or the register import report; the scheduler or an
  // employment officer (from the verification queue, with the verifikat) verifies.
  p.Allow("ReportResult", {cw, eo, svc, prv});
  p.Allow("GetResult", {cw, eo, pfu, aud, adm, svc, prv});
  p.Allow("VerifyResult", {eo, svc});
  return p;
}

#define RUSTA_RPC(Name)                                                                                 \
  ReferralHandler::Reactor* ReferralHandler::Name(Ctx* ctx, const v1::Name##Request* req,              \
                                                  v1::Name##Response* resp) {                          \
    std::shared_ptr<ReferralImpl> impl = impl_;                                                          \
    return impl->host.Handle(ctx, #Name, policy_, req,                                                        \
        [impl, req, resp](const Identity& caller, RedisConnection& redis) -> absl::Status {             \
          return impl->Name(caller, redis, *req, resp);                                                  \
        });                                                                                              \
  }

RUSTA_RPC(CreateCase)
RUSTA_RPC(AttachAssessment)
RUSTA_RPC(Decide)
RUSTA_RPC(ChooseProvider)
RUSTA_RPC(AssignDefaultProvider)
RUSTA_RPC(Start)
RUSTA_RPC(Prolong)
RUSTA_RPC(ChangeProvider)
RUSTA_RPC(RegisterParallelMeasure)
RUSTA_RPC(Pause)
RUSTA_RPC(Resume)
RUSTA_RPC(Interrupt)
RUSTA_RPC(End)
RUSTA_RPC(GetCase)
RUSTA_RPC(ListCases)
RUSTA_RPC(SubmitMonthlyReport)
RUSTA_RPC(ConfirmMonthlyReport)
RUSTA_RPC(SubmitDeviationReport)
RUSTA_RPC(SubmitInformativeReport)
RUSTA_RPC(SubmitInterruptionRequest)
RUSTA_RPC(SubmitSupportedEmploymentRequest)
RUSTA_RPC(SubmitFinalReport)
RUSTA_RPC(ReviewFinalReport)
RUSTA_RPC(GetCaseReport)
RUSTA_RPC(ListCaseReports)
RUSTA_RPC(ClaimWork)
RUSTA_RPC(CompleteWork)
RUSTA_RPC(ReleaseWork)
RUSTA_RPC(GetQueueStats)
RUSTA_RPC(GetHandlingTimeReport)
RUSTA_RPC(ReportResult)
RUSTA_RPC(GetResult)
RUSTA_RPC(VerifyResult)

#undef RUSTA_RPC

}  // namespace rusta::referral
