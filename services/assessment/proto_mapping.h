#pragma once
// Between the assessment domain's plain types and the rusta.v1 messages.
#include "rusta/v1/assessment.pb.h"
#include "services/assessment/domain/follow_up.h"
#include "services/assessment/domain/types.h"

namespace rusta::assessment {

rusta::v1::AssessmentResult ToProto(const Result& result);
rusta::v1::Thresholds ToProto(const Thresholds& thresholds);
rusta::v1::EligibilityRule ToProto(EligibilityRule::Kind kind);
rusta::v1::FollowUpGroup ToProto(const GroupFigures& group);
LabourMarketStatus FromProto(rusta::v1::LabourMarketStatus status);
FollowUpRecord ToFollowUpRecord(const rusta::v1::Assessment& assessment);

// Outcome, level, probability, logit and every contribution equal, to the bit: what a replay
// under the recorded versions must give.
bool SameResult(const rusta::v1::AssessmentResult& a, const rusta::v1::AssessmentResult& b);

}  // namespace rusta::assessment
