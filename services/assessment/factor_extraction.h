#pragma once
// Validates an assessment's factors (rusta.v1.AssessmentFactors) and turns them into the model's
// features. Every problem is INVALID_ARGUMENT naming the field ("factors.age: ..."); nothing is
// stored when it fails. Also normalises the factors (postal code without space, codes trimmed) so
// that the stored factors replay to the same features.
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/validation/municipality_codes.h"
#include "rusta/v1/assessment.pb.h"
#include "services/assessment/domain/types.h"

namespace rusta::assessment {

struct ExtractionLimits {
  int min_age = 16;
  int max_age = 66;
  // The time-registered rule needs days_registered_current_period.
  bool require_current_period_days = false;
};

// Reference data the checks use; either may be null or empty (then only the format is checked).
struct ReferenceData {
  const validation::MunicipalityCodes* municipalities = nullptr;
  const validation::PostalCodeDirectory* postal_codes = nullptr;
};

// Validates and normalises `factors` in place, then extracts the features.
absl::StatusOr<Features> ExtractFeatures(rusta::v1::AssessmentFactors& factors, absl::CivilDay today,
                                         const ExtractionLimits& limits, const ReferenceData& reference);

// Extracts features from already validated, stored factors (replays).
Features FeaturesOf(const rusta::v1::AssessmentFactors& factors);

}  // namespace rusta::assessment
