#pragma once
// Ratings (betyg): 1–4 stars, relative nationwide, adjusted for the participants' levels.
//
// For each provider, over the participants who started in the 12 months up to as_of:
//   expected = sum over its participants of the nationwide result rate of the participant's level
//              (the share of all participants of that level, nationwide, in the same window, with
//              a verified result by as_of)
//   ratio    = verified results / expected
// so a provider with many level-C participants is compared with what level C achieves nationwide,
// and is not punished for taking them. A provider is rated only with at least min_participants
// started in the window and at least min_activity_months since its approval (configurable; AF:
// 18 and 12). Stars by the rated providers' ratios, relative nationwide: the lowest quarter 1, the
// next 2, then 3, the top quarter 4 (by rank, ties sharing the better rank).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/provider-registry/domain/registry_types.h"

namespace rusta::registry {

inline constexpr char kRatingRuleVersion[] = "rating/1";

struct OutcomeRecord {
  std::string case_id;
  std::string organisation_number;
  Level level = Level::kA;
  absl::CivilDay started_on;
  std::optional<absl::CivilDay> result_verified_on;
};

struct RatingParams {
  int min_participants = 18;
  int min_activity_months = 12;
  int window_months = 12;
};

struct ProviderRatingResult {
  std::string organisation_number;
  std::optional<int> stars;          // unset when not rated
  std::string unrated_reason;        // "too few participants (12 < 18)", "active less than 12 months"
  int sample_size = 0;               // participants started in the window
  std::map<Level, int> started_by_level;
  int verified_results = 0;
  double expected_results = 0;
  double ratio = 0;                  // verified / expected (0 when expected is 0)
};

struct RatingComputation {
  absl::CivilDay as_of;
  int sample_size = 0;               // all participants started in the window, nationwide
  std::map<Level, double> nationwide_rate;
  std::vector<ProviderRatingResult> providers;  // every provider with participants or approved, by org nr
};

// `approved_since` gives each provider's approval date (for the activity rule); providers absent
// from it count as not yet active.
RatingComputation ComputeRatings(const std::vector<OutcomeRecord>& outcomes,
                                 const std::map<std::string, absl::CivilDay>& approved_since,
                                 absl::CivilDay as_of, const RatingParams& params);

}  // namespace rusta::registry
