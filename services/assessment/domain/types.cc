#include "services/assessment/domain/types.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rusta::assessment {
namespace {

constexpr char kToolOutcomeVersion[] = "tool-outcome/1";
constexpr char kTimeRegisteredPrefix[] = "time-registered/1:min-days=";

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kClose:
      return "CLOSE";
    case Outcome::kInBetween:
      return "IN_BETWEEN";
    case Outcome::kFar:
      return "FAR";
  }
  return "UNKNOWN";
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kNone:
      return "NONE";
    case Level::kA:
      return "A";
    case Level::kB:
      return "B";
    case Level::kC:
      return "C";
  }
  return "UNKNOWN";
}

std::string EligibilityRule::Version() const {
  switch (kind) {
    case Kind::kToolOutcome:
      return kToolOutcomeVersion;
    case Kind::kTimeRegistered:
      return absl::StrCat(kTimeRegisteredPrefix, min_days_registered);
  }
  return "unknown";
}

absl::StatusOr<EligibilityRule> EligibilityRule::FromVersion(const std::string& version) {
  EligibilityRule rule;
  if (version == kToolOutcomeVersion) {
    rule.kind = Kind::kToolOutcome;
    return rule;
  }
  if (absl::StartsWith(version, kTimeRegisteredPrefix)) {
    const std::string digits = version.substr(sizeof(kTimeRegisteredPrefix) - 1);
    // Canonical form only (what Version() writes): 1 to 9 decimal digits, no sign, no leading
    // zero, so that FromVersion(v).Version() == v.
    bool canonical = !digits.empty() && digits.size() <= 9 &&
                     (digits.size() == 1 || digits[0] != '0');
    for (char c : digits) canonical = canonical && c >= '0' && c <= '9';
    int days = 0;
    if (canonical && absl::SimpleAtoi(digits, &days) && days >= 0) {
      rule.kind = Kind::kTimeRegistered;
      rule.min_days_registered = days;
      return rule;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "eligibility rule version '", version,
      "': expected \"tool-outcome/1\" or \"time-registered/1:min-days=<days>\""));
}

}  // namespace rusta::assessment
