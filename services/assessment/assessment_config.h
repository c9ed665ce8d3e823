#pragma once
// The assessment service's own settings (flags / RUSTA_* variables), besides the shared ones.
#include <cstdint>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "services/assessment/domain/types.h"

namespace rusta::assessment {

struct OverrideReasonEntry {
  std::string code;
  std::string label;
};

struct AssessmentConfig {
  std::string model_dir;
  EligibilityRule eligibility_rule;
  std::vector<OverrideReasonEntry> override_reasons;
  std::string override_reasons_version;  // derived from the list: "reasons-<sha256 prefix>"
  int min_age = 16;
  int max_age = 66;
  int64_t minimum_group_size = 10;
  int64_t support_review_visibility_ms = 30 * 60 * 1000;
  std::string pseudonym_secret;
};

// Declares and reads the settings; problems go to the parser (reported by Finish).
AssessmentConfig ReadAssessmentConfig(config::ConfigParser& parser);

// "CODE=Label;CODE=Label" → entries; INVALID_ARGUMENT on a malformed list.
absl::StatusOr<std::vector<OverrideReasonEntry>> ParseOverrideReasons(const std::string& text);

}  // namespace rusta::assessment
