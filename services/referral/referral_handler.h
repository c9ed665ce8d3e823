#pragma once
// rusta.v1.ReferralService: the gRPC adapter. Each RPC's caller is identified from its
// certificate and checked against one policy per RPC (the coarse gate; the transition table in
// services/referral/domain/state_machine.h then decides per state), and its body (referral_impl.h)
// runs on a Redis worker. Also runs the deadline scheduler of this replica.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/time/civil_time.h"

#include "common/identity/policy.h"
#include "common/server/periodic_task.h"
#include "common/server/service_host.h"
#include "common/validation/municipality_codes.h"
#include "rusta/v1/referral.grpc.pb.h"
#include "services/referral/case_store.h"
#include "services/referral/rating_feed.h"
#include "services/referral/referral_config.h"
#include "services/referral/result_register.h"
#include "services/referral/upstream_clients.h"

namespace rusta::referral {

struct ReferralImpl;

class ReferralHandler final : public rusta::v1::ReferralService::CallbackService {
 public:
  // The clients and reference data must outlive the handler; the reference data may be null.
  ReferralHandler(server::ServiceHost& host, ReferralConfig config, AssessmentClient* assessment,
                  RegistryClient* registry, const validation::MunicipalityCodes* municipalities,
                  const validation::PostalCodeDirectory* postal_codes);
  ~ReferralHandler() override;

  static identity::Policy MakePolicy();
  // The register results are checked against (null: every result goes to the queue); set before
  // serving, must outlive the handler.
  void SetResultRegister(const ResultRegister* r);
  // Runs the scheduler's step once (tests; the scheduler thread calls it every interval).
  absl::StatusOr<int> RunDueDeadlines();
  // The rating feed's step once (tests; the scheduler runs it after RunDueDeadlines when
  // config.rating_feed): feeds new case events to the registry's rating input, then, once per
  // Swedish day, has the registry compute ratings. Returns how many events it handled.
  absl::StatusOr<int> RunRatingFeed();
  // Where this replica's cases are (compensation's in-process CaseSource reads through it).
  const CaseStore& case_store() const;
  // RESULT_VERIFIED → PAID (compensation's CaseSettlement, on the caller's Redis connection).
  absl::Status MarkPaid(redis::RedisConnection& redis, const std::string& case_id,
                        const std::vector<std::string>& line_ids, const std::string& request_id);

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
#define RUSTA_DECLARE(Name) Reactor* Name(Ctx*, const rusta::v1::Name##Request*, rusta::v1::Name##Response*) override;
  RUSTA_DECLARE(CreateCase)
  RUSTA_DECLARE(AttachAssessment)
  RUSTA_DECLARE(Decide)
  RUSTA_DECLARE(ChooseProvider)
  RUSTA_DECLARE(AssignDefaultProvider)
  RUSTA_DECLARE(Start)
  RUSTA_DECLARE(Prolong)
  RUSTA_DECLARE(ChangeProvider)
  RUSTA_DECLARE(RegisterParallelMeasure)
  RUSTA_DECLARE(Pause)
  RUSTA_DECLARE(Resume)
  RUSTA_DECLARE(Interrupt)
  RUSTA_DECLARE(End)
  RUSTA_DECLARE(GetCase)
  RUSTA_DECLARE(ListCases)
  RUSTA_DECLARE(SubmitMonthlyReport)
  RUSTA_DECLARE(ConfirmMonthlyReport)
  RUSTA_DECLARE(SubmitDeviationReport)
  RUSTA_DECLARE(SubmitInformativeReport)
  RUSTA_DECLARE(SubmitInterruptionRequest)
  RUSTA_DECLARE(SubmitSupportedEmploymentRequest)
  RUSTA_DECLARE(SubmitFinalReport)
  RUSTA_DECLARE(ReviewFinalReport)
  RUSTA_DECLARE(GetCaseReport)
  RUSTA_DECLARE(ListCaseReports)
  RUSTA_DECLARE(ClaimWork)
  RUSTA_DECLARE(CompleteWork)
  RUSTA_DECLARE(ReleaseWork)
  RUSTA_DECLARE(GetQueueStats)
  RUSTA_DECLARE(GetHandlingTimeReport)
  RUSTA_DECLARE(ReportResult)
  RUSTA_DECLARE(GetResult)
  RUSTA_DECLARE(VerifyResult)
#undef RUSTA_DECLARE

 private:
  // ComputeRatings as of today unless this replica or another already did it today.
  absl::Status ComputeRatingsOncePerDay(redis::RedisConnection& redis);

  std::shared_ptr<ReferralImpl> impl_;
  identity::Policy policy_;
  std::string scheduler_worker_;
  std::unique_ptr<RatingFeed> rating_feed_;
  std::mutex ratings_mu_;
  std::optional<absl::CivilDay> ratings_day_;  // the last Swedish day ratings were computed for
  std::unique_ptr<server::PeriodicTask> scheduler_;  // last: stopped first
};

}  // namespace rusta::referral
