#pragma once
// The assessment's vocabulary, in plain C++ (no protobuf, gRPC or Redis types).
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace rusta::assessment {

enum class Outcome { kClose, kInBetween, kFar };
enum class Level { kNone, kA, kB, kC };

const char* OutcomeName(Outcome outcome);  // "CLOSE", "IN_BETWEEN", "FAR"
const char* LevelName(Level level);        // "NONE", "A", "B", "C"

// One input of the model, after extraction from the registration data: a number (age, days,
// shares) or a category (education level, sex, county, ...). Names are the published factors'
// (see model.h: kKnownFeatures).
struct FeatureValue {
  bool categorical = false;
  double number = 0;
  std::string category;

  static FeatureValue Number(double v) { return FeatureValue{false, v, {}}; }
  static FeatureValue Category(std::string c) { return FeatureValue{true, 0, std::move(c)}; }
};
using Features = std::map<std::string, FeatureValue>;

// Cut points on the probability scale, increasing:
//   p < close_to_a: CLOSE;  < a_to_b: IN_BETWEEN A;  < b_to_c: B;  < c_to_far: C;  else FAR.
struct Thresholds {
  std::string version;
  absl::CivilDay effective_from;
  double close_to_a = 0, a_to_b = 0, b_to_c = 0, c_to_far = 0;
};

// How eligibility for referral is decided: by the tool's outcome (IN_BETWEEN), or, as AF did for a
// while from 2021-08-01, by time registered (at least min_days_registered days in the current
// period). Its Version() string is recorded with every assessment and parsed back for replays.
struct EligibilityRule {
  enum class Kind { kToolOutcome, kTimeRegistered };
  Kind kind = Kind::kToolOutcome;
  int min_days_registered = 0;  // kTimeRegistered only

  std::string Version() const;  // "tool-outcome/1" or "time-registered/1:min-days=365"
  static absl::StatusOr<EligibilityRule> FromVersion(const std::string& version);
};

// One factor's signed share of the logit (positive pushes towards FAR).
struct Contribution {
  std::string factor;
  std::string value;         // the value or category used, for people
  double contribution = 0;
  std::string explanation;   // Swedish, from the model file
};

struct Result {
  Outcome outcome = Outcome::kClose;
  Level level = Level::kNone;  // set for IN_BETWEEN, and for eligible-by-time (see model.cc)
  double probability = 0;      // of still being without work at the model's horizon
  double logit = 0;            // intercept + sum of contributions
  double intercept = 0;
  std::vector<Contribution> contributions;  // every term, largest absolute value first
  std::string model_version;
  std::string threshold_version;
  EligibilityRule rule;
  bool eligible = false;
};

}  // namespace rusta::assessment
