// Unit tests of the statistical assessment's model (services/assessment/domain/model.h): encoding,
// clamping, thresholds, contributions, versions by date, refusal of bad model files, the shipped
// models, eligibility rules and determinism.
#include "services/assessment/domain/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/assessment/domain/types.h"

namespace rusta::assessment {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kModelsDir = RUSTA_SOURCE_DIR "/services/assessment/models";

// A small model whose contributions the tests compute by hand.
constexpr char kSmallModel[] = R"pb(
model_version: "test.1"
effective_from: "2020-01-01"
illustrative: true
description: "test model"
intercept: -0.5
numeric_terms {
  factor: "age"
  coefficient: 0.03
  center: 40
  clamp_min: 18
  clamp_max: 64
  explanation: "Ålder"
}
numeric_terms {
  factor: "days_registered_previous_period"
  coefficient: 0.002
  center: 100
  explanation: "Lång tid som inskriven ökar avståndet till arbetsmarknaden"
}
categorical_terms {
  factor: "education_level"
  reference: "UPPER_SECONDARY"
  categories { value: "PRE_UPPER_SECONDARY" coefficient: 0.8 explanation: "Kort utbildning" }
  categories { value: "POST_SECONDARY_LONG" coefficient: -0.6 }
  explanation: "Utbildningsnivå"
}
categorical_terms {
  factor: "disability"
  reference: "false"
  categories { value: "true" coefficient: 1.1 }
  explanation: "Funktionsnedsättning"
}
thresholds {
  version: "ta"
  effective_from: "2020-01-01"
  close_to_a: 0.3
  a_to_b: 0.45
  b_to_c: 0.6
  c_to_far: 0.8
}
thresholds {
  version: "tb"
  effective_from: "2020-07-01"
  close_to_a: 0.25
  a_to_b: 0.4
  b_to_c: 0.55
  c_to_far: 0.75
}
)pb";

Model ParseOrDie(const std::string& text, const std::string& source = "test.textproto") {
  absl::StatusOr<Model> model = Model::Parse(text, source);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) std::abort();
  return *std::move(model);
}

// A model with only an intercept: its logit is exactly the intercept.
Model InterceptOnly(double intercept) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", intercept);
  return ParseOrDie(absl::StrCat(R"pb(model_version: "i" effective_from: "2020-01-01" intercept: )pb",
                                 buf,
                                 R"pb( thresholds { version: "t" effective_from: "2020-01-01"
                                       close_to_a: 0.2 a_to_b: 0.4 b_to_c: 0.6 c_to_far: 0.8 })pb"));
}

Features SmallFeatures(double age, double days, const std::string& education, bool disability) {
  return Features{
      {"age", FeatureValue::Number(age)},
      {"days_registered_previous_period", FeatureValue::Number(days)},
      {"education_level", FeatureValue::Category(education)},
      {"disability", FeatureValue::Category(disability ? "true" : "false")},
  };
}

Thresholds Cuts(double a, double b, double c, double d) {
  Thresholds t;
  t.version = "cuts";
  t.effective_from = absl::CivilDay(2020, 1, 1);
  t.close_to_a = a;
  t.a_to_b = b;
  t.b_to_c = c;
  t.c_to_far = d;
  return t;
}

const Thresholds kSmallCuts = Cuts(0.3, 0.45, 0.6, 0.8);
const EligibilityRule kToolRule{};

EligibilityRule TimeRule(int days) {
  EligibilityRule rule;
  rule.kind = EligibilityRule::Kind::kTimeRegistered;
  rule.min_days_registered = days;
  return rule;
}

std::map<std::string, Contribution> ByFactor(const Result& result) {
  std::map<std::string, Contribution> out;
  for (const Contribution& c : result.contributions) out[c.factor] = c;
  return out;
}

Result ScoreOrDie(const Model& model, const Features& features,
                  const Thresholds& thresholds = kSmallCuts,
                  const EligibilityRule& rule = kToolRule) {
  absl::StatusOr<Result> result = model.Score(features, thresholds, rule);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) std::abort();
  return *std::move(result);
}

// ---------------------------------------------------------------------------------------------
// Names and versions.
// ---------------------------------------------------------------------------------------------

TEST(AssessmentNamesTest, OutcomeAndLevelNames) {
  EXPECT_STREQ(OutcomeName(Outcome::kClose), "CLOSE");
  EXPECT_STREQ(OutcomeName(Outcome::kInBetween), "IN_BETWEEN");
  EXPECT_STREQ(OutcomeName(Outcome::kFar), "FAR");
  EXPECT_STREQ(LevelName(Level::kNone), "NONE");
  EXPECT_STREQ(LevelName(Level::kA), "A");
  EXPECT_STREQ(LevelName(Level::kB), "B");
  EXPECT_STREQ(LevelName(Level::kC), "C");
}

TEST(AssessmentEligibilityRuleTest, VersionStrings) {
  EXPECT_EQ(EligibilityRule{}.Version(), "tool-outcome/1");
  EXPECT_EQ(TimeRule(365).Version(), "time-registered/1:min-days=365");
  EXPECT_EQ(TimeRule(0).Version(), "time-registered/1:min-days=0");
}

TEST(AssessmentEligibilityRuleTest, FromVersionRoundTrip) {
  for (const EligibilityRule& rule : {EligibilityRule{}, TimeRule(0), TimeRule(1), TimeRule(90),
                                      TimeRule(365), TimeRule(123456789)}) {
    absl::StatusOr<EligibilityRule> parsed = EligibilityRule::FromVersion(rule.Version());
    ASSERT_TRUE(parsed.ok()) << rule.Version() << ": " << parsed.status();
    EXPECT_EQ(parsed->kind, rule.kind);
    EXPECT_EQ(parsed->Version(), rule.Version());
    if (rule.kind == EligibilityRule::Kind::kTimeRegistered) {
      EXPECT_EQ(parsed->min_days_registered, rule.min_days_registered);
    }
  }
  absl::StatusOr<EligibilityRule> parsed =
      EligibilityRule::FromVersion("time-registered/1:min-days=365");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, EligibilityRule::Kind::kTimeRegistered);
  EXPECT_EQ(parsed->min_days_registered, 365);
  parsed = EligibilityRule::FromVersion("tool-outcome/1");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, EligibilityRule::Kind::kToolOutcome);
}

TEST(AssessmentEligibilityRuleTest, FromVersionRefusesBadStrings) {
  for (const char* bad :
       {"", "tool-outcome", "tool-outcome/2", "TOOL-OUTCOME/1", " tool-outcome/1", "tool-outcome/1 ",
        "time-registered/1", "time-registered/1:min-days=", "time-registered/1:min-days=-1",
        "time-registered/1:min-days=+5", "time-registered/1:min-days=abc",
        "time-registered/1:min-days=36x", "time-registered/1:min-days=0365",
        "time-registered/1:min-days=9999999999", "time-registered/2:min-days=365",
        "time-registered/1:min_days=365"}) {
    absl::StatusOr<EligibilityRule> parsed = EligibilityRule::FromVersion(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST(AssessmentFeaturesTest, KnownFeaturesAreThePublishedOnesAndNoneIsExcluded) {
  const std::vector<std::string>& known = KnownFeatures();
  EXPECT_EQ(known.size(), 25u);
  for (const char* name :
       {"age", "days_registered_previous_period", "days_since_previous_period",
        "previous_period_count", "days_in_programmes_previous_periods", "previous_programme_count",
        "occupation_groups_sought_count", "days_registered_current_period",
        "area.unemployment_share", "area.median_annual_income_ksek",
        "area.post_secondary_education_share", "area.foreign_citizen_share",
        "area.single_household_share", "born_in_sweden", "country_of_birth", "county_code",
        "municipality_code", "education_level", "education_orientation",
        "first_occupation_major_group", "sex", "fund_membership", "registration_month",
        "has_previous_period", "disability"}) {
    EXPECT_NE(std::find(known.begin(), known.end(), name), known.end()) << name;
  }
  for (const std::string& name : known) EXPECT_FALSE(IsExcludedInput(name)) << name;
}

TEST(AssessmentFeaturesTest, ExcludedInputs) {
  for (const char* name : {"swedish_language_skill", "language_skill", "health", "health_data",
                           "ethnicity", "religion", "language", "mental_health", "ethnic_origin",
                           "religious_belief", "sensitive_data", "Swedish_Language_Skill",
                           "HEALTH"}) {
    EXPECT_TRUE(IsExcludedInput(name)) << name;
  }
  for (const char* name : {"age", "sex", "disability", "education_level", "shoe_size"}) {
    EXPECT_FALSE(IsExcludedInput(name)) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding and contributions.
// ---------------------------------------------------------------------------------------------

TEST(AssessmentModelTest, ParsesTheSmallModel) {
  Model model = ParseOrDie(kSmallModel);
  EXPECT_EQ(model.version(), "test.1");
  EXPECT_EQ(model.effective_from(), absl::CivilDay(2020, 1, 1));
  EXPECT_TRUE(model.illustrative());
  EXPECT_EQ(model.description(), "test model");
  EXPECT_THAT(model.factor_names(),
              ElementsAre("age", "days_registered_previous_period", "education_level", "disability"));
  ASSERT_EQ(model.thresholds().size(), 2u);
  EXPECT_EQ(model.thresholds()[0].version, "ta");
  EXPECT_EQ(model.thresholds()[1].version, "tb");
  EXPECT_EQ(model.thresholds()[1].effective_from, absl::CivilDay(2020, 7, 1));
  EXPECT_EQ(model.thresholds()[1].close_to_a, 0.25);
  EXPECT_EQ(model.thresholds()[1].c_to_far, 0.75);
}

TEST(AssessmentModelTest, EncodesNumericAndCategoricalTerms) {
  Model model = ParseOrDie(kSmallModel);
  Result r = ScoreOrDie(model, SmallFeatures(50, 300, "PRE_UPPER_SECONDARY", true));

  const double age = 0.03 * (50.0 - 40.0);
  const double days = 0.002 * (300.0 - 100.0);
  const double education = 0.8;
  const double disability = 1.1;
  auto c = ByFactor(r);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c["age"].contribution, age);
  EXPECT_EQ(c["age"].value, "50");
  EXPECT_EQ(c["age"].explanation, "Ålder");
  EXPECT_EQ(c["days_registered_previous_period"].contribution, days);
  EXPECT_EQ(c["days_registered_previous_period"].value, "300");
  EXPECT_EQ(c["education_level"].contribution, education);
  EXPECT_EQ(c["education_level"].value, "PRE_UPPER_SECONDARY");
  EXPECT_EQ(c["education_level"].explanation, "Kort utbildning");  // the category's own
  EXPECT_EQ(c["disability"].contribution, disability);
  EXPECT_EQ(c["disability"].value, "true");
  EXPECT_EQ(c["disability"].explanation, "Funktionsnedsättning");  // the term's

  // The logit is the intercept plus the contributions summed in the file's term order.
  double sum = 0;
  sum += age;
  sum += days;
  sum += education;
  sum += disability;
  EXPECT_EQ(r.intercept, -0.5);
  EXPECT_EQ(r.logit, -0.5 + sum);
  EXPECT_NEAR(r.logit, -0.5 + 0.3 + 0.4 + 0.8 + 1.1, 1e-12);
  EXPECT_EQ(r.probability, 1.0 / (1.0 + std::exp(-r.logit)));
  EXPECT_NEAR(r.probability, 0.8909031788043871, 1e-12);  // logistic(2.1)
  EXPECT_EQ(r.outcome, Outcome::kFar);
  EXPECT_EQ(r.level, Level::kNone);
  EXPECT_EQ(r.model_version, "test.1");
  EXPECT_EQ(r.threshold_version, "cuts");
  EXPECT_FALSE(r.eligible);

  // Negative contributions.
  r = ScoreOrDie(model, SmallFeatures(30, 50, "POST_SECONDARY_LONG", false));
  c = ByFactor(r);
  EXPECT_EQ(c["age"].contribution, 0.03 * (30.0 - 40.0));
  EXPECT_EQ(c["days_registered_previous_period"].contribution, 0.002 * (50.0 - 100.0));
  EXPECT_EQ(c["education_level"].contribution, -0.6);
  EXPECT_EQ(c["education_level"].explanation, "Utbildningsnivå");  // no own explanation
  EXPECT_EQ(c["disability"].contribution, 0.0);
  EXPECT_NEAR(r.logit, -0.5 - 0.3 - 0.1 - 0.6, 1e-12);
  EXPECT_EQ(r.outcome, Outcome::kClose);  // logistic(-1.5) = 0.18
}

TEST(AssessmentModelTest, ClampsNumericValues) {
  Model model = ParseOrDie(kSmallModel);
  auto c = ByFactor(ScoreOrDie(model, SmallFeatures(80, 100, "UPPER_SECONDARY", false)));
  EXPECT_EQ(c["age"].contribution, 0.03 * (64.0 - 40.0));
  EXPECT_THAT(c["age"].value, HasSubstr("80"));
  EXPECT_THAT(c["age"].value, HasSubstr("64"));

  c = ByFactor(ScoreOrDie(model, SmallFeatures(10, 100, "UPPER_SECONDARY", false)));
  EXPECT_EQ(c["age"].contribution, 0.03 * (18.0 - 40.0));
  EXPECT_THAT(c["age"].value, HasSubstr("18"));

  // At the clamp limits themselves nothing changes.
  c = ByFactor(ScoreOrDie(model, SmallFeatures(64, 100, "UPPER_SECONDARY", false)));
  EXPECT_EQ(c["age"].contribution, 0.03 * (64.0 - 40.0));
  EXPECT_EQ(c["age"].value, "64");
  c = ByFactor(ScoreOrDie(model, SmallFeatures(18, 100, "UPPER_SECONDARY", false)));
  EXPECT_EQ(c["age"].contribution, 0.03 * (18.0 - 40.0));

  // A term without clamps takes any value.
  c = ByFactor(ScoreOrDie(model, SmallFeatures(40, 5000, "UPPER_SECONDARY", false)));
  EXPECT_EQ(c["days_registered_previous_period"].contribution, 0.002 * (5000.0 - 100.0));
  EXPECT_EQ(c["days_registered_previous_period"].value, "5000");
  c = ByFactor(ScoreOrDie(model, SmallFeatures(40, -100, "UPPER_SECONDARY", false)));
  EXPECT_EQ(c["days_registered_previous_period"].contribution, 0.002 * (-100.0 - 100.0));
}

TEST(AssessmentModelTest, ReferenceAndUnlistedCategoriesContributeZero) {
  Model model = ParseOrDie(kSmallModel);
  auto c = ByFactor(ScoreOrDie(model, SmallFeatures(40, 100, "UPPER_SECONDARY", false)));
  EXPECT_EQ(c["education_level"].contribution, 0.0);
  EXPECT_EQ(c["education_level"].value, "UPPER_SECONDARY");
  EXPECT_EQ(c["education_level"].explanation, "Utbildningsnivå");

  // POSTGRADUATE is a valid level the model does not list: it counts as the reference, and the
  // contribution's value says so.
  Result r = ScoreOrDie(model, SmallFeatures(40, 100, "POSTGRADUATE", false));
  c = ByFactor(r);
  EXPECT_EQ(c["education_level"].contribution, 0.0);
  EXPECT_THAT(c["education_level"].value, HasSubstr("POSTGRADUATE"));
  EXPECT_THAT(c["education_level"].value, HasSubstr("UPPER_SECONDARY"));
  EXPECT_THAT(c["education_level"].value, HasSubstr("referens"));
  EXPECT_EQ(r.logit, ScoreOrDie(model, SmallFeatures(40, 100, "UPPER_SECONDARY", false)).logit);

  // Even a category the feature cannot take (the extraction would never produce it).
  c = ByFactor(ScoreOrDie(model, SmallFeatures(40, 100, "SOMETHING_ELSE", false)));
  EXPECT_EQ(c["education_level"].contribution, 0.0);
  EXPECT_THAT(c["education_level"].value, HasSubstr("SOMETHING_ELSE"));
}

TEST(AssessmentModelTest, ContributionsAreOrderedByAbsoluteValueThenName) {
  Model model = ParseOrDie(R"pb(
    model_version: "order" effective_from: "2020-01-01" intercept: 0.1
    numeric_terms { factor: "age" coefficient: -0.1 center: 40 explanation: "x" }
    numeric_terms { factor: "previous_period_count" coefficient: 0.25 center: 0 explanation: "x" }
    categorical_terms { factor: "sex" reference: "FEMALE"
                        categories { value: "MALE" coefficient: 0.5 } explanation: "x" }
    categorical_terms { factor: "disability" reference: "false"
                        categories { value: "true" coefficient: -0.5 } explanation: "x" }
    categorical_terms { factor: "born_in_sweden" reference: "true"
                        categories { value: "false" coefficient: 2 } explanation: "x" }
    categorical_terms { factor: "fund_membership" reference: "MEMBER"
                        categories { value: "NOT_MEMBER" coefficient: 1 } explanation: "x" }
    thresholds { version: "t" effective_from: "2020-01-01"
                 close_to_a: 0.2 a_to_b: 0.4 b_to_c: 0.6 c_to_far: 0.8 })pb");
  Features features{
      {"age", FeatureValue::Number(47)},                       // -0.7
      {"previous_period_count", FeatureValue::Number(2)},      // 0.5
      {"sex", FeatureValue::Category("MALE")},                 // 0.5
      {"disability", FeatureValue::Category("true")},          // -0.5
      {"born_in_sweden", FeatureValue::Category("true")},      // 0 (reference)
      {"fund_membership", FeatureValue::Category("MEMBER")},   // 0 (reference)
  };
  Result r = ScoreOrDie(model, features);
  std::vector<std::string> order;
  for (const Contribution& c : r.contributions) order.push_back(c.factor);
  EXPECT_THAT(order, ElementsAre("age", "disability", "previous_period_count", "sex",
                                 "born_in_sweden", "fund_membership"));
  for (size_t i = 1; i < r.contributions.size(); ++i) {
    EXPECT_GE(std::fabs(r.contributions[i - 1].contribution),
              std::fabs(r.contributions[i].contribution));
  }
  // Changing only the sign of the largest keeps it first.
  features["born_in_sweden"] = FeatureValue::Category("false");  // +2
  r = ScoreOrDie(model, features);
  EXPECT_EQ(r.contributions.front().factor, "born_in_sweden");
  EXPECT_EQ(r.contributions.front().contribution, 2.0);
}

TEST(AssessmentModelTest, ContributionsSumToTheLogitMinusTheIntercept) {
  Model model = ParseOrDie(kSmallModel);
  for (const Features& f : {SmallFeatures(50, 300, "PRE_UPPER_SECONDARY", true),
                            SmallFeatures(19, 0, "POST_SECONDARY_LONG", false),
                            SmallFeatures(70, 1234.5, "UNKNOWN", true)}) {
    Result r = ScoreOrDie(model, f);
    double sum = 0;
    for (const Contribution& c : r.contributions) sum += c.contribution;
    EXPECT_NEAR(sum, r.logit - r.intercept, 1e-12);
  }
}

// ---------------------------------------------------------------------------------------------
// Thresholds.
// ---------------------------------------------------------------------------------------------

struct Class {
  Outcome outcome;
  Level level;
};

Class Classify(const Model& model, const Thresholds& t) {
  Result r = ScoreOrDie(model, {}, t);
  return {r.outcome, r.level};
}

void ExpectClass(Class got, Outcome outcome, Level level, const std::string& what) {
  EXPECT_EQ(got.outcome, outcome) << what;
  EXPECT_EQ(got.level, level) << what;
}

TEST(AssessmentThresholdsTest, ProbabilityAtEachCutBelongsAboveIt) {
  // logit 0 gives p = 0.5 exactly; put each cut at 0.5 and just above it.
  Model model = InterceptOnly(0.0);
  ASSERT_EQ(ScoreOrDie(model, {}).probability, 0.5);
  const double above = std::nextafter(0.5, 1.0);
  ExpectClass(Classify(model, Cuts(0.5, 0.6, 0.7, 0.8)), Outcome::kInBetween, Level::kA, "p == close_to_a");
  ExpectClass(Classify(model, Cuts(above, 0.6, 0.7, 0.8)), Outcome::kClose, Level::kNone, "p just below close_to_a");
  ExpectClass(Classify(model, Cuts(0.4, 0.5, 0.7, 0.8)), Outcome::kInBetween, Level::kB, "p == a_to_b");
  ExpectClass(Classify(model, Cuts(0.4, above, 0.7, 0.8)), Outcome::kInBetween, Level::kA, "p just below a_to_b");
  ExpectClass(Classify(model, Cuts(0.3, 0.4, 0.5, 0.8)), Outcome::kInBetween, Level::kC, "p == b_to_c");
  ExpectClass(Classify(model, Cuts(0.3, 0.4, above, 0.8)), Outcome::kInBetween, Level::kB, "p just below b_to_c");
  ExpectClass(Classify(model, Cuts(0.2, 0.3, 0.4, 0.5)), Outcome::kFar, Level::kNone, "p == c_to_far");
  ExpectClass(Classify(model, Cuts(0.2, 0.3, 0.4, above)), Outcome::kInBetween, Level::kC, "p just below c_to_far");
}

TEST(AssessmentThresholdsTest, ShippedCutsAtAndAroundEachBoundary) {
  // For each cut of a real threshold set, choose a logit whose probability lands exactly on the
  // cut (then the cut itself is moved onto that probability, bit for bit) and just around it.
  const Thresholds base = Cuts(0.30, 0.45, 0.60, 0.80);
  const double cuts[] = {base.close_to_a, base.a_to_b, base.b_to_c, base.c_to_far};
  const Class below[] = {{Outcome::kClose, Level::kNone}, {Outcome::kInBetween, Level::kA},
                         {Outcome::kInBetween, Level::kB}, {Outcome::kInBetween, Level::kC}};
  const Class at[] = {{Outcome::kInBetween, Level::kA}, {Outcome::kInBetween, Level::kB},
                      {Outcome::kInBetween, Level::kC}, {Outcome::kFar, Level::kNone}};
  for (int k = 0; k < 4; ++k) {
    const double logit = std::log(cuts[k] / (1 - cuts[k]));
    Model model = InterceptOnly(logit);
    const double p = ScoreOrDie(model, {}).probability;
    EXPECT_NEAR(p, cuts[k], 1e-12);
    Thresholds t = base;
    double* cut[] = {&t.close_to_a, &t.a_to_b, &t.b_to_c, &t.c_to_far};
    *cut[k] = p;
    ExpectClass(Classify(model, t), at[k].outcome, at[k].level, absl::StrCat("at cut ", k));
    *cut[k] = std::nextafter(p, 1.0);
    ExpectClass(Classify(model, t), below[k].outcome, below[k].level, absl::StrCat("below cut ", k));
    // A logit a little lower or higher, with the shipped cut.
    ExpectClass(Classify(InterceptOnly(logit - 1e-6), base), below[k].outcome, below[k].level,
                absl::StrCat("logit below cut ", k));
    ExpectClass(Classify(InterceptOnly(logit + 1e-6), base), at[k].outcome, at[k].level,
                absl::StrCat("logit above cut ", k));
  }
}

TEST(AssessmentThresholdsTest, ScoreRefusesBadThresholdsAndRules) {
  Model model = InterceptOnly(0);
  EXPECT_EQ(model.Score({}, Cuts(0.5, 0.5, 0.6, 0.7), kToolRule).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model.Score({}, Cuts(0.0, 0.1, 0.2, 0.3), kToolRule).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model.Score({}, Thresholds{}, kToolRule).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model.Score({{"days_registered_current_period", FeatureValue::Number(10)}},
                        kSmallCuts, TimeRule(-1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AssessmentThresholdsTest, ThresholdSetByDateWithinAModel) {
  Model model = ParseOrDie(kSmallModel);
  EXPECT_EQ(model.ThresholdsAt(absl::CivilDay(2019, 12, 31)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(model.ThresholdsAt(absl::CivilDay(2020, 1, 1))->version, "ta");
  EXPECT_EQ(model.ThresholdsAt(absl::CivilDay(2020, 6, 30))->version, "ta");
  EXPECT_EQ(model.ThresholdsAt(absl::CivilDay(2020, 7, 1))->version, "tb");
  EXPECT_EQ(model.ThresholdsAt(absl::CivilDay(2030, 1, 1))->version, "tb");
  EXPECT_EQ(model.ThresholdsByVersion("ta")->effective_from, absl::CivilDay(2020, 1, 1));
  EXPECT_EQ(model.ThresholdsByVersion("tb")->close_to_a, 0.25);
  EXPECT_EQ(model.ThresholdsByVersion("tc").status().code(), absl::StatusCode::kNotFound);
}

TEST(AssessmentThresholdsTest, SetsAreSortedByDateWhateverTheFileOrder) {
  Model model = ParseOrDie(R"pb(
    model_version: "m" effective_from: "2020-01-01"
    thresholds { version: "late" effective_from: "2021-01-01"
                 close_to_a: 0.2 a_to_b: 0.4 b_to_c: 0.6 c_to_far: 0.8 }
    thresholds { version: "early" effective_from: "2020-01-01"
                 close_to_a: 0.1 a_to_b: 0.4 b_to_c: 0.6 c_to_far: 0.8 })pb");
  ASSERT_EQ(model.thresholds().size(), 2u);
  EXPECT_EQ(model.thresholds()[0].version, "early");
  EXPECT_EQ(model.thresholds()[1].version, "late");
  EXPECT_EQ(model.ThresholdsAt(absl::CivilDay(2020, 12, 31))->version, "early");
  EXPECT_EQ(model.ThresholdsAt(absl::CivilDay(2021, 1, 1))->version, "late");
}

// ---------------------------------------------------------------------------------------------
// Missing and malformed features.
// ---------------------------------------------------------------------------------------------

TEST(AssessmentModelTest, MissingFeatureIsAFailedPreconditionNamingIt) {
  Model model = ParseOrDie(kSmallModel);
  Features f = SmallFeatures(40, 100, "UPPER_SECONDARY", false);
  f.erase("education_level");
  absl::StatusOr<Result> r = model.Score(f, kSmallCuts, kToolRule);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("education_level"));

  f = SmallFeatures(40, 100, "UPPER_SECONDARY", false);
  f.erase("age");
  r = model.Score(f, kSmallCuts, kToolRule);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("age"));

  // Extra features are ignored.
  f = SmallFeatures(40, 100, "UPPER_SECONDARY", false);
  f["sex"] = FeatureValue::Category("MALE");
  EXPECT_TRUE(model.Score(f, kSmallCuts, kToolRule).ok());
}

TEST(AssessmentModelTest, FeatureOfTheWrongKindOrNotFiniteIsInvalid) {
  Model model = ParseOrDie(kSmallModel);
  Features f = SmallFeatures(40, 100, "UPPER_SECONDARY", false);
  f["age"] = FeatureValue::Category("40");
  EXPECT_EQ(model.Score(f, kSmallCuts, kToolRule).status().code(),
            absl::StatusCode::kInvalidArgument);
  f = SmallFeatures(40, 100, "UPPER_SECONDARY", false);
  f["disability"] = FeatureValue::Number(1);
  EXPECT_EQ(model.Score(f, kSmallCuts, kToolRule).status().code(),
            absl::StatusCode::kInvalidArgument);
  f = SmallFeatures(std::nan(""), 100, "UPPER_SECONDARY", false);
  EXPECT_EQ(model.Score(f, kSmallCuts, kToolRule).status().code(),
            absl::StatusCode::kInvalidArgument);
  f = SmallFeatures(40, INFINITY, "UPPER_SECONDARY", false);
  EXPECT_EQ(model.Score(f, kSmallCuts, kToolRule).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Eligibility.
// ---------------------------------------------------------------------------------------------

TEST(AssessmentEligibilityTest, ToolOutcomeRuleIsEligibleOnlyInBetween) {
  Model close = InterceptOnly(-3);  // p = 0.047
  Model middle = InterceptOnly(0);  // p = 0.5
  Model far = InterceptOnly(3);     // p = 0.95
  Result r = ScoreOrDie(close, {});
  EXPECT_EQ(r.outcome, Outcome::kClose);
  EXPECT_EQ(r.level, Level::kNone);
  EXPECT_FALSE(r.eligible);
  EXPECT_EQ(r.rule.Version(), "tool-outcome/1");
  r = ScoreOrDie(middle, {});
  EXPECT_EQ(r.outcome, Outcome::kInBetween);
  EXPECT_EQ(r.level, Level::kB);
  EXPECT_TRUE(r.eligible);
  r = ScoreOrDie(far, {});
  EXPECT_EQ(r.outcome, Outcome::kFar);
  EXPECT_EQ(r.level, Level::kNone);
  EXPECT_FALSE(r.eligible);
  // The tool rule does not need days registered.
  EXPECT_TRUE(middle.Score({}, kSmallCuts, kToolRule).ok());
}

TEST(AssessmentEligibilityTest, TimeRegisteredRuleAtItsBoundary) {
  const EligibilityRule rule = TimeRule(365);
  auto days = [](double d) {
    return Features{{"days_registered_current_period", FeatureValue::Number(d)}};
  };
  Model middle = InterceptOnly(0);
  Result r = ScoreOrDie(middle, days(364), kSmallCuts, rule);
  EXPECT_FALSE(r.eligible);
  EXPECT_EQ(r.outcome, Outcome::kInBetween);
  EXPECT_EQ(r.level, Level::kB);  // the tool's level is still shown
  EXPECT_EQ(r.rule.Version(), "time-registered/1:min-days=365");
  r = ScoreOrDie(middle, days(365), kSmallCuts, rule);
  EXPECT_TRUE(r.eligible);
  EXPECT_EQ(r.level, Level::kB);
  r = ScoreOrDie(middle, days(2000), kSmallCuts, rule);
  EXPECT_TRUE(r.eligible);

  // Eligible by time although the tool said CLOSE or FAR: the outcome stays, the level is A or C.
  r = ScoreOrDie(InterceptOnly(-3), days(365), kSmallCuts, rule);
  EXPECT_TRUE(r.eligible);
  EXPECT_EQ(r.outcome, Outcome::kClose);
  EXPECT_EQ(r.level, Level::kA);
  r = ScoreOrDie(InterceptOnly(3), days(400), kSmallCuts, rule);
  EXPECT_TRUE(r.eligible);
  EXPECT_EQ(r.outcome, Outcome::kFar);
  EXPECT_EQ(r.level, Level::kC);
  // Not eligible by time: no level for CLOSE or FAR.
  r = ScoreOrDie(InterceptOnly(-3), days(364), kSmallCuts, rule);
  EXPECT_FALSE(r.eligible);
  EXPECT_EQ(r.level, Level::kNone);
  r = ScoreOrDie(InterceptOnly(3), days(0), kSmallCuts, rule);
  EXPECT_FALSE(r.eligible);
  EXPECT_EQ(r.level, Level::kNone);
}

TEST(AssessmentEligibilityTest, TimeRegisteredRuleNeedsDaysRegistered) {
  absl::StatusOr<Result> r = InterceptOnly(0).Score({}, kSmallCuts, TimeRule(365));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "days_registered_current_period: required by the time-registered rule");
  r = InterceptOnly(0).Score({{"days_registered_current_period", FeatureValue::Category("400")}},
                             kSmallCuts, TimeRule(365));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Refusal of bad model files.
// ---------------------------------------------------------------------------------------------

// A valid model; each case below changes one thing.
constexpr char kBase[] = R"pb(model_version: "bad.1"
effective_from: "2020-06-01"
intercept: 0.1
numeric_terms { factor: "age" coefficient: 0.02 center: 40 clamp_min: 16 clamp_max: 66 explanation: "Ålder" }
categorical_terms { factor: "sex" reference: "FEMALE" categories { value: "MALE" coefficient: 0.1 } explanation: "Kön" }
thresholds { version: "t1" effective_from: "2020-06-01" close_to_a: 0.3 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8 }
)pb";

struct BadCase {
  std::string name;
  std::string text;
  std::string expected;  // substring of the message
};

std::string Replace(const std::string& from, const std::string& to) {
  std::string text = kBase;
  EXPECT_NE(text.find(from), std::string::npos) << from;
  return absl::StrReplaceAll(text, {{from, to}});
}
std::string Append(const std::string& more) { return std::string(kBase) + more; }
std::string Numeric(const std::string& factor) {
  return Append(absl::StrCat("numeric_terms { factor: \"", factor,
                             "\" coefficient: 1 explanation: \"x\" }\n"));
}
std::string Categorical(const std::string& factor) {
  return Append(absl::StrCat("categorical_terms { factor: \"", factor,
                             "\" reference: \"a\" explanation: \"x\" }\n"));
}
std::string Cuts4(const std::string& cuts) {
  return Replace("close_to_a: 0.3 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8", cuts);
}

TEST(AssessmentModelFileTest, TheBaseIsValid) {
  Model model = ParseOrDie(kBase, "bad.textproto");
  EXPECT_FALSE(model.illustrative());
  EXPECT_THAT(model.factor_names(), ElementsAre("age", "sex"));
}

TEST(AssessmentModelFileTest, ExcludedInputMessageNamesFileTermAndFactor) {
  absl::StatusOr<Model> model = Model::Parse(
      Append("numeric_terms { factor: \"swedish_language_skill\" coefficient: 1 explanation: \"x\" }"),
      "model-2020-1.textproto");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model.status().message(),
            "model-2020-1.textproto: numeric_terms[1].factor: 'swedish_language_skill' is an "
            "excluded input");
}

TEST(AssessmentModelFileTest, RefusesEveryKindOfBadFile) {
  const std::vector<BadCase> cases = {
      // Excluded inputs, as numeric or categorical terms, exact names and by part.
      {"swedish language skill", Numeric("swedish_language_skill"), "numeric_terms[1].factor: 'swedish_language_skill' is an excluded input"},
      {"language skill", Categorical("language_skill"), "categorical_terms[1].factor: 'language_skill' is an excluded input"},
      {"health", Categorical("health"), "'health' is an excluded input"},
      {"health data", Numeric("health_data"), "'health_data' is an excluded input"},
      {"ethnicity", Categorical("ethnicity"), "'ethnicity' is an excluded input"},
      {"religion", Categorical("religion"), "'religion' is an excluded input"},
      {"contains health", Numeric("mental_health_index"), "is an excluded input"},
      {"contains ethnic", Categorical("ethnic_background"), "is an excluded input"},
      {"contains religio", Categorical("religious_affiliation"), "is an excluded input"},
      {"contains sensitive", Numeric("sensitive_score"), "is an excluded input"},
      {"contains language", Categorical("mother_language"), "is an excluded input"},
      {"upper case", Numeric("Swedish_Language_Skill"), "is an excluded input"},
      {"replacing a term", Replace("factor: \"age\"", "factor: \"health\""), "numeric_terms[0].factor: 'health' is an excluded input"},
      // Unknown or misused features.
      {"unknown numeric", Numeric("shoe_size"), "numeric_terms[1].factor: 'shoe_size' is not a known feature"},
      {"unknown categorical", Categorical("star_sign"), "categorical_terms[1].factor: 'star_sign' is not a known feature"},
      {"empty factor", Numeric(""), "numeric_terms[1].factor: must not be empty"},
      {"categorical as numeric", Numeric("education_level"), "'education_level' is a categorical feature"},
      {"numeric as categorical", Categorical("age"), "'age' is a numeric feature"},
      // Duplicates.
      {"numeric factor twice", Numeric("age"), "numeric_terms[1].factor: 'age' is already used by numeric_terms[0]"},
      {"categorical factor twice",
       Append("categorical_terms { factor: \"sex\" reference: \"MALE\" explanation: \"x\" }"),
       "categorical_terms[1].factor: 'sex' is already used by categorical_terms[0]"},
      {"category twice",
       Replace("categories { value: \"MALE\" coefficient: 0.1 }",
               "categories { value: \"MALE\" coefficient: 0.1 } categories { value: \"MALE\" coefficient: 0.2 }"),
       "categorical_terms[0].categories[1].value: 'MALE' is listed twice"},
      {"reference listed", Replace("value: \"MALE\"", "value: \"FEMALE\""), "is the reference category"},
      {"bad category", Replace("value: \"MALE\"", "value: \"MAN\""), "'MAN' is not a category of sex"},
      {"bad reference", Replace("reference: \"FEMALE\"", "reference: \"female\""), "categorical_terms[0].reference: 'female' is not a category of sex"},
      {"empty reference", Replace("reference: \"FEMALE\"", "reference: \"\""), "categorical_terms[0].reference: must not be empty"},
      // Dates and versions.
      {"empty model version", Replace("model_version: \"bad.1\"", "model_version: \"\""), "model_version: must not be empty"},
      {"no model version", Replace("model_version: \"bad.1\"", ""), "model_version: must not be empty"},
      {"month 13", Replace("effective_from: \"2020-06-01\"\n", "effective_from: \"2020-13-01\"\n"), "effective_from: '2020-13-01' is not a date"},
      {"29 February 2021", Replace("effective_from: \"2020-06-01\"\n", "effective_from: \"2021-02-29\"\n"), "'2021-02-29' is not a date"},
      {"no dashes", Replace("effective_from: \"2020-06-01\"\n", "effective_from: \"20200601\"\n"), "is not a date"},
      {"no date", Replace("effective_from: \"2020-06-01\"\n", ""), "effective_from: '' is not a date"},
      {"threshold date", Replace("effective_from: \"2020-06-01\" close", "effective_from: \"2020-6-1\" close"), "thresholds[0].effective_from: '2020-6-1' is not a date"},
      // Threshold sets.
      {"no threshold set", Replace("thresholds { version: \"t1\" effective_from: \"2020-06-01\" close_to_a: 0.3 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8 }", ""), "thresholds: at least one threshold set is required"},
      {"equal cuts", Cuts4("close_to_a: 0.3 a_to_b: 0.3 b_to_c: 0.6 c_to_far: 0.8"), "thresholds[0]: cut points must be strictly increasing within (0, 1)"},
      {"decreasing cuts", Cuts4("close_to_a: 0.3 a_to_b: 0.45 b_to_c: 0.4 c_to_far: 0.8"), "strictly increasing"},
      {"last cut not below 1", Cuts4("close_to_a: 0.3 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 1"), "strictly increasing"},
      {"first cut not above 0", Cuts4("close_to_a: 0 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8"), "strictly increasing"},
      {"negative cut", Cuts4("close_to_a: -0.1 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8"), "strictly increasing"},
      {"cut missing", Cuts4("close_to_a: 0.3 a_to_b: 0.45 b_to_c: 0.6"), "strictly increasing"},
      {"nan cut", Cuts4("close_to_a: nan a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8"), "strictly increasing"},
      {"same threshold date",
       Append("thresholds { version: \"t2\" effective_from: \"2020-06-01\" close_to_a: 0.2 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8 }"),
       "thresholds[1].effective_from: 2020-06-01 is already the effective date of thresholds[0]"},
      {"same threshold version",
       Append("thresholds { version: \"t1\" effective_from: \"2021-06-01\" close_to_a: 0.2 a_to_b: 0.45 b_to_c: 0.6 c_to_far: 0.8 }"),
       "thresholds[1].version: 't1' is already used by thresholds[0]"},
      {"empty threshold version", Replace("version: \"t1\"", "version: \"\""), "thresholds[0].version: must not be empty"},
      {"thresholds start after the model", Replace("effective_from: \"2020-06-01\" close", "effective_from: \"2020-06-02\" close"), "after the model"},
      // Numeric terms.
      {"clamp_min above clamp_max", Replace("clamp_min: 16 clamp_max: 66", "clamp_min: 66 clamp_max: 16"), "numeric_terms[0]: clamp_min 66 is greater than clamp_max 16"},
      {"infinite coefficient", Replace("coefficient: 0.02", "coefficient: inf"), "numeric_terms[0].coefficient: must be finite"},
      {"nan center", Replace("center: 40", "center: nan"), "numeric_terms[0].center: must be finite"},
      {"infinite category coefficient", Replace("coefficient: 0.1", "coefficient: -inf"), "categorical_terms[0].categories[0].coefficient: must be finite"},
      {"infinite intercept", Replace("intercept: 0.1", "intercept: inf"), "intercept: must be a finite number"},
      {"no numeric explanation", Replace("explanation: \"Ålder\"", ""), "numeric_terms[0].explanation: must not be empty"},
      {"no categorical explanation", Replace("explanation: \"Kön\"", ""), "categorical_terms[0].explanation: must not be empty"},
      // Text format.
      {"unknown field", Append("weight: 3\n"), "bad.textproto:7:"},
      {"unknown field in a term", Replace("center: 40", "centre: 40"), "bad.textproto:4:"},
      {"syntax error", Append("numeric_terms {\n"), "bad.textproto:"},
      {"singular field twice", Append("intercept: 0.2\n"), "bad.textproto:7:"},
      {"string for a number", Replace("intercept: 0.1", "intercept: \"0.1\""), "bad.textproto:3:"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<Model> model = Model::Parse(c.text, "bad.textproto");
    EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(model.status().message()), HasSubstr(c.expected)) << c.name;
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("bad.textproto")) << c.name;
  }
}

// ---------------------------------------------------------------------------------------------
// The registry.
// ---------------------------------------------------------------------------------------------

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) /
              absl::StrCat("rusta_model_test_", name, "_", ::getpid())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string SimpleModel(const std::string& version, const std::string& day) {
  return absl::StrCat("model_version: \"", version, "\" effective_from: \"", day,
                      "\" thresholds { version: \"t\" effective_from: \"", day,
                      "\" close_to_a: 0.2 a_to_b: 0.4 b_to_c: 0.6 c_to_far: 0.8 }\n");
}

TEST(AssessmentRegistryTest, LoadsTheShippedModels) {
  absl::StatusOr<ModelRegistry> registry = ModelRegistry::LoadDirectory(kModelsDir);
  ASSERT_TRUE(registry.ok()) << registry.status();
  ASSERT_EQ(registry->size(), 2u);
  std::vector<const Model*> all = registry->All();
  EXPECT_EQ(all[0]->version(), "2021.2");
  EXPECT_EQ(all[0]->effective_from(), absl::CivilDay(2021, 11, 17));
  EXPECT_EQ(all[1]->version(), "2020.1");
  EXPECT_EQ(all[1]->effective_from(), absl::CivilDay(2020, 6, 1));
  for (const Model* model : all) {
    EXPECT_TRUE(model->illustrative()) << model->version();
    EXPECT_THAT(model->description(), HasSubstr("ILLUSTRATIVE")) << model->version();
    for (const std::string& factor : model->factor_names()) {
      EXPECT_FALSE(IsExcludedInput(factor));
      // Not a published input and optional in the request: only the time rule uses it.
      EXPECT_NE(factor, "days_registered_current_period") << model->version();
    }
    EXPECT_GE(model->factor_names().size(), 15u) << model->version();
  }
}

TEST(AssessmentRegistryTest, ShippedFilesSayPlainlyThatTheyAreIllustrative) {
  for (const char* name : {"model-2020-1.textproto", "model-2021-2.textproto"}) {
    std::ifstream in(kModelsDir + "/" + name);
    std::string first_line;
    std::getline(in, first_line);
    EXPECT_THAT(first_line, HasSubstr("ILLUSTRATIVE coefficients, not Arbetsförmedlingen's")) << name;
  }
}

TEST(AssessmentRegistryTest, ShippedThresholdSets) {
  absl::StatusOr<ModelRegistry> registry = ModelRegistry::LoadDirectory(kModelsDir);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const Model* m2020 = *registry->ByVersion("2020.1");
  const Model* m2021 = *registry->ByVersion("2021.2");
  ASSERT_EQ(m2020->thresholds().size(), 3u);
  EXPECT_EQ(m2020->thresholds()[0].version, "t2020-06");
  EXPECT_EQ(m2020->thresholds()[1].version, "t2020-12");
  EXPECT_EQ(m2020->thresholds()[2].version, "t2021-08");
  EXPECT_EQ(m2020->ThresholdsAt(absl::CivilDay(2020, 6, 1))->version, "t2020-06");
  EXPECT_EQ(m2020->ThresholdsAt(absl::CivilDay(2020, 12, 7))->version, "t2020-06");
  EXPECT_EQ(m2020->ThresholdsAt(absl::CivilDay(2020, 12, 8))->version, "t2020-12");
  EXPECT_EQ(m2020->ThresholdsAt(absl::CivilDay(2021, 7, 31))->version, "t2020-12");
  EXPECT_EQ(m2020->ThresholdsAt(absl::CivilDay(2021, 8, 1))->version, "t2021-08");
  EXPECT_EQ(m2020->ThresholdsAt(absl::CivilDay(2020, 5, 31)).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_EQ(m2021->thresholds().size(), 1u);
  EXPECT_EQ(m2021->thresholds()[0].version, "t2021-11");
  EXPECT_EQ(m2021->thresholds()[0].effective_from, absl::CivilDay(2021, 11, 17));
  // The sets differ: AF moved the thresholds.
  EXPECT_NE(m2020->thresholds()[0].close_to_a, m2020->thresholds()[1].close_to_a);
  EXPECT_EQ(registry->ByVersion("2019.9").status().code(), absl::StatusCode::kNotFound);
}

TEST(AssessmentRegistryTest, VersionInForceByDate) {
  absl::StatusOr<ModelRegistry> registry = ModelRegistry::LoadDirectory(kModelsDir);
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(registry->InForceAt(absl::CivilDay(2020, 5, 31)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ((*registry->InForceAt(absl::CivilDay(2020, 6, 1)))->version(), "2020.1");
  EXPECT_EQ((*registry->InForceAt(absl::CivilDay(2021, 3, 15)))->version(), "2020.1");
  EXPECT_EQ((*registry->InForceAt(absl::CivilDay(2021, 11, 16)))->version(), "2020.1");
  EXPECT_EQ((*registry->InForceAt(absl::CivilDay(2021, 11, 17)))->version(), "2021.2");
  EXPECT_EQ((*registry->InForceAt(absl::CivilDay(2030, 1, 1)))->version(), "2021.2");
}

TEST(AssessmentRegistryTest, AddKeepsDateOrderAndRefusesDuplicates) {
  ModelRegistry registry;
  ASSERT_TRUE(registry.Add(ParseOrDie(SimpleModel("b", "2021-01-01"))).ok());
  ASSERT_TRUE(registry.Add(ParseOrDie(SimpleModel("a", "2020-01-01"))).ok());
  ASSERT_TRUE(registry.Add(ParseOrDie(SimpleModel("c", "2022-01-01"))).ok());
  std::vector<std::string> versions;
  for (const Model* m : registry.All()) versions.push_back(m->version());
  EXPECT_THAT(versions, ElementsAre("c", "b", "a"));
  EXPECT_EQ((*registry.InForceAt(absl::CivilDay(2021, 6, 1)))->version(), "b");
  EXPECT_EQ(registry.Add(ParseOrDie(SimpleModel("b", "2023-01-01"))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Add(ParseOrDie(SimpleModel("d", "2021-01-01"))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.size(), 3u);
}

TEST(AssessmentRegistryTest, LoadDirectoryRefusals) {
  {
    TempDir dir("empty");
    dir.Write("README.md", "not a model");
    absl::StatusOr<ModelRegistry> r = ModelRegistry::LoadDirectory(dir.path());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  }
  EXPECT_FALSE(ModelRegistry::LoadDirectory("/nonexistent/rusta/models").ok());
  {
    TempDir dir("dupversion");
    dir.Write("a.textproto", SimpleModel("1", "2020-01-01"));
    dir.Write("b.textproto", SimpleModel("1", "2021-01-01"));
    absl::StatusOr<ModelRegistry> r = ModelRegistry::LoadDirectory(dir.path());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("b.textproto"));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("'1'"));
  }
  {
    TempDir dir("dupdate");
    dir.Write("a.textproto", SimpleModel("1", "2020-01-01"));
    dir.Write("b.textproto", SimpleModel("2", "2020-01-01"));
    absl::StatusOr<ModelRegistry> r = ModelRegistry::LoadDirectory(dir.path());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("b.textproto"));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("2020-01-01"));
  }
  {
    TempDir dir("badfile");
    dir.Write("a.textproto", SimpleModel("1", "2020-01-01"));
    dir.Write("b.textproto", Append("numeric_terms { factor: \"health\" coefficient: 1 explanation: \"x\" }"));
    absl::StatusOr<ModelRegistry> r = ModelRegistry::LoadDirectory(dir.path());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("b.textproto: numeric_terms[1].factor: 'health' is an excluded input"));
  }
  {
    TempDir dir("emptyfile");
    dir.Write("a.textproto", "");
    absl::StatusOr<ModelRegistry> r = ModelRegistry::LoadDirectory(dir.path());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("a.textproto: model_version"));
  }
  {
    TempDir dir("others");
    dir.Write("a.textproto", SimpleModel("1", "2020-01-01"));
    dir.Write("b.textproto.orig", "garbage");
    dir.Write("notes.txt", "garbage");
    absl::StatusOr<ModelRegistry> r = ModelRegistry::LoadDirectory(dir.path());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->size(), 1u);
  }
}

// ---------------------------------------------------------------------------------------------
// The shipped models on a population.
// ---------------------------------------------------------------------------------------------

// Typical registration data, pseudo-random but the same on every run.
std::vector<Features> Population(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto integer = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  auto pick = [&](const std::vector<std::string>& v, const std::vector<double>& w) {
    return v[std::discrete_distribution<size_t>(w.begin(), w.end())(rng)];
  };
  const std::vector<std::string> counties = {"01", "03", "04", "05", "06", "07", "08",
                                             "09", "10", "12", "13", "14", "17", "18",
                                             "19", "20", "21", "22", "23", "24", "25"};
  const std::vector<std::string> abroad = {"SY", "IQ", "SO", "AF", "ER", "PL", "FI", "IR", "TR", "DE"};
  std::vector<Features> population;
  for (int i = 0; i < n; ++i) {
    Features f;
    auto num = [&](const char* name, double v) { f[name] = FeatureValue::Number(v); };
    auto cat = [&](const char* name, std::string v) { f[name] = FeatureValue::Category(std::move(v)); };
    num("age", integer(18, 64));
    const bool previous = chance(0.55);
    num("days_registered_previous_period", previous ? integer(20, 900) : 0);
    num("days_since_previous_period", previous ? integer(30, 1500) : 0);
    num("previous_period_count", previous ? integer(1, 5) : 0);
    const bool programmes = previous && chance(0.5);
    num("days_in_programmes_previous_periods", programmes ? integer(10, 500) : 0);
    num("previous_programme_count", programmes ? integer(1, 4) : 0);
    const int groups = integer(0, 4);
    num("occupation_groups_sought_count", groups);
    num("days_registered_current_period", integer(0, 1200));
    num("area.unemployment_share", uniform(0.02, 0.16));
    num("area.median_annual_income_ksek", uniform(200, 400));
    num("area.post_secondary_education_share", uniform(0.2, 0.65));
    num("area.foreign_citizen_share", uniform(0.02, 0.3));
    num("area.single_household_share", uniform(0.25, 0.55));
    const bool born_in_sweden = chance(0.7);
    cat("born_in_sweden", born_in_sweden ? "true" : "false");
    cat("country_of_birth", born_in_sweden ? "SE" : abroad[integer(0, abroad.size() - 1)]);
    const std::string county = counties[integer(0, counties.size() - 1)];
    cat("county_code", county);
    cat("municipality_code", absl::StrCat(county, integer(10, 99)));
    cat("education_level",
        pick({"PRE_UPPER_SECONDARY_SHORT", "PRE_UPPER_SECONDARY", "UPPER_SECONDARY",
              "POST_SECONDARY_SHORT", "POST_SECONDARY_LONG", "POSTGRADUATE", "UNKNOWN"},
             {5, 15, 40, 13, 20, 2, 5}));
    cat("education_orientation", chance(0.1) ? "NONE" : absl::StrCat(integer(0, 9)));
    cat("first_occupation_major_group", groups == 0 ? "NONE" : absl::StrCat(integer(0, 9)));
    cat("sex", chance(0.5) ? "FEMALE" : "MALE");
    cat("fund_membership", chance(0.65) ? "MEMBER" : "NOT_MEMBER");
    cat("registration_month", absl::StrCat(integer(1, 12)));
    cat("has_previous_period", previous ? "true" : "false");
    cat("disability", chance(0.12) ? "true" : "false");
    population.push_back(std::move(f));
  }
  return population;
}

TEST(AssessmentShippedModelsTest, OutcomeDistributionIsPlausible) {
  absl::StatusOr<ModelRegistry> registry = ModelRegistry::LoadDirectory(kModelsDir);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::vector<Features> population = Population(2000, 20200601);
  for (const Model* model : registry->All()) {
    for (const Thresholds& t : model->thresholds()) {
      std::map<Outcome, int> outcomes;
      std::map<Level, int> levels;
      for (const Features& f : population) {
        absl::StatusOr<Result> r = model->Score(f, t, kToolRule);
        ASSERT_TRUE(r.ok()) << r.status();
        ++outcomes[r->outcome];
        ++levels[r->level];
      }
      const double n = static_cast<double>(population.size());
      const double close = outcomes[Outcome::kClose] / n;
      const double between = outcomes[Outcome::kInBetween] / n;
      const double far = outcomes[Outcome::kFar] / n;
      const std::string what = absl::StrCat(model->version(), "/", t.version);
      std::printf("[ distribution ] %s: CLOSE %.1f %%, IN_BETWEEN %.1f %% (A %.1f, B %.1f, C %.1f), FAR %.1f %%\n",
                  what.c_str(), 100 * close, 100 * between, 100 * levels[Level::kA] / n,
                  100 * levels[Level::kB] / n, 100 * levels[Level::kC] / n, 100 * far);
      EXPECT_GE(close, 0.10) << what;
      EXPECT_LE(close, 0.40) << what;
      EXPECT_GE(between, 0.45) << what;
      EXPECT_LE(between, 0.75) << what;
      EXPECT_GE(far, 0.05) << what;
      EXPECT_LE(far, 0.30) << what;
      // Every level occurs in earnest.
      for (Level level : {Level::kA, Level::kB, Level::kC}) {
        EXPECT_GE(levels[level] / n, 0.08) << what << " level " << LevelName(level);
      }
    }
  }
}

TEST(AssessmentShippedModelsTest, RiskFactorsPushTowardsFar) {
  absl::StatusOr<ModelRegistry> registry = ModelRegistry::LoadDirectory(kModelsDir);
  ASSERT_TRUE(registry.ok()) << registry.status();
  const Features base = Population(1, 7)[0];
  auto with = [&](const char* name, FeatureValue v) {
    Features f = base;
    f[name] = std::move(v);
    return f;
  };
  for (const Model* model : registry->All()) {
    const Thresholds t = model->thresholds().back();
    auto logit = [&](const Features& f) { return ScoreOrDie(*model, f, t).logit; };
    const std::string v = model->version();
    EXPECT_GT(logit(with("days_registered_previous_period", FeatureValue::Number(700))),
              logit(with("days_registered_previous_period", FeatureValue::Number(50)))) << v;
    EXPECT_GT(logit(with("fund_membership", FeatureValue::Category("NOT_MEMBER"))),
              logit(with("fund_membership", FeatureValue::Category("MEMBER")))) << v;
    EXPECT_GT(logit(with("education_level", FeatureValue::Category("PRE_UPPER_SECONDARY"))),
              logit(with("education_level", FeatureValue::Category("POST_SECONDARY_LONG")))) << v;
    EXPECT_GT(logit(with("disability", FeatureValue::Category("true"))),
              logit(with("disability", FeatureValue::Category("false")))) << v;
    EXPECT_GT(logit(with("area.unemployment_share", FeatureValue::Number(0.12))),
              logit(with("area.unemployment_share", FeatureValue::Number(0.04)))) << v;
  }
}

TEST(AssessmentShippedModelsTest, ContributionsSumToTheLogitOnSeveralPeople) {
  absl::StatusOr<ModelRegistry> registry = ModelRegistry::LoadDirectory(kModelsDir);
  ASSERT_TRUE(registry.ok()) << registry.status();
  for (const Model* model : registry->All()) {
    for (const Features& f : Population(25, 42)) {
      Result r = ScoreOrDie(*model, f, model->thresholds().front());
      ASSERT_EQ(r.contributions.size(), model->factor_names().size());
      // In the model's term order the sum is exact; in the displayed order it agrees to rounding.
      std::map<std::string, double> by_factor;
      for (const Contribution& c : r.contributions) by_factor[c.factor] = c.contribution;
      double in_term_order = 0;
      for (const std::string& factor : model->factor_names()) in_term_order += by_factor.at(factor);
      EXPECT_EQ(r.intercept + in_term_order, r.logit);
      double displayed = 0;
      for (const Contribution& c : r.contributions) displayed += c.contribution;
      EXPECT_NEAR(displayed, r.logit - r.intercept, 1e-12);
      EXPECT_EQ(r.probability, 1.0 / (1.0 + std::exp(-r.logit)));
      for (const Contribution& c : r.contributions) EXPECT_FALSE(c.explanation.empty()) << c.factor;
      for (size_t i = 1; i < r.contributions.size(); ++i) {
        EXPECT_GE(std::fabs(r.contributions[i - 1].contribution),
                  std::fabs(r.contributions[i].contribution));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Determinism.
// ---------------------------------------------------------------------------------------------

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(AssessmentDeterminismTest, SameInputsGiveBitIdenticalResults) {
  absl::StatusOr<ModelRegistry> first = ModelRegistry::LoadDirectory(kModelsDir);
  absl::StatusOr<ModelRegistry> second = ModelRegistry::LoadDirectory(kModelsDir);
  ASSERT_TRUE(first.ok() && second.ok());
  for (const Features& f : Population(50, 99)) {
    for (const std::string version : {"2020.1", "2021.2"}) {
      const Model* a = *first->ByVersion(version);
      const Model* b = *second->ByVersion(version);
      const Thresholds t = a->thresholds().back();
      Result x = ScoreOrDie(*a, f, t, TimeRule(365));
      Result y = ScoreOrDie(*a, f, t, TimeRule(365));
      Result z = ScoreOrDie(*b, Features(f.rbegin(), f.rend()), t, TimeRule(365));
      for (const Result* other : {&y, &z}) {
        EXPECT_TRUE(SameBits(x.logit, other->logit));
        EXPECT_TRUE(SameBits(x.probability, other->probability));
        EXPECT_EQ(x.outcome, other->outcome);
        EXPECT_EQ(x.level, other->level);
        EXPECT_EQ(x.eligible, other->eligible);
        ASSERT_EQ(x.contributions.size(), other->contributions.size());
        for (size_t i = 0; i < x.contributions.size(); ++i) {
          EXPECT_EQ(x.contributions[i].factor, other->contributions[i].factor);
          EXPECT_EQ(x.contributions[i].value, other->contributions[i].value);
          EXPECT_TRUE(SameBits(x.contributions[i].contribution, other->contributions[i].contribution));
        }
      }
    }
  }
}

}  // namespace
}  // namespace rusta::assessment
