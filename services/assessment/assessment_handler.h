#pragma once
// rusta.v1.AssessmentService: the gRPC adapter. Validates every request (INVALID_ARGUMENT naming
// the field), checks the caller's role (one policy per RPC), calls the domain (model, rules,
// follow-up) and the store, and records an audit event for every assessment, change, replay and
// read. Nothing here blocks a gRPC thread: each RPC body runs on a Redis worker (ServiceHost::Handle).
#include <memory>

#include "common/identity/policy.h"
#include "common/queue/work_queue.h"
#include "common/server/service_host.h"
#include "common/validation/municipality_codes.h"
#include "rusta/v1/assessment.grpc.pb.h"
#include "services/assessment/assessment_config.h"
#include "services/assessment/assessment_store.h"
#include "services/assessment/domain/model.h"

namespace rusta::assessment {

class AssessmentHandler final : public rusta::v1::AssessmentService::CallbackService {
 public:
  // The registry and reference data must outlive the handler.
  AssessmentHandler(server::ServiceHost& host, AssessmentConfig config, const ModelRegistry& models,
                    const validation::MunicipalityCodes* municipalities,
                    const validation::PostalCodeDirectory* postal_codes);

  static identity::Policy MakePolicy();
  static constexpr char kSupportQueue[] = "assessment-support-review";

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* Assess(Ctx*, const rusta::v1::AssessRequest*, rusta::v1::AssessResponse*) override;
  Reactor* GetAssessment(Ctx*, const rusta::v1::GetAssessmentRequest*, rusta::v1::GetAssessmentResponse*) override;
  Reactor* ListAssessments(Ctx*, const rusta::v1::ListAssessmentsRequest*, rusta::v1::ListAssessmentsResponse*) override;
  Reactor* ReplayAssessment(Ctx*, const rusta::v1::ReplayAssessmentRequest*, rusta::v1::ReplayAssessmentResponse*) override;
  Reactor* RecordOverride(Ctx*, const rusta::v1::RecordOverrideRequest*, rusta::v1::RecordOverrideResponse*) override;
  Reactor* SendToSupportGroup(Ctx*, const rusta::v1::SendToSupportGroupRequest*, rusta::v1::SendToSupportGroupResponse*) override;
  Reactor* ClaimSupportReview(Ctx*, const rusta::v1::ClaimSupportReviewRequest*, rusta::v1::ClaimSupportReviewResponse*) override;
  Reactor* CompleteSupportReview(Ctx*, const rusta::v1::CompleteSupportReviewRequest*, rusta::v1::CompleteSupportReviewResponse*) override;
  Reactor* ReleaseSupportReview(Ctx*, const rusta::v1::ReleaseSupportReviewRequest*, rusta::v1::ReleaseSupportReviewResponse*) override;
  Reactor* GetSupportReviewQueueStats(Ctx*, const rusta::v1::GetSupportReviewQueueStatsRequest*, rusta::v1::GetSupportReviewQueueStatsResponse*) override;
  Reactor* LinkDecision(Ctx*, const rusta::v1::LinkDecisionRequest*, rusta::v1::LinkDecisionResponse*) override;
  Reactor* AnswerComplementaryQuestions(Ctx*, const rusta::v1::AnswerComplementaryQuestionsRequest*, rusta::v1::AnswerComplementaryQuestionsResponse*) override;
  Reactor* RecordFollowUp(Ctx*, const rusta::v1::RecordFollowUpRequest*, rusta::v1::RecordFollowUpResponse*) override;
  Reactor* GetFollowUpReport(Ctx*, const rusta::v1::GetFollowUpReportRequest*, rusta::v1::GetFollowUpReportResponse*) override;
  Reactor* ListModels(Ctx*, const rusta::v1::ListModelsRequest*, rusta::v1::ListModelsResponse*) override;
  Reactor* ListOverrideReasons(Ctx*, const rusta::v1::ListOverrideReasonsRequest*, rusta::v1::ListOverrideReasonsResponse*) override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rusta::assessment
