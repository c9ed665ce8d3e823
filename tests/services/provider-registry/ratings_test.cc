// Unit tests of the ratings (services/provider-registry/domain/ratings.h): level adjustment,
// thresholds, window and activity boundaries, star assignment, and an independent brute-force
// computation over a random population.
#include "services/provider-registry/domain/ratings.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rusta::registry {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Optional;

absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }

const absl::CivilDay kAsOf = D(2025, 6, 15);
const absl::CivilDay kLongAgo = D(2020, 1, 1);

// Builds outcome records: `n` participants of `level` at `org` started on `start`, the first
// `verified` of them with a result verified on `verified_on` (default: the start day).
class Population {
 public:
  Population& Add(const std::string& org, Level level, int n, int verified,
                  absl::CivilDay start = D(2025, 1, 10),
                  std::optional<absl::CivilDay> verified_on = std::nullopt) {
    for (int i = 0; i < n; ++i) {
      OutcomeRecord r;
      r.case_id = org + "/" + std::to_string(records_.size());
      r.organisation_number = org;
      r.level = level;
      r.started_on = start;
      if (i < verified) r.result_verified_on = verified_on.value_or(start);
      records_.push_back(r);
    }
    return *this;
  }
  const std::vector<OutcomeRecord>& records() const { return records_; }

 private:
  std::vector<OutcomeRecord> records_;
};

const ProviderRatingResult& Find(const RatingComputation& c, const std::string& org) {
  for (const auto& p : c.providers) {
    if (p.organisation_number == org) return p;
  }
  ADD_FAILURE() << "provider " << org << " not in the computation";
  static const ProviderRatingResult kNone;
  return kNone;
}

bool Listed(const RatingComputation& c, const std::string& org) {
  for (const auto& p : c.providers) {
    if (p.organisation_number == org) return true;
  }
  return false;
}

std::map<std::string, absl::CivilDay> ApprovedLongAgo(const std::vector<std::string>& orgs) {
  std::map<std::string, absl::CivilDay> out;
  for (const auto& org : orgs) out[org] = kLongAgo;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Level adjustment

TEST(RatingsTest, SameRawRateDifferentLevelMixGivesDifferentRatiosInTheRightDirection) {
  // X: 20 level A, 10 results. Y: 20 level C, 10 results. Both a raw 50 %.
  // Z (background): 100 A with 60 results, 100 C with 20 results.
  // Nationwide A = 70/120, C = 30/120 = 0.25, B = 0 (none).
  // X: expected 20 * 70/120 = 11.667, ratio 10 / 11.667 = 0.857 (below what A achieves)
  // Y: expected 20 * 0.25 = 5, ratio 2 (twice what C achieves)
  Population pop;
  pop.Add("X", Level::kA, 20, 10).Add("Y", Level::kC, 20, 10);
  pop.Add("Z", Level::kA, 100, 60).Add("Z", Level::kC, 100, 20);
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"X", "Y", "Z"}), kAsOf, {});

  EXPECT_EQ(c.sample_size, 240);
  EXPECT_THAT(c.nationwide_rate.at(Level::kA), DoubleNear(70.0 / 120, 1e-12));
  EXPECT_THAT(c.nationwide_rate.at(Level::kB), DoubleNear(0, 1e-12));
  EXPECT_THAT(c.nationwide_rate.at(Level::kC), DoubleNear(0.25, 1e-12));

  const auto& x = Find(c, "X");
  const auto& y = Find(c, "Y");
  EXPECT_EQ(x.verified_results, 10);
  EXPECT_EQ(y.verified_results, 10);
  EXPECT_THAT(x.expected_results, DoubleNear(20 * 70.0 / 120, 1e-9));
  EXPECT_THAT(y.expected_results, DoubleNear(5.0, 1e-9));
  EXPECT_THAT(x.ratio, DoubleNear(10 / (20 * 70.0 / 120), 1e-9));
  EXPECT_THAT(y.ratio, DoubleNear(2.0, 1e-9));
  EXPECT_GT(y.ratio, x.ratio);
  // Z: expected 100 * 70/120 + 100 * 0.25 = 83.333, ratio 80 / 83.333 = 0.96.
  const auto& z = Find(c, "Z");
  EXPECT_THAT(z.ratio, DoubleNear(80 / (100 * 70.0 / 120 + 25), 1e-9));
  // Three rated: X lowest (k=1: ceil(4/3) = 2), Z (k=2: ceil(8/3) = 3), Y top (4).
  EXPECT_THAT(x.stars, Optional(2));
  EXPECT_THAT(z.stars, Optional(3));
  EXPECT_THAT(y.stars, Optional(4));
  EXPECT_EQ(x.started_by_level.at(Level::kA), 20);
  EXPECT_EQ(x.started_by_level.at(Level::kC), 0);
  EXPECT_EQ(y.started_by_level.at(Level::kC), 20);
}

TEST(RatingsTest, ManyLevelCParticipantsAtTheLevelCAverageGetRatioOne) {
  // Nationwide C: (12 + 18) / (40 + 60) = 0.3; A: 38 / 50 = 0.76 (sections 11's ordering A > C).
  // P: 40 level C, 12 results: a raw 30 %, far below the 47 % all-level average, but exactly what
  // level C achieves, so ratio 1.
  Population pop;
  pop.Add("P", Level::kC, 40, 12);
  pop.Add("Q", Level::kC, 60, 18).Add("Q", Level::kA, 50, 38);
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P", "Q"}), kAsOf, {});
  EXPECT_THAT(c.nationwide_rate.at(Level::kC), DoubleNear(0.3, 1e-12));
  const auto& p = Find(c, "P");
  EXPECT_THAT(p.expected_results, DoubleNear(12.0, 1e-9));
  EXPECT_THAT(p.ratio, DoubleNear(1.0, 1e-9));
  EXPECT_EQ(p.sample_size, 40);
}

TEST(RatingsTest, EqualRatiosFromDifferentLevelMixesTie) {
  // Nationwide A = 30/100 = 0.3, C = 10/100 = 0.1.
  // P1: 20 A, 9 results: expected 6, ratio 1.5. P2: 60 C, 9 results: expected 6, ratio 1.5.
  // Z: 80 A (21 results) + 40 C (1 result): expected 24 + 4 = 28, ratio 22/28.
  Population pop;
  pop.Add("P1", Level::kA, 20, 9).Add("P2", Level::kC, 60, 9);
  pop.Add("Z", Level::kA, 80, 21).Add("Z", Level::kC, 40, 1);
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P1", "P2", "Z"}), kAsOf, {});
  EXPECT_THAT(Find(c, "P1").ratio, DoubleNear(1.5, 1e-9));
  EXPECT_THAT(Find(c, "P2").ratio, DoubleNear(1.5, 1e-9));
  EXPECT_THAT(Find(c, "Z").ratio, DoubleNear(22.0 / 28, 1e-9));
  // n = 3: Z k=1 → ceil(4/3) = 2; P1 and P2 both k=3 → 4.
  EXPECT_THAT(Find(c, "P1").stars, Optional(4));
  EXPECT_THAT(Find(c, "P2").stars, Optional(4));
  EXPECT_THAT(Find(c, "Z").stars, Optional(2));
}

TEST(RatingsTest, NationwideRateIsZeroForALevelWithoutParticipants) {
  Population pop;
  pop.Add("P", Level::kB, 20, 0).Add("Q", Level::kB, 20, 0);
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P", "Q"}), kAsOf, {});
  EXPECT_EQ(c.nationwide_rate.at(Level::kA), 0);
  EXPECT_EQ(c.nationwide_rate.at(Level::kB), 0);
  EXPECT_EQ(c.nationwide_rate.at(Level::kC), 0);
  // Nobody has results: expected 0, ratio 0, all tied → everyone shares the top rank.
  EXPECT_EQ(Find(c, "P").expected_results, 0);
  EXPECT_EQ(Find(c, "P").ratio, 0);
  EXPECT_THAT(Find(c, "P").stars, Optional(4));
  EXPECT_THAT(Find(c, "Q").stars, Optional(4));
}

// ---------------------------------------------------------------------------------------------
// Thresholds

TEST(RatingsTest, SeventeenParticipantsAreTooFewEighteenAreEnough) {
  Population pop;
  pop.Add("P17", Level::kA, 17, 8).Add("P18", Level::kA, 18, 8).Add("R", Level::kA, 30, 10);
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P17", "P18", "R"}), kAsOf, {});
  const auto& p17 = Find(c, "P17");
  EXPECT_EQ(p17.sample_size, 17);
  EXPECT_EQ(p17.stars, std::nullopt);
  EXPECT_EQ(p17.unrated_reason, "too few participants (17 < 18)");
  // Unrated providers still show their figures.
  EXPECT_GT(p17.ratio, 0);
  const auto& p18 = Find(c, "P18");
  EXPECT_EQ(p18.sample_size, 18);
  EXPECT_TRUE(p18.stars.has_value());
  EXPECT_EQ(p18.unrated_reason, "");
}

TEST(RatingsTest, ThresholdsAreConfigurable) {
  Population pop;
  pop.Add("P", Level::kA, 12, 6).Add("R", Level::kA, 12, 3);
  RatingParams params;
  params.min_participants = 12;
  params.min_activity_months = 6;
  std::map<std::string, absl::CivilDay> approved = {{"P", D(2024, 12, 15)}, {"R", D(2024, 12, 16)}};
  auto c = ComputeRatings(pop.records(), approved, kAsOf, params);
  EXPECT_EQ(Find(c, "R").unrated_reason, "active less than 6 months");
  // Only P qualifies: nobody to compare with.
  EXPECT_EQ(Find(c, "P").stars, std::nullopt);
  EXPECT_EQ(Find(c, "P").unrated_reason, "no other rated provider to compare with");

  params.min_participants = 13;
  c = ComputeRatings(pop.records(), approved, kAsOf, params);
  EXPECT_EQ(Find(c, "P").unrated_reason, "too few participants (12 < 13)");
}

TEST(RatingsTest, ActivityBoundaryIsTwelveMonthsToTheDay) {
  Population pop;
  pop.Add("OLD", Level::kA, 20, 5).Add("M12", Level::kA, 20, 8).Add("M11", Level::kA, 20, 10);
  pop.Add("NONE", Level::kA, 20, 10).Add("LATER", Level::kA, 20, 10);
  const std::map<std::string, absl::CivilDay> approved = {
      {"OLD", kLongAgo},
      {"M12", D(2024, 6, 15)},    // exactly 12 months before as_of: active long enough
      {"M11", D(2024, 6, 16)},    // one day short
      {"LATER", D(2025, 7, 1)}};  // approved after as_of ("NONE" never approved)
  const auto c = ComputeRatings(pop.records(), approved, kAsOf, {});
  EXPECT_TRUE(Find(c, "M12").stars.has_value());
  EXPECT_TRUE(Find(c, "OLD").stars.has_value());
  for (const char* org : {"M11", "NONE", "LATER"}) {
    EXPECT_EQ(Find(c, org).stars, std::nullopt) << org;
    EXPECT_EQ(Find(c, org).unrated_reason, "active less than 12 months") << org;
  }
}

TEST(RatingsTest, ActivityMonthArithmeticClampsToTheEndOfTheMonth) {
  // as_of 2024-02-29 (leap day): 12 months earlier is 2023-02-28 (there is no 2023-02-29).
  Population pop;
  pop.Add("A", Level::kA, 20, 5, D(2024, 1, 10)).Add("B", Level::kA, 20, 8, D(2024, 1, 10));
  std::map<std::string, absl::CivilDay> approved = {{"A", kLongAgo}, {"B", D(2023, 2, 28)}};
  auto c = ComputeRatings(pop.records(), approved, D(2024, 2, 29), {});
  EXPECT_TRUE(Find(c, "B").stars.has_value());
  approved["B"] = D(2023, 3, 1);
  c = ComputeRatings(pop.records(), approved, D(2024, 2, 29), {});
  EXPECT_EQ(Find(c, "B").unrated_reason, "active less than 12 months");
}

// ---------------------------------------------------------------------------------------------
// Window

TEST(RatingsTest, WindowExcludesTheDayExactlyTwelveMonthsBackAndIncludesAsOf) {
  Population pop;
  pop.Add("P", Level::kA, 1, 1, D(2024, 6, 15));  // as_of - 12 months: outside
  pop.Add("P", Level::kA, 2, 1, D(2024, 6, 16));  // one day later: inside
  pop.Add("P", Level::kB, 3, 1, D(2025, 6, 15));  // as_of: inside
  pop.Add("P", Level::kC, 4, 4, D(2025, 6, 16));  // after as_of: outside
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P"}), kAsOf, {});
  EXPECT_EQ(c.sample_size, 5);
  const auto& p = Find(c, "P");
  EXPECT_EQ(p.sample_size, 5);
  EXPECT_EQ(p.started_by_level.at(Level::kA), 2);
  EXPECT_EQ(p.started_by_level.at(Level::kB), 3);
  EXPECT_EQ(p.started_by_level.at(Level::kC), 0);
  EXPECT_EQ(p.verified_results, 2);
  EXPECT_THAT(c.nationwide_rate.at(Level::kA), DoubleNear(0.5, 1e-12));
  EXPECT_THAT(c.nationwide_rate.at(Level::kB), DoubleNear(1.0 / 3, 1e-12));
  EXPECT_EQ(c.nationwide_rate.at(Level::kC), 0);
  EXPECT_EQ(p.unrated_reason, "too few participants (5 < 18)");
}

TEST(RatingsTest, WindowStartClampsToTheEndOfAShortMonth) {
  // as_of 2025-03-31 with a 1-month window: the window starts after 2025-02-28.
  Population pop;
  pop.Add("P", Level::kA, 1, 0, D(2025, 2, 28)).Add("P", Level::kA, 2, 0, D(2025, 3, 1));
  RatingParams params;
  params.window_months = 1;
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P"}), D(2025, 3, 31), params);
  EXPECT_EQ(Find(c, "P").sample_size, 2);
}

TEST(RatingsTest, ResultsVerifiedAfterAsOfDoNotCount) {
  Population pop;
  pop.Add("P", Level::kA, 10, 10, D(2025, 1, 10), kAsOf);             // verified on as_of: counts
  pop.Add("P", Level::kA, 10, 10, D(2025, 1, 10), D(2025, 6, 16));    // the day after: not
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P"}), kAsOf, {});
  EXPECT_EQ(Find(c, "P").verified_results, 10);
  EXPECT_EQ(Find(c, "P").sample_size, 20);
  EXPECT_THAT(c.nationwide_rate.at(Level::kA), DoubleNear(0.5, 1e-12));
  const auto later = ComputeRatings(pop.records(), ApprovedLongAgo({"P"}), D(2025, 6, 16), {});
  EXPECT_EQ(Find(later, "P").verified_results, 20);
}

TEST(RatingsTest, ListsEveryProviderWithParticipantsOrApprovalSortedWithReasons) {
  Population pop;
  pop.Add("556000-0003", Level::kA, 20, 10).Add("556000-0001", Level::kA, 20, 5);
  pop.Add("556000-0005", Level::kA, 3, 1, D(2023, 1, 10));  // only outside the window
  pop.Add("556000-0009", Level::kA, 3, 1, D(2025, 7, 10));  // only after as_of
  std::map<std::string, absl::CivilDay> approved = ApprovedLongAgo(
      {"556000-0001", "556000-0003", "556000-0002", "556000-0005"});
  approved["556000-0004"] = D(2025, 8, 1);  // approved after as_of
  const auto c = ComputeRatings(pop.records(), approved, kAsOf, {});
  std::vector<std::string> orgs;
  for (const auto& p : c.providers) orgs.push_back(p.organisation_number);
  EXPECT_THAT(orgs, ElementsAre("556000-0001", "556000-0002", "556000-0003", "556000-0005"));
  EXPECT_EQ(Find(c, "556000-0002").unrated_reason, "no participants");
  EXPECT_EQ(Find(c, "556000-0005").unrated_reason, "no participants");
  EXPECT_EQ(Find(c, "556000-0002").sample_size, 0);
  EXPECT_THAT(Find(c, "556000-0001").stars, Optional(2));  // n=2: lower k=1 → ceil(2) = 2
  EXPECT_THAT(Find(c, "556000-0003").stars, Optional(4));
  EXPECT_FALSE(Listed(c, "556000-0004"));
  EXPECT_FALSE(Listed(c, "556000-0009"));
  EXPECT_EQ(c.as_of, kAsOf);
}

TEST(RatingsTest, ASingleQualifyingProviderIsNotRated) {
  Population pop;
  pop.Add("P", Level::kA, 30, 10).Add("Q", Level::kA, 10, 5);
  const auto c = ComputeRatings(pop.records(), ApprovedLongAgo({"P", "Q"}), kAsOf, {});
  EXPECT_EQ(Find(c, "P").stars, std::nullopt);
  EXPECT_EQ(Find(c, "P").unrated_reason, "no other rated provider to compare with");
  EXPECT_EQ(Find(c, "P").sample_size, 30);
}

TEST(RatingsTest, EmptyInput) {
  const auto c = ComputeRatings({}, {}, kAsOf, {});
  EXPECT_EQ(c.sample_size, 0);
  EXPECT_TRUE(c.providers.empty());
  EXPECT_EQ(c.nationwide_rate.size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Stars

// One provider per entry of `results`, all level A, 20 participants each, that many results.
RatingComputation EightProviders(const std::vector<int>& results) {
  Population pop;
  std::vector<std::string> orgs;
  for (std::size_t i = 0; i < results.size(); ++i) {
    // Scramble the org numbers so ratio order is not org order.
    const std::string org = "P" + std::to_string((i * 3) % results.size());
    orgs.push_back(org);
    pop.Add(org, Level::kA, 20, results[i]);
  }
  return ComputeRatings(pop.records(), ApprovedLongAgo(orgs), kAsOf, {});
}

std::vector<int> StarsInInputOrder(const RatingComputation& c, std::size_t n) {
  std::vector<int> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = Find(c, "P" + std::to_string((i * 3) % n));
    out.push_back(p.stars.value_or(0));
  }
  return out;
}

TEST(RatingsTest, EightDistinctRatiosGiveTwoProvidersPerStar) {
  const std::vector<int> results = {8, 2, 16, 6, 4, 12, 14, 10};
  const auto c = EightProviders(results);
  // Nationwide A = 72 / 160 = 0.45, expected 9 each, ratio = results / 9.
  EXPECT_THAT(Find(c, "P0").ratio, DoubleNear(8 / 9.0, 1e-9));
  // Ranks ascending: 2,4 → 1 star; 6,8 → 2; 10,12 → 3; 14,16 → 4.
  EXPECT_THAT(StarsInInputOrder(c, 8), ElementsAre(2, 1, 4, 2, 1, 3, 4, 3));
}

TEST(RatingsTest, TiesShareTheBetterRank) {
  // Sorted: 2 | 4 4 | 6 | 8 8 8 | 10. k (at or below): 1, 3, 3, 4, 7, 7, 7, 8.
  // stars = ceil(4k/8): 1, 2, 2, 2, 4, 4, 4, 4.
  const std::vector<int> results = {8, 4, 10, 2, 8, 6, 4, 8};
  const auto c = EightProviders(results);
  EXPECT_THAT(StarsInInputOrder(c, 8), ElementsAre(4, 2, 4, 1, 4, 2, 2, 4));
}

TEST(RatingsTest, FiveProviders) {
  // k = 1..5 → ceil(4k/5) = 1, 2, 3, 4, 4.
  const std::vector<int> results = {3, 9, 1, 7, 5};
  const auto c = EightProviders(results);
  EXPECT_THAT(StarsInInputOrder(c, 5), ElementsAre(2, 4, 1, 4, 3));
}

// ---------------------------------------------------------------------------------------------
// Random population against an independent brute-force computation

absl::CivilDay RefMonthsBack(absl::CivilDay day, int months) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  long index = static_cast<long>(day.year()) * 12 + (day.month() - 1) - months;
  const long year = index / 12;
  const int month = static_cast<int>(index % 12) + 1;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days_in_month = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return absl::CivilDay(year, month, std::min(day.day(), days_in_month));
}

struct RefProvider {
  int started = 0;
  int verified = 0;
  double expected = 0;
  double ratio = 0;
  std::map<Level, int> by_level;
  std::optional<int> stars;
  std::string reason;
};

// The rules of ratings.h/ratings.cc spelled out the slow way: per participant sums, sorting for
// ranks.
std::map<std::string, RefProvider> BruteForce(const std::vector<OutcomeRecord>& outcomes,
                                              const std::map<std::string, absl::CivilDay>& approved,
                                              absl::CivilDay as_of, const RatingParams& params,
                                              std::map<Level, double>* rates, int* sample) {
  const absl::CivilDay window_start = RefMonthsBack(as_of, params.window_months);
  auto in_window = [&](const OutcomeRecord& r) {
    return window_start < r.started_on && r.started_on <= as_of;
  };
  auto has_result = [&](const OutcomeRecord& r) {
    return r.result_verified_on.has_value() && *r.result_verified_on <= as_of;
  };
  *sample = 0;
  for (Level level : {Level::kA, Level::kB, Level::kC}) {
    int n = 0, v = 0;
    for (const auto& r : outcomes) {
      if (r.level == level && in_window(r)) {
        ++n;
        if (has_result(r)) ++v;
      }
    }
    (*rates)[level] = n == 0 ? 0.0 : static_cast<double>(v) / n;
    *sample += n;
  }
  std::map<std::string, RefProvider> out;
  for (const auto& [org, since] : approved) {
    if (since <= as_of) out[org];
  }
  for (const auto& r : outcomes) {
    if (r.started_on <= as_of) out[r.organisation_number];
  }
  for (auto& [org, p] : out) {
    for (Level level : {Level::kA, Level::kB, Level::kC}) p.by_level[level] = 0;
    for (const auto& r : outcomes) {
      if (r.organisation_number != org || !in_window(r)) continue;
      ++p.started;
      ++p.by_level[r.level];
      p.expected += (*rates)[r.level];
      if (has_result(r)) ++p.verified;
    }
    p.ratio = p.expected > 0 ? p.verified / p.expected : 0;
    const auto it = approved.find(org);
    const bool active =
        it != approved.end() && it->second <= RefMonthsBack(as_of, params.min_activity_months);
    if (p.started == 0) {
      p.reason = "no participants";
    } else if (p.started < params.min_participants) {
      p.reason = "too few participants (" + std::to_string(p.started) + " < " +
                 std::to_string(params.min_participants) + ")";
    } else if (!active) {
      p.reason = "active less than " + std::to_string(params.min_activity_months) + " months";
    }
  }
  std::vector<std::pair<double, std::string>> rated;
  for (const auto& [org, p] : out) {
    if (p.reason.empty()) rated.emplace_back(p.ratio, org);
  }
  std::sort(rated.begin(), rated.end());
  const std::size_t n = rated.size();
  if (n == 1) out[rated[0].second].reason = "no other rated provider to compare with";
  if (n >= 2) {
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t last = i;  // the highest position among the ties
      while (last + 1 < n && rated[last + 1].first - rated[i].first <= 1e-9 * std::max(1.0, rated[i].first)) {
        ++last;
      }
      out[rated[i].second].stars =
          static_cast<int>(std::ceil(4.0 * static_cast<double>(last + 1) / n - 1e-12));
    }
  }
  return out;
}

std::vector<OutcomeRecord> RandomPopulation(std::mt19937* rng,
                                            std::map<std::string, absl::CivilDay>* approved) {
  const absl::CivilDay first = D(2023, 6, 1);
  std::uniform_int_distribution<int> start_offset(0, 940);  // to 2025-12-27
  std::uniform_int_distribution<int> verify_delay(0, 400);
  std::uniform_int_distribution<int> level_pick(0, 2);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> skill;
  std::vector<std::string> orgs;
  for (int i = 0; i < 40; ++i) {
    orgs.push_back("5560" + std::to_string(10 + i));
    skill.push_back(0.15 + 0.4 * unit(*rng));
    if (i % 8 != 7) (*approved)[orgs.back()] = D(2022, 1, 1) + static_cast<int>(unit(*rng) * 1450);
  }
  std::uniform_int_distribution<int> provider_pick(0, 39);
  std::vector<OutcomeRecord> records;
  for (int i = 0; i < 2000; ++i) {
    const int p = provider_pick(*rng);
    OutcomeRecord r;
    r.case_id = "case-" + std::to_string(i);
    r.organisation_number = orgs[p];
    r.level = static_cast<Level>(level_pick(*rng));
    r.started_on = first + start_offset(*rng);
    const double level_factor = r.level == Level::kA ? 1.2 : r.level == Level::kB ? 1.0 : 0.8;
    if (unit(*rng) < skill[p] * level_factor) r.result_verified_on = r.started_on + verify_delay(*rng);
    records.push_back(r);
  }
  return records;
}

TEST(RatingsTest, RandomPopulationMatchesBruteForce) {
  std::mt19937 rng(20250615);
  for (int round = 0; round < 4; ++round) {
    std::map<std::string, absl::CivilDay> approved;
    const auto records = RandomPopulation(&rng, &approved);
    for (absl::CivilDay as_of : {D(2024, 2, 29), D(2024, 12, 31), D(2025, 3, 31), D(2025, 6, 15)}) {
      for (int min_participants : {18, 10}) {
        RatingParams params;
        params.min_participants = min_participants;
        std::map<Level, double> rates;
        int sample = 0;
        const auto ref = BruteForce(records, approved, as_of, params, &rates, &sample);
        const auto c = ComputeRatings(records, approved, as_of, params);
        SCOPED_TRACE(::testing::Message() << "round " << round << " as_of " << as_of << " min "
                                          << min_participants);
        EXPECT_EQ(c.sample_size, sample);
        for (const auto& [level, rate] : rates) {
          EXPECT_THAT(c.nationwide_rate.at(level), DoubleNear(rate, 1e-12));
        }
        ASSERT_EQ(c.providers.size(), ref.size());
        auto it = ref.begin();
        int rated = 0;
        for (const auto& p : c.providers) {
          const auto& [org, r] = *it++;
          ASSERT_EQ(p.organisation_number, org);
          EXPECT_EQ(p.sample_size, r.started) << org;
          EXPECT_EQ(p.verified_results, r.verified) << org;
          EXPECT_EQ(p.started_by_level, r.by_level) << org;
          EXPECT_THAT(p.expected_results, DoubleNear(r.expected, 1e-9)) << org;
          EXPECT_THAT(p.ratio, DoubleNear(r.ratio, 1e-9)) << org;
          EXPECT_EQ(p.stars, r.stars) << org;
          EXPECT_EQ(p.unrated_reason, r.reason) << org;
          if (p.stars) ++rated;
        }
        if (as_of >= D(2025, 1, 1)) {
          EXPECT_GE(rated, 4);  // the population is large enough to exercise the star ranks
        }
      }
    }
  }
}

TEST(RatingsTest, RecomputingForAnEarlierDateGivesTheEarlierPicture) {
  std::mt19937 rng(7);
  std::map<std::string, absl::CivilDay> approved;
  const auto records = RandomPopulation(&rng, &approved);
  const absl::CivilDay earlier = D(2024, 12, 31);
  // What was known on `earlier`: starts up to then, results verified up to then, approvals up to
  // then.
  std::vector<OutcomeRecord> known;
  for (auto r : records) {
    if (r.started_on > earlier) continue;
    if (r.result_verified_on && *r.result_verified_on > earlier) r.result_verified_on.reset();
    known.push_back(r);
  }
  std::map<std::string, absl::CivilDay> known_approved;
  for (const auto& [org, since] : approved) {
    if (since <= earlier) known_approved[org] = since;
  }
  const auto then = ComputeRatings(known, known_approved, earlier, {});
  const auto recomputed = ComputeRatings(records, approved, earlier, {});
  const auto now = ComputeRatings(records, approved, D(2025, 12, 31), {});
  EXPECT_EQ(then.sample_size, recomputed.sample_size);
  EXPECT_EQ(then.nationwide_rate, recomputed.nationwide_rate);
  ASSERT_EQ(then.providers.size(), recomputed.providers.size());
  for (std::size_t i = 0; i < then.providers.size(); ++i) {
    const auto& a = then.providers[i];
    const auto& b = recomputed.providers[i];
    EXPECT_EQ(a.organisation_number, b.organisation_number);
    EXPECT_EQ(a.stars, b.stars) << a.organisation_number;
    EXPECT_EQ(a.unrated_reason, b.unrated_reason) << a.organisation_number;
    EXPECT_EQ(a.sample_size, b.sample_size);
    EXPECT_EQ(a.verified_results, b.verified_results);
    EXPECT_EQ(a.ratio, b.ratio);
  }
  EXPECT_NE(now.sample_size, recomputed.sample_size);
}

TEST(RatingsTest, InputOrderDoesNotMatter) {
  std::mt19937 rng(99);
  std::map<std::string, absl::CivilDay> approved;
  auto records = RandomPopulation(&rng, &approved);
  const auto first = ComputeRatings(records, approved, kAsOf, {});
  std::shuffle(records.begin(), records.end(), rng);
  const auto second = ComputeRatings(records, approved, kAsOf, {});
  ASSERT_EQ(first.providers.size(), second.providers.size());
  for (std::size_t i = 0; i < first.providers.size(); ++i) {
    const auto& a = first.providers[i];
    const auto& b = second.providers[i];
    EXPECT_EQ(a.organisation_number, b.organisation_number);
    EXPECT_EQ(a.stars, b.stars);
    EXPECT_EQ(a.ratio, b.ratio);  // bit-identical: sums are per level, not per record
    EXPECT_EQ(a.expected_results, b.expected_results);
    EXPECT_EQ(a.unrated_reason, b.unrated_reason);
  }
}

}  // namespace
}  // namespace rusta::registry
