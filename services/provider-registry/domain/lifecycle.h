#pragma once
// Provider lifecycle and admission (domain.md section 7).
//   APPLIED → APPROVED or REJECTED;  APPROVED → SUSPENDED → APPROVED;  any but TERMINATED → TERMINATED.
#include <string>

#include "absl/status/status.h"
#include "services/provider-registry/domain/registry_types.h"

namespace rusta::registry {

inline constexpr char kAdmissionRuleVersion[] = "admission/1";

// FAILED_PRECONDITION "provider.lifecycle: <FROM> → <TO> is not allowed" when not allowed.
absl::Status CheckTransition(ProviderStatus from, ProviderStatus to);
const char* StatusName(ProviderStatus status);  // "APPLIED", ...

enum class AdmissionResult { kPassed, kNeedsAuditorStatement, kInsufficientReferences };

// References for matching and preparatory work: at least min_references; financial standing: a
// credit rating below 40 or payment remarks needs an auditor's statement of capacity.
AdmissionResult EvaluateAdmission(int references, int credit_rating, bool payment_remarks,
                                  bool auditor_statement_provided, int min_references = 2);

// Follow-up risk: higher is followed up sooner. Open complaints weigh most, then complaints of the
// last 12 months, then a low rating (1 star adds most, unrated adds nothing).
double FollowUpRiskScore(int open_complaints, int complaints_last_12_months, std::optional<int> stars);
// Days earlier than the regular half-year schedule a provider with this risk score is due
// (0 for score 0, at most 150).
int FollowUpDaysEarlier(double risk_score);

}  // namespace rusta::registry
