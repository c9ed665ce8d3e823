#include "services/assessment/assessment_config.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_log.h"

namespace rusta::assessment {
namespace {

constexpr char kDefaultReasons[] =
    "LOW_ACTIVITY_CAPACITY=Låg aktivitetsförmåga;"
    "OTHER_SUPPORT_NEEDS=Andra stödbehov framgår av den arbetssökandes uppgifter;"
    "INCORRECT_REGISTRATION_DATA=Uppgifterna i inskrivningen är felaktiga eller ofullständiga;"
    "RECENT_CHANGE_IN_SITUATION=Nyligen ändrad situation som verktyget inte ser";

}  // namespace

absl::StatusOr<std::vector<OverrideReasonEntry>> ParseOverrideReasons(const std::string& text) {
  std::vector<OverrideReasonEntry> out;
  std::set<std::string> seen;
  for (absl::string_view part : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos || eq == 0 || eq + 1 == part.size()) {
      return absl::InvalidArgumentError("each reason must be CODE=Label");
    }
    std::string code(absl::StripAsciiWhitespace(part.substr(0, eq)));
    for (char c : code) {
      if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != '_') {
        return absl::InvalidArgumentError(absl::StrCat("reason code ", code, ": only A-Z, 0-9 and _"));
      }
    }
    if (!seen.insert(code).second) return absl::InvalidArgumentError(absl::StrCat("reason code ", code, " twice"));
    out.push_back({code, std::string(absl::StripAsciiWhitespace(part.substr(eq + 1)))});
  }
  if (out.empty()) return absl::InvalidArgumentError("at least one reason is needed");
  return out;
}

AssessmentConfig ReadAssessmentConfig(config::ConfigParser& p) {
  AssessmentConfig c;
  c.model_dir = p.String("model-dir", RUSTA_ASSESSMENT_MODEL_DIR,
                         "directory of model files (*.textproto)");
  const std::string rule = p.String("eligibility-rule", "tool-outcome",
                                    "tool-outcome, or time-registered (the 2021-08-01 alternative)");
  const int64_t min_days = p.Int("eligibility-min-days", 365, 1, 3650,
                                 "days registered in the current period for the time-registered rule");
  if (rule == "tool-outcome") {
    c.eligibility_rule.kind = EligibilityRule::Kind::kToolOutcome;
  } else if (rule == "time-registered") {
    c.eligibility_rule.kind = EligibilityRule::Kind::kTimeRegistered;
    c.eligibility_rule.min_days_registered = static_cast<int>(min_days);
  } else {
    p.AddError("eligibility-rule", "must be tool-outcome or time-registered");
  }
  const std::string reasons = p.String("override-reasons", kDefaultReasons,
                                       "override reason codes, CODE=Label;CODE=Label");
  auto parsed = ParseOverrideReasons(reasons);
  if (parsed.ok()) {
    c.override_reasons = *parsed;
  } else {
    p.AddError("override-reasons", std::string(parsed.status().message()));
  }
  c.override_reasons_version = "reasons-" + audit::Sha256Hex(reasons).substr(0, 12);
  c.min_age = static_cast<int>(p.Int("min-age", 16, 0, 120, "youngest age accepted"));
  c.max_age = static_cast<int>(p.Int("max-age", 66, 0, 120, "oldest age accepted"));
  if (c.min_age > c.max_age) p.AddError("min-age", "must not exceed max-age");
  c.minimum_group_size = p.Int("minimum-group-size", 10, 1, 1000000,
                               "follow-up groups smaller than this are suppressed");
  c.support_review_visibility_ms = p.Int("support-review-visibility-ms", 30 * 60 * 1000, 1000,
                                         7 * 24 * 3600 * 1000LL,
                                         "a claimed support review returns to the queue after this");
  c.pseudonym_secret = p.String("pseudonym-secret", "",
                                "key for the pseudonyms of person ids in Redis key names",
                                config::Sensitivity::kSecret);
  return c;
}

}  // namespace rusta::assessment
