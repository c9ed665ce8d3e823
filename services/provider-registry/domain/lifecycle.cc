#include "services/provider-registry/domain/lifecycle.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace rusta::registry {

// Allowed transitions (lifecycle.h): APPLIED → APPROVED | REJECTED, APPROVED → SUSPENDED,
// SUSPENDED → APPROVED, and every status except TERMINATED → TERMINATED. That includes
// APPLIED → TERMINATED (an application withdrawn or closed) and REJECTED → TERMINATED (closing a
// rejected application for good, as documented in the header and issue 4: "any → TERMINATED").
// Nothing leaves TERMINATED, and a status never "transitions" to itself.
absl::Status CheckTransition(ProviderStatus from, ProviderStatus to) {
  bool allowed = false;
  if (to == ProviderStatus::kTerminated) {
    allowed = from != ProviderStatus::kTerminated;
  } else {
    switch (from) {
      case ProviderStatus::kApplied:
        allowed = to == ProviderStatus::kApproved || to == ProviderStatus::kRejected;
        break;
      case ProviderStatus::kApproved:
        allowed = to == ProviderStatus::kSuspended;
        break;
      case ProviderStatus::kSuspended:
        allowed = to == ProviderStatus::kApproved;
        break;
      case ProviderStatus::kRejected:
      case ProviderStatus::kTerminated:
        allowed = false;
        break;
    }
  }
  if (allowed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "provider.lifecycle: ", StatusName(from), " \xE2\x86\x92 ", StatusName(to), " is not allowed"));
}

const char* StatusName(ProviderStatus status) {
  switch (status) {
    case ProviderStatus::kApplied:
      return "APPLIED";
    case ProviderStatus::kApproved:
      return "APPROVED";
    case ProviderStatus::kRejected:
      return "REJECTED";
    case ProviderStatus::kSuspended:
      return "SUSPENDED";
    case ProviderStatus::kTerminated:
      return "TERMINATED";
  }
  return "UNKNOWN";
}

// admission/1: the references condition is checked first (without them the application fails
// whatever the finances); then the financial standing: a credit rating below 40 or payment remarks
// pass only with an auditor's statement of capacity.
AdmissionResult EvaluateAdmission(int references, int credit_rating, bool payment_remarks,
                                  bool auditor_statement_provided, int min_references) {
  if (references < min_references) return AdmissionResult::kInsufficientReferences;
  const bool weak_finances = credit_rating < 40 || payment_remarks;
  if (weak_finances && !auditor_statement_provided) return AdmissionResult::kNeedsAuditorStatement;
  return AdmissionResult::kPassed;
}

// score = 3 × open complaints + 1 × complaints of the last 12 months + 1.5 × (4 − stars) when
// rated. Negative counts count as 0; stars are clamped to 1..4, so 1 star adds 4.5, 4 stars and
// unrated add nothing. Non-decreasing in both counts and non-increasing in stars.
double FollowUpRiskScore(int open_complaints, int complaints_last_12_months,
                         std::optional<int> stars) {
  double score = 3.0 * std::max(0, open_complaints) + 1.0 * std::max(0, complaints_last_12_months);
  if (stars) score += 1.5 * (4 - std::clamp(*stars, 1, 4));
  return score;
}

// days = round(15 × score), between 0 and 150 (a score of 10 or more gives the maximum 150).
// Non-decreasing in the score.
int FollowUpDaysEarlier(double risk_score) {
  if (!(risk_score > 0)) return 0;  // also NaN
  return static_cast<int>(std::min(150.0, std::round(risk_score * 15.0)));
}

}  // namespace rusta::registry
