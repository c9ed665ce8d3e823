#pragma once
// A versioned logistic model over the published factors (domain.md section 4), read from a model
// file (services/assessment/models/*.textproto, format: model_file.proto). The shipped
// coefficients are illustrative, not the agency's.
//
//   logit = intercept + sum(numeric: coefficient * (clamp(x, min, max) - center))
//                     + sum(categorical: coefficient of the category, 0 for the reference)
//   probability = 1 / (1 + exp(-logit))
//
// A model refers only to known features (kKnownFeatures). A model file that names an excluded
// input (Swedish language skill, health or other sensitive data) or an unknown one is refused at
// load, naming the term.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/assessment/domain/types.h"

namespace rusta::assessment {

// The features a model may use: the published inputs (and their derivations, see
// factor_extraction.h in the adapter).
const std::vector<std::string>& KnownFeatures();
// Inputs excluded by rule; a model naming one of these (or anything containing "language",
// "health", "ethnic", "religio", "sensitive") is refused.
bool IsExcludedInput(std::string_view name);

class Model {
 public:
  // Parses a model file (text format). source names the file in error messages.
  static absl::StatusOr<Model> Parse(std::string_view text, std::string_view source);

  const std::string& version() const;
  absl::CivilDay effective_from() const;
  bool illustrative() const;
  const std::string& description() const;
  std::vector<std::string> factor_names() const;  // the features it uses
  // Threshold sets, by effective date ascending. The set in force on a day is the latest whose
  // effective date is not after it.
  const std::vector<Thresholds>& thresholds() const;
  absl::StatusOr<Thresholds> ThresholdsAt(absl::CivilDay day) const;
  absl::StatusOr<Thresholds> ThresholdsByVersion(std::string_view version) const;

  // FAILED_PRECONDITION if a feature the model needs is missing from `features`.
  absl::StatusOr<Result> Score(const Features& features, const Thresholds& thresholds,
                               const EligibilityRule& rule) const;

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// All model versions the service knows.
class ModelRegistry {
 public:
  // Every *.textproto file of the directory; refuses duplicate versions or effective dates.
  static absl::StatusOr<ModelRegistry> LoadDirectory(const std::string& directory);
  absl::Status Add(Model model);

  // The model with the latest effective date not after `day`.
  absl::StatusOr<const Model*> InForceAt(absl::CivilDay day) const;
  absl::StatusOr<const Model*> ByVersion(std::string_view version) const;
  // Newest effective date first.
  std::vector<const Model*> All() const;
  size_t size() const { return models_.size(); }

 private:
  std::vector<std::unique_ptr<Model>> models_;  // sorted by effective date ascending
};

}  // namespace rusta::assessment
