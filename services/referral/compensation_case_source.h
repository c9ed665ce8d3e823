#pragma once
// Compensation's view of cases, in process: the CaseSource (services/compensation/case_source.h)
// the referral process gives the compensation module, over its own case store. This is the one
// place that turns a stored rusta.v1.Case (history, provider periods, parallel measures, verified
// result) and its current monthly reports into the compensation domain's Participation.
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rusta/v1/referral.pb.h"
#include "services/compensation/case_source.h"
#include "services/referral/case_store.h"

namespace rusta::referral {

class InProcessCaseSource final : public compensation::CaseSource {
 public:
  explicit InProcessCaseSource(const CaseStore& cases) : cases_(cases) {}

  absl::StatusOr<std::optional<compensation::CaseFacts>> Facts(redis::RedisConnection& redis,
                                                               const std::string& case_id) const override;
  absl::StatusOr<std::vector<std::string>> StartedCases(redis::RedisConnection& redis) const override;

 private:
  const CaseStore& cases_;
};

// The participation of a case that started (nullopt for one that never did), from the case and
// the current revision of each of its monthly reports.
absl::StatusOr<std::optional<compensation::Participation>> ParticipationOf(
    const rusta::v1::Case& c, const std::vector<rusta::v1::CaseReport>& current_monthly_reports);

}  // namespace rusta::referral
