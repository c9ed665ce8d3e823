#include "services/assessment/domain/model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "services/assessment/domain/model_file.pb.h"

namespace rusta::assessment {
namespace {

namespace modelfile = ::rusta::assessment::modelfile;

// ---------------------------------------------------------------------------------------------
// Known features and what their categories may be.
// ---------------------------------------------------------------------------------------------

enum class FeatureKind { kNumeric, kCategorical };

struct FeatureSpec {
  const char* name;
  FeatureKind kind;
  // Categorical only: whether a category value is one this feature can take, and a description of
  // the valid values for error messages.
  bool (*valid)(const std::string&);
  const char* values;
};

bool AllDigits(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool IsBool(const std::string& s) { return s == "true" || s == "false"; }
bool IsCountry(const std::string& s) {
  return s.size() == 2 && absl::ascii_isupper(s[0]) && absl::ascii_isupper(s[1]);
}
bool IsCounty(const std::string& s) { return AllDigits(s, 2); }
bool IsMunicipality(const std::string& s) { return AllDigits(s, 4); }
bool IsEducationLevel(const std::string& s) {
  return s == "PRE_UPPER_SECONDARY_SHORT" || s == "PRE_UPPER_SECONDARY" || s == "UPPER_SECONDARY" ||
         s == "POST_SECONDARY_SHORT" || s == "POST_SECONDARY_LONG" || s == "POSTGRADUATE" ||
         s == "UNKNOWN";
}
bool IsDigitOrNone(const std::string& s) { return AllDigits(s, 1) || s == "NONE"; }
bool IsSex(const std::string& s) { return s == "FEMALE" || s == "MALE"; }
bool IsFundMembership(const std::string& s) { return s == "MEMBER" || s == "NOT_MEMBER"; }
bool IsMonth(const std::string& s) {
  static const char* const kMonths[] = {"1", "2", "3", "4",  "5",  "6",
                                        "7", "8", "9", "10", "11", "12"};
  return std::any_of(std::begin(kMonths), std::end(kMonths), [&](const char* m) { return s == m; });
}

const std::vector<FeatureSpec>& Specs() {
  static const auto* const specs = new std::vector<FeatureSpec>{
      {"age", FeatureKind::kNumeric, nullptr, nullptr},
      {"days_registered_previous_period", FeatureKind::kNumeric, nullptr, nullptr},
      {"days_since_previous_period", FeatureKind::kNumeric, nullptr, nullptr},
      {"previous_period_count", FeatureKind::kNumeric, nullptr, nullptr},
      {"days_in_programmes_previous_periods", FeatureKind::kNumeric, nullptr, nullptr},
      {"previous_programme_count", FeatureKind::kNumeric, nullptr, nullptr},
      {"occupation_groups_sought_count", FeatureKind::kNumeric, nullptr, nullptr},
      {"days_registered_current_period", FeatureKind::kNumeric, nullptr, nullptr},
      {"area.unemployment_share", FeatureKind::kNumeric, nullptr, nullptr},
      {"area.median_annual_income_ksek", FeatureKind::kNumeric, nullptr, nullptr},
      {"area.post_secondary_education_share", FeatureKind::kNumeric, nullptr, nullptr},
      {"area.foreign_citizen_share", FeatureKind::kNumeric, nullptr, nullptr},
      {"area.single_household_share", FeatureKind::kNumeric, nullptr, nullptr},
      {"born_in_sweden", FeatureKind::kCategorical, IsBool, "\"true\" or \"false\""},
      {"country_of_birth", FeatureKind::kCategorical, IsCountry, "ISO 3166-1 alpha-2, e.g. \"SE\""},
      {"county_code", FeatureKind::kCategorical, IsCounty, "2 digits, e.g. \"01\""},
      {"municipality_code", FeatureKind::kCategorical, IsMunicipality, "4 digits, e.g. \"0180\""},
      {"education_level", FeatureKind::kCategorical, IsEducationLevel,
       "PRE_UPPER_SECONDARY_SHORT, PRE_UPPER_SECONDARY, UPPER_SECONDARY, POST_SECONDARY_SHORT, "
       "POST_SECONDARY_LONG, POSTGRADUATE or UNKNOWN"},
      {"education_orientation", FeatureKind::kCategorical, IsDigitOrNone,
       "one digit (SUN orientation) or \"NONE\""},
      {"first_occupation_major_group", FeatureKind::kCategorical, IsDigitOrNone,
       "one digit (SSYK major group) or \"NONE\""},
      {"sex", FeatureKind::kCategorical, IsSex, "FEMALE or MALE"},
      {"fund_membership", FeatureKind::kCategorical, IsFundMembership, "MEMBER or NOT_MEMBER"},
      {"registration_month", FeatureKind::kCategorical, IsMonth, "\"1\" to \"12\""},
      {"has_previous_period", FeatureKind::kCategorical, IsBool, "\"true\" or \"false\""},
      {"disability", FeatureKind::kCategorical, IsBool, "\"true\" or \"false\""},
  };
  return *specs;
}

const FeatureSpec* FindSpec(const std::string& name) {
  for (const FeatureSpec& spec : Specs()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers.
// ---------------------------------------------------------------------------------------------

// Strict YYYY-MM-DD, a real calendar day.
bool ParseDay(const std::string& s, absl::CivilDay* out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int year = std::stoi(s.substr(0, 4));
  const int month = std::stoi(s.substr(5, 2));
  const int day = std::stoi(s.substr(8, 2));
  const absl::CivilDay civil(year, month, day);  // normalises out-of-range fields
  if (civil.year() != year || civil.month() != month || civil.day() != day) return false;
  *out = civil;
  return true;
}

std::string FormatNumber(double v) { return absl::StrCat(v); }

// The text-format parser's errors, with 1-based line and column.
class CollectingErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(line + 1, ":", column + 1, ": ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

// Builds "<source>: <where>: <what>" INVALID_ARGUMENT errors.
class Refusal {
 public:
  explicit Refusal(std::string source) : source_(std::move(source)) {}
  absl::Status operator()(const std::string& where, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", where, ": ", what));
  }

 private:
  std::string source_;
};

bool ValidCuts(double close_to_a, double a_to_b, double b_to_c, double c_to_far) {
  // Written so that NaN fails.
  return 0 < close_to_a && close_to_a < a_to_b && a_to_b < b_to_c && b_to_c < c_to_far &&
         c_to_far < 1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Features.
// ---------------------------------------------------------------------------------------------

const std::vector<std::string>& KnownFeatures() {
  static const auto* const names = [] {
    auto* v = new std::vector<std::string>;
    for (const FeatureSpec& spec : Specs()) v->push_back(spec.name);
    return v;
  }();
  return *names;
}

bool IsExcludedInput(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  static const char* const kExact[] = {"swedish_language_skill", "language_skill", "health",
                                       "health_data",            "ethnicity",      "religion"};
  static const char* const kParts[] = {"language", "health", "ethnic", "religio", "sensitive"};
  for (const char* exact : kExact) {
    if (lower == exact) return true;
  }
  for (const char* part : kParts) {
    if (absl::StrContains(lower, part)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Model.
// ---------------------------------------------------------------------------------------------

struct Model::Impl {
  struct NumericTerm {
    std::string factor;
    double coefficient = 0;
    double center = 0;
    std::optional<double> clamp_min, clamp_max;
    std::string explanation;
  };
  struct Category {
    double coefficient = 0;
    std::string explanation;
  };
  struct CategoricalTerm {
    std::string factor;
    std::string reference;
    std::map<std::string, Category> categories;
    std::string explanation;
  };

  std::string version;
  absl::CivilDay effective_from;
  bool illustrative = false;
  std::string description;
  double intercept = 0;
  // In file order: Score sums contributions in this order (numeric terms, then categorical).
  std::vector<NumericTerm> numeric;
  std::vector<CategoricalTerm> categorical;
  std::vector<Thresholds> thresholds;  // effective date ascending
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

const std::string& Model::version() const { return impl_->version; }
absl::CivilDay Model::effective_from() const { return impl_->effective_from; }
bool Model::illustrative() const { return impl_->illustrative; }
const std::string& Model::description() const { return impl_->description; }
const std::vector<Thresholds>& Model::thresholds() const { return impl_->thresholds; }

std::vector<std::string> Model::factor_names() const {
  std::vector<std::string> names;
  for (const auto& term : impl_->numeric) names.push_back(term.factor);
  for (const auto& term : impl_->categorical) names.push_back(term.factor);
  return names;
}

absl::StatusOr<Model> Model::Parse(std::string_view text, std::string_view source_view) {
  const std::string source(source_view);
  const Refusal refuse(source);

  modelfile::ModelFile file;
  CollectingErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  if (!parser.ParseFromString(std::string(text), &file)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":",
        errors.errors().empty() ? std::string(" not a valid model file")
                                : absl::StrJoin(errors.errors(), "; ")));
  }

  auto impl = std::make_unique<Impl>();
  if (file.model_version().empty()) return refuse("model_version", "must not be empty");
  impl->version = file.model_version();
  if (!ParseDay(file.effective_from(), &impl->effective_from)) {
    return refuse("effective_from",
                  absl::StrCat("'", file.effective_from(), "' is not a date (YYYY-MM-DD)"));
  }
  impl->illustrative = file.illustrative();
  impl->description = file.description();
  if (!std::isfinite(file.intercept())) return refuse("intercept", "must be a finite number");
  impl->intercept = file.intercept();

  // factor -> the term that uses it, to refuse a factor used twice.
  std::map<std::string, std::string> used;
  auto check_factor = [&](const std::string& where, const std::string& factor,
                          FeatureKind kind) -> absl::Status {
    if (factor.empty()) return refuse(where, "must not be empty");
    if (IsExcludedInput(factor)) {
      return refuse(where, absl::StrCat("'", factor, "' is an excluded input"));
    }
    const FeatureSpec* spec = FindSpec(factor);
    if (spec == nullptr) return refuse(where, absl::StrCat("'", factor, "' is not a known feature"));
    if (spec->kind != kind) {
      return refuse(where, absl::StrCat("'", factor, "' is a ",
                                        spec->kind == FeatureKind::kNumeric ? "numeric" : "categorical",
                                        " feature"));
    }
    auto [it, inserted] = used.emplace(factor, where);
    if (!inserted) {
      return refuse(where, absl::StrCat("'", factor, "' is already used by ", it->second));
    }
    return absl::OkStatus();
  };

  for (int i = 0; i < file.numeric_terms_size(); ++i) {
    const modelfile::NumericTerm& in = file.numeric_terms(i);
    const std::string where = absl::StrCat("numeric_terms[", i, "]");
    if (auto s = check_factor(where + ".factor", in.factor(), FeatureKind::kNumeric); !s.ok()) {
      return s;
    }
    Impl::NumericTerm term;
    term.factor = in.factor();
    if (!std::isfinite(in.coefficient())) return refuse(where + ".coefficient", "must be finite");
    if (!std::isfinite(in.center())) return refuse(where + ".center", "must be finite");
    term.coefficient = in.coefficient();
    term.center = in.center();
    if (in.has_clamp_min()) {
      if (!std::isfinite(in.clamp_min())) return refuse(where + ".clamp_min", "must be finite");
      term.clamp_min = in.clamp_min();
    }
    if (in.has_clamp_max()) {
      if (!std::isfinite(in.clamp_max())) return refuse(where + ".clamp_max", "must be finite");
      term.clamp_max = in.clamp_max();
    }
    if (term.clamp_min && term.clamp_max && *term.clamp_min > *term.clamp_max) {
      return refuse(where, absl::StrCat("clamp_min ", FormatNumber(*term.clamp_min),
                                        " is greater than clamp_max ",
                                        FormatNumber(*term.clamp_max)));
    }
    if (in.explanation().empty()) {
      return refuse(where + ".explanation", "must not be empty (shown to the caseworker)");
    }
    term.explanation = in.explanation();
    impl->numeric.push_back(std::move(term));
  }

  for (int i = 0; i < file.categorical_terms_size(); ++i) {
    const modelfile::CategoricalTerm& in = file.categorical_terms(i);
    const std::string where = absl::StrCat("categorical_terms[", i, "]");
    if (auto s = check_factor(where + ".factor", in.factor(), FeatureKind::kCategorical); !s.ok()) {
      return s;
    }
    const FeatureSpec& spec = *FindSpec(in.factor());
    auto check_value = [&](const std::string& at, const std::string& value) -> absl::Status {
      if (value.empty()) return refuse(at, "must not be empty");
      if (!spec.valid(value)) {
        return refuse(at, absl::StrCat("'", value, "' is not a category of ", spec.name,
                                       " (expected ", spec.values, ")"));
      }
      return absl::OkStatus();
    };
    Impl::CategoricalTerm term;
    term.factor = in.factor();
    if (auto s = check_value(where + ".reference", in.reference()); !s.ok()) return s;
    term.reference = in.reference();
    for (int j = 0; j < in.categories_size(); ++j) {
      const modelfile::Category& category = in.categories(j);
      const std::string at = absl::StrCat(where, ".categories[", j, "]");
      if (auto s = check_value(at + ".value", category.value()); !s.ok()) return s;
      if (category.value() == term.reference) {
        return refuse(at + ".value", absl::StrCat("'", category.value(),
                                                  "' is the reference category (coefficient 0); "
                                                  "do not list it"));
      }
      if (!std::isfinite(category.coefficient())) {
        return refuse(at + ".coefficient", "must be finite");
      }
      auto [it, inserted] = term.categories.emplace(
          category.value(), Impl::Category{category.coefficient(), category.explanation()});
      if (!inserted) {
        return refuse(at + ".value", absl::StrCat("'", category.value(), "' is listed twice"));
      }
    }
    if (in.explanation().empty()) {
      return refuse(where + ".explanation", "must not be empty (shown to the caseworker)");
    }
    term.explanation = in.explanation();
    impl->categorical.push_back(std::move(term));
  }

  if (file.thresholds_size() == 0) {
    return refuse("thresholds", "at least one threshold set is required");
  }
  std::map<std::string, std::string> threshold_versions;  // version -> where
  std::map<absl::CivilDay, std::string> threshold_days;   // day -> where
  for (int i = 0; i < file.thresholds_size(); ++i) {
    const modelfile::ThresholdSet& in = file.thresholds(i);
    const std::string where = absl::StrCat("thresholds[", i, "]");
    Thresholds t;
    if (in.version().empty()) return refuse(where + ".version", "must not be empty");
    t.version = in.version();
    if (!ParseDay(in.effective_from(), &t.effective_from)) {
      return refuse(where + ".effective_from",
                    absl::StrCat("'", in.effective_from(), "' is not a date (YYYY-MM-DD)"));
    }
    if (!ValidCuts(in.close_to_a(), in.a_to_b(), in.b_to_c(), in.c_to_far())) {
      return refuse(where, absl::StrCat("cut points must be strictly increasing within (0, 1): "
                                        "close_to_a ", FormatNumber(in.close_to_a()),
                                        ", a_to_b ", FormatNumber(in.a_to_b()), ", b_to_c ",
                                        FormatNumber(in.b_to_c()), ", c_to_far ",
                                        FormatNumber(in.c_to_far())));
    }
    t.close_to_a = in.close_to_a();
    t.a_to_b = in.a_to_b();
    t.b_to_c = in.b_to_c();
    t.c_to_far = in.c_to_far();
    if (auto [it, inserted] = threshold_versions.emplace(t.version, where); !inserted) {
      return refuse(where + ".version",
                    absl::StrCat("'", t.version, "' is already used by ", it->second));
    }
    if (auto [it, inserted] = threshold_days.emplace(t.effective_from, where); !inserted) {
      return refuse(where + ".effective_from",
                    absl::StrCat(absl::FormatCivilTime(t.effective_from),
                                 " is already the effective date of ", it->second));
    }
    impl->thresholds.push_back(std::move(t));
  }
  std::sort(impl->thresholds.begin(), impl->thresholds.end(),
            [](const Thresholds& a, const Thresholds& b) {
              return a.effective_from < b.effective_from;
            });
  if (impl->thresholds.front().effective_from > impl->effective_from) {
    return refuse("thresholds",
                  absl::StrCat("the earliest threshold set '", impl->thresholds.front().version,
                               "' takes effect on ",
                               absl::FormatCivilTime(impl->thresholds.front().effective_from),
                               ", after the model (",
                               absl::FormatCivilTime(impl->effective_from), ")"));
  }
  return Model(std::move(impl));
}

absl::StatusOr<Thresholds> Model::ThresholdsAt(absl::CivilDay day) const {
  const Thresholds* found = nullptr;
  for (const Thresholds& t : impl_->thresholds) {
    if (t.effective_from <= day) found = &t;
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("model ", impl_->version,
                                            " has no thresholds in force on ",
                                            absl::FormatCivilTime(day)));
  }
  return *found;
}

absl::StatusOr<Thresholds> Model::ThresholdsByVersion(std::string_view version) const {
  for (const Thresholds& t : impl_->thresholds) {
    if (t.version == version) return t;
  }
  return absl::NotFoundError(absl::StrCat("model ", impl_->version, " has no threshold set '",
                                          std::string(version), "'"));
}

absl::StatusOr<Result> Model::Score(const Features& features, const Thresholds& thresholds,
                                    const EligibilityRule& rule) const {
  if (!ValidCuts(thresholds.close_to_a, thresholds.a_to_b, thresholds.b_to_c,
                 thresholds.c_to_far)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "thresholds ", thresholds.version, ": cut points must be strictly increasing within (0, 1)"));
  }
  if (rule.kind == EligibilityRule::Kind::kTimeRegistered && rule.min_days_registered < 0) {
    return absl::InvalidArgumentError("eligibility rule: min_days_registered must not be negative");
  }

  Result result;
  result.model_version = impl_->version;
  result.threshold_version = thresholds.version;
  result.rule = rule;
  result.intercept = impl_->intercept;
  result.contributions.reserve(impl_->numeric.size() + impl_->categorical.size());

  auto missing = [&](const std::string& factor) {
    return absl::FailedPreconditionError(
        absl::StrCat(factor, ": required by model ", impl_->version));
  };

  // Summed in the file's term order (numeric, then categorical), never in map or sorted order,
  // so that the same inputs give a bit-identical logit.
  double sum = 0;
  for (const Impl::NumericTerm& term : impl_->numeric) {
    auto it = features.find(term.factor);
    if (it == features.end()) return missing(term.factor);
    if (it->second.categorical) {
      return absl::InvalidArgumentError(absl::StrCat(term.factor, ": expected a number, got '",
                                                     it->second.category, "'"));
    }
    const double x = it->second.number;
    if (!std::isfinite(x)) {
      return absl::InvalidArgumentError(absl::StrCat(term.factor, ": not a finite number"));
    }
    double used = x;
    if (term.clamp_min && used < *term.clamp_min) used = *term.clamp_min;
    if (term.clamp_max && used > *term.clamp_max) used = *term.clamp_max;
    Contribution c;
    c.factor = term.factor;
    c.value = FormatNumber(x);
    if (used != x) absl::StrAppend(&c.value, " (räknas som ", FormatNumber(used), ")");
    c.contribution = term.coefficient * (used - term.center);
    c.explanation = term.explanation;
    sum += c.contribution;
    result.contributions.push_back(std::move(c));
  }
  for (const Impl::CategoricalTerm& term : impl_->categorical) {
    auto it = features.find(term.factor);
    if (it == features.end()) return missing(term.factor);
    if (!it->second.categorical) {
      return absl::InvalidArgumentError(absl::StrCat(term.factor, ": expected a category, got ",
                                                     FormatNumber(it->second.number)));
    }
    const std::string& category = it->second.category;
    Contribution c;
    c.factor = term.factor;
    c.value = category;
    c.explanation = term.explanation;
    auto found = term.categories.find(category);
    if (found != term.categories.end()) {
      c.contribution = found->second.coefficient;
      if (!found->second.explanation.empty()) c.explanation = found->second.explanation;
    } else if (category != term.reference) {
      // A category the model does not list counts as the reference (contribution 0); say so.
      absl::StrAppend(&c.value, " (ej i modellen, räknas som referensen ", term.reference, ")");
    }
    sum += c.contribution;
    result.contributions.push_back(std::move(c));
  }
  result.logit = impl_->intercept + sum;
  result.probability = 1.0 / (1.0 + std::exp(-result.logit));

  const double p = result.probability;
  if (p < thresholds.close_to_a) {
    result.outcome = Outcome::kClose;
  } else if (p < thresholds.a_to_b) {
    result.outcome = Outcome::kInBetween;
    result.level = Level::kA;
  } else if (p < thresholds.b_to_c) {
    result.outcome = Outcome::kInBetween;
    result.level = Level::kB;
  } else if (p < thresholds.c_to_far) {
    result.outcome = Outcome::kInBetween;
    result.level = Level::kC;
  } else {
    result.outcome = Outcome::kFar;
  }

  switch (rule.kind) {
    case EligibilityRule::Kind::kToolOutcome:
      result.eligible = result.outcome == Outcome::kInBetween;
      break;
    case EligibilityRule::Kind::kTimeRegistered: {
      static constexpr char kDays[] = "days_registered_current_period";
      auto it = features.find(kDays);
      if (it == features.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat(kDays, ": required by the time-registered rule"));
      }
      if (it->second.categorical || !std::isfinite(it->second.number)) {
        return absl::InvalidArgumentError(absl::StrCat(kDays, ": expected a finite number"));
      }
      result.eligible = it->second.number >= rule.min_days_registered;
      // Eligible by time although the tool said CLOSE or FAR: the person is referred all the same,
      // and the level drives the provider's compensation, so every referral needs one. The tool's
      // outcome is kept as it is; the level is the nearest: A for CLOSE, C for FAR.
      if (result.eligible && result.outcome == Outcome::kClose) result.level = Level::kA;
      if (result.eligible && result.outcome == Outcome::kFar) result.level = Level::kC;
      break;
    }
  }

  std::sort(result.contributions.begin(), result.contributions.end(),
            [](const Contribution& a, const Contribution& b) {
              const double x = std::fabs(a.contribution), y = std::fabs(b.contribution);
              if (x != y) return x > y;
              return a.factor < b.factor;
            });
  return result;
}

// ---------------------------------------------------------------------------------------------
// ModelRegistry.
// ---------------------------------------------------------------------------------------------

absl::StatusOr<ModelRegistry> ModelRegistry::LoadDirectory(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  fs::directory_iterator it(directory, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("model directory ", directory, ": ", ec.message()));
  }
  for (const fs::directory_entry& entry : it) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && entry.path().extension() == ".textproto") {
      files.push_back(entry.path());
    }
  }
  if (files.empty()) {
    return absl::NotFoundError(
        absl::StrCat("model directory ", directory, ": no model files (*.textproto)"));
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });

  ModelRegistry registry;
  for (const fs::path& path : files) {
    const std::string name = path.filename().string();
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
      return absl::FailedPreconditionError(absl::StrCat(path.string(), ": cannot be read"));
    }
    std::ostringstream text;
    text << in.rdbuf();  // an empty file reads as "": Parse then says what is missing
    if (in.bad()) {
      return absl::FailedPreconditionError(absl::StrCat(path.string(), ": cannot be read"));
    }
    absl::StatusOr<Model> model = Model::Parse(text.str(), name);
    if (!model.ok()) return model.status();
    if (absl::Status s = registry.Add(*std::move(model)); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(name, ": ", s.message()));
    }
  }
  return registry;
}

absl::Status ModelRegistry::Add(Model model) {
  for (const auto& existing : models_) {
    if (existing->version() == model.version()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model version '", model.version(), "' is already loaded"));
    }
    if (existing->effective_from() == model.effective_from()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model ", model.version(), ": effective date ",
          absl::FormatCivilTime(model.effective_from()), " is already that of model ",
          existing->version()));
    }
  }
  auto owned = std::make_unique<Model>(std::move(model));
  auto pos = std::upper_bound(models_.begin(), models_.end(), owned->effective_from(),
                              [](absl::CivilDay day, const std::unique_ptr<Model>& m) {
                                return day < m->effective_from();
                              });
  models_.insert(pos, std::move(owned));
  return absl::OkStatus();
}

absl::StatusOr<const Model*> ModelRegistry::InForceAt(absl::CivilDay day) const {
  const Model* found = nullptr;
  for (const auto& model : models_) {
    if (model->effective_from() <= day) found = model.get();
  }
  if (found == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no model in force on ", absl::FormatCivilTime(day)));
  }
  return found;
}

absl::StatusOr<const Model*> ModelRegistry::ByVersion(std::string_view version) const {
  for (const auto& model : models_) {
    if (model->version() == version) return model.get();
  }
  return absl::NotFoundError(absl::StrCat("no model version '", std::string(version), "'"));
}

std::vector<const Model*> ModelRegistry::All() const {
  std::vector<const Model*> all;
  for (auto it = models_.rbegin(); it != models_.rend(); ++it) all.push_back(it->get());
  return all;
}

}  // namespace rusta::assessment
