// Follow-up report (domain.md section 4): the accuracy rule, and the report's figures by group on a
// generated population whose expected figures this test computes on its own, by filtering the
// records per group explicitly.
#include "services/assessment/domain/follow_up.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace rusta::assessment {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using Key = std::map<std::string, std::string>;
using Predicate = std::function<bool(const FollowUpRecord&)>;

// ---- the population ----------------------------------------------------------------------------

// True with probability per_mille / 1000, from the raw engine output (portable across libraries).
bool Chance(std::mt19937& rng, uint32_t per_mille) { return rng() % 1000 < per_mille; }

// 5,000 records with known tendencies: women are overridden about twice as often as men, people
// born abroad are followed up less often, and the tool is less accurate for people with a
// disability.
std::vector<FollowUpRecord> Population(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  std::vector<FollowUpRecord> records;
  records.reserve(n);
  for (int i = 0; i < n; ++i) {
    FollowUpRecord r;
    r.female = Chance(rng, 500);
    r.born_in_sweden = Chance(rng, 700);
    r.disability = Chance(rng, 150);
    const uint32_t o = rng() % 100;
    if (o < 25) {
      r.outcome = Outcome::kClose;
    } else if (o < 85) {
      r.outcome = Outcome::kInBetween;
      const uint32_t l = rng() % 3;
      r.level = l == 0 ? Level::kA : (l == 1 ? Level::kB : Level::kC);
    } else {
      r.outcome = Outcome::kFar;
    }
    r.overridden = Chance(rng, r.female ? 120 : 60);
    r.sent_to_support_group = r.outcome != Outcome::kInBetween && Chance(rng, 100);
    if (Chance(rng, r.born_in_sweden ? 850 : 700)) {
      r.correct = Chance(rng, r.disability ? 550 : 700);
    }
    records.push_back(r);
  }
  return records;
}

// ---- the expected figures, computed independently ----------------------------------------------

struct Expected {
  int64_t assessments = 0;
  int64_t followed_up = 0;
  int64_t correct = 0;
  int64_t overridden = 0;
  int64_t support_reviews = 0;
  int64_t close = 0, in_between = 0, far = 0;
  int64_t a = 0, b = 0, c = 0;
};

Expected Count(const std::vector<FollowUpRecord>& records, const Predicate& in_group) {
  Expected e;
  for (const FollowUpRecord& r : records) {
    if (!in_group(r)) continue;
    e.assessments += 1;
    if (r.correct) {
      e.followed_up += 1;
      e.correct += *r.correct ? 1 : 0;
    }
    e.overridden += r.overridden ? 1 : 0;
    e.support_reviews += r.sent_to_support_group ? 1 : 0;
    switch (r.outcome) {
      case Outcome::kClose: e.close += 1; break;
      case Outcome::kFar: e.far += 1; break;
      case Outcome::kInBetween:
        e.in_between += 1;
        if (r.level == Level::kA) e.a += 1;
        if (r.level == Level::kB) e.b += 1;
        if (r.level == Level::kC) e.c += 1;
        break;
    }
  }
  return e;
}

// Compares one group's figures with the independently counted ones.
void ExpectFigures(const GroupFigures& g, const Expected& e, const std::string& label) {
  SCOPED_TRACE(label);
  EXPECT_FALSE(g.suppressed);
  EXPECT_EQ(g.assessments, e.assessments);
  EXPECT_EQ(g.followed_up, e.followed_up);
  EXPECT_DOUBLE_EQ(g.correct_share, e.followed_up == 0
                                        ? 0.0
                                        : static_cast<double>(e.correct) / e.followed_up);
  EXPECT_DOUBLE_EQ(g.override_rate, e.assessments == 0
                                        ? 0.0
                                        : static_cast<double>(e.overridden) / e.assessments);
  EXPECT_EQ(g.support_reviews, e.support_reviews);
  std::map<std::string, int64_t> outcomes, levels;
  if (e.close > 0) outcomes["CLOSE"] = e.close;
  if (e.in_between > 0) outcomes["IN_BETWEEN"] = e.in_between;
  if (e.far > 0) outcomes["FAR"] = e.far;
  if (e.a > 0) levels["A"] = e.a;
  if (e.b > 0) levels["B"] = e.b;
  if (e.c > 0) levels["C"] = e.c;
  EXPECT_EQ(g.outcome_counts, outcomes);
  EXPECT_EQ(g.level_counts, levels);
}

void ExpectSuppressed(const GroupFigures& g, const std::string& label) {
  SCOPED_TRACE(label);
  EXPECT_TRUE(g.suppressed);
  EXPECT_FALSE(g.key.empty());
  EXPECT_EQ(g.assessments, 0);
  EXPECT_EQ(g.followed_up, 0);
  EXPECT_EQ(g.correct_share, 0.0);
  EXPECT_EQ(g.override_rate, 0.0);
  EXPECT_THAT(g.outcome_counts, IsEmpty());
  EXPECT_THAT(g.level_counts, IsEmpty());
  EXPECT_EQ(g.support_reviews, 0);
}

// Two reports' groups, field by field.
void ExpectSameGroup(const GroupFigures& x, const GroupFigures& y) {
  EXPECT_EQ(x.key, y.key);
  EXPECT_EQ(x.suppressed, y.suppressed);
  EXPECT_EQ(x.assessments, y.assessments);
  EXPECT_EQ(x.followed_up, y.followed_up);
  EXPECT_DOUBLE_EQ(x.correct_share, y.correct_share);
  EXPECT_DOUBLE_EQ(x.override_rate, y.override_rate);
  EXPECT_EQ(x.outcome_counts, y.outcome_counts);
  EXPECT_EQ(x.level_counts, y.level_counts);
  EXPECT_EQ(x.support_reviews, y.support_reviews);
}

const GroupFigures* Find(const FollowUpReport& report, const Key& key) {
  for (const GroupFigures& g : report.groups) {
    if (g.key == key) return &g;
  }
  return nullptr;
}

std::string Label(const Key& key) {
  std::string s;
  for (const auto& [k, v] : key) s += k + "=" + v + " ";
  return s;
}

const char* Sex(bool female) { return female ? "FEMALE" : "MALE"; }
const char* Bool(bool b) { return b ? "true" : "false"; }

FollowUpRecord Record(bool female, bool born_in_sweden, bool disability) {
  FollowUpRecord r;
  r.female = female;
  r.born_in_sweden = born_in_sweden;
  r.disability = disability;
  return r;
}

// ---- RecommendationCorrect ---------------------------------------------------------------------

TEST(RecommendationCorrectTest, EveryPairFollowsTheDomainRule) {
  // Referred: correct when without work or studies six months later.
  EXPECT_FALSE(RecommendationCorrect(true, LabourMarketStatus::kEmployed));
  EXPECT_FALSE(RecommendationCorrect(true, LabourMarketStatus::kStudies));
  EXPECT_TRUE(RecommendationCorrect(true, LabourMarketStatus::kNotEmployed));
  EXPECT_TRUE(RecommendationCorrect(true, LabourMarketStatus::kDeregisteredOther));
  // Not referred: correct when in work or studies.
  EXPECT_TRUE(RecommendationCorrect(false, LabourMarketStatus::kEmployed));
  EXPECT_TRUE(RecommendationCorrect(false, LabourMarketStatus::kStudies));
  EXPECT_FALSE(RecommendationCorrect(false, LabourMarketStatus::kNotEmployed));
  EXPECT_FALSE(RecommendationCorrect(false, LabourMarketStatus::kDeregisteredOther));
}

// ---- the generated population ------------------------------------------------------------------

class PopulationTest : public ::testing::Test {
 protected:
  const std::vector<FollowUpRecord> records_ = Population(20211117, 5000);
};

TEST_F(PopulationTest, TotalMatchesAnIndependentCount) {
  FollowUpReport report = BuildFollowUpReport(records_, {Dimension::kSex}, 10);
  ExpectFigures(report.total, Count(records_, [](const FollowUpRecord&) { return true; }), "total");
  EXPECT_TRUE(report.total.key.empty());
  EXPECT_EQ(report.total.assessments, 5000);
}

TEST_F(PopulationTest, BySex) {
  FollowUpReport report = BuildFollowUpReport(records_, {Dimension::kSex}, 10);
  ASSERT_EQ(report.groups.size(), 2u);
  EXPECT_EQ(report.groups[0].key, (Key{{"SEX", "FEMALE"}}));
  EXPECT_EQ(report.groups[1].key, (Key{{"SEX", "MALE"}}));
  for (bool female : {true, false}) {
    Key key{{"SEX", Sex(female)}};
    const GroupFigures* g = Find(report, key);
    ASSERT_NE(g, nullptr) << Label(key);
    ExpectFigures(*g, Count(records_, [&](const FollowUpRecord& r) { return r.female == female; }),
                  Label(key));
  }
  // The generated tendency shows: women are overridden more often.
  EXPECT_GT(report.groups[0].override_rate, report.groups[1].override_rate);
}

TEST_F(PopulationTest, ByBornInSweden) {
  FollowUpReport report = BuildFollowUpReport(records_, {Dimension::kBornInSweden}, 10);
  ASSERT_EQ(report.groups.size(), 2u);
  EXPECT_EQ(report.groups[0].key, (Key{{"BORN_IN_SWEDEN", "false"}}));
  EXPECT_EQ(report.groups[1].key, (Key{{"BORN_IN_SWEDEN", "true"}}));
  for (bool born : {true, false}) {
    Key key{{"BORN_IN_SWEDEN", Bool(born)}};
    const GroupFigures* g = Find(report, key);
    ASSERT_NE(g, nullptr) << Label(key);
    ExpectFigures(*g,
                  Count(records_, [&](const FollowUpRecord& r) { return r.born_in_sweden == born; }),
                  Label(key));
  }
  // Fewer followed up among those born abroad (70 % vs 85 % in the generator).
  const double abroad = static_cast<double>(report.groups[0].followed_up) / report.groups[0].assessments;
  const double sweden = static_cast<double>(report.groups[1].followed_up) / report.groups[1].assessments;
  EXPECT_LT(abroad, sweden);
}

TEST_F(PopulationTest, ByDisability) {
  FollowUpReport report = BuildFollowUpReport(records_, {Dimension::kDisability}, 10);
  ASSERT_EQ(report.groups.size(), 2u);
  for (bool disability : {true, false}) {
    Key key{{"DISABILITY", Bool(disability)}};
    const GroupFigures* g = Find(report, key);
    ASSERT_NE(g, nullptr) << Label(key);
    ExpectFigures(
        *g, Count(records_, [&](const FollowUpRecord& r) { return r.disability == disability; }),
        Label(key));
  }
  // The tool is less accurate for people with a disability (55 % vs 70 % in the generator).
  EXPECT_LT(Find(report, {{"DISABILITY", "true"}})->correct_share,
            Find(report, {{"DISABILITY", "false"}})->correct_share);
}

TEST_F(PopulationTest, AllThreeDimensionsWithSuppression) {
  // The smallest cells (born abroad with a disability) hold about 110 records each; a minimum of
  // 150 suppresses those and keeps the rest. Which ones is decided here by counting.
  const int64_t minimum = 150;
  FollowUpReport report = BuildFollowUpReport(
      records_, {Dimension::kSex, Dimension::kBornInSweden, Dimension::kDisability}, minimum);
  ASSERT_EQ(report.groups.size(), 8u);
  int suppressed = 0;
  int64_t shown_assessments = 0;
  for (bool female : {false, true}) {
    for (bool born : {false, true}) {
      for (bool disability : {false, true}) {
        Key key{{"SEX", Sex(female)}, {"BORN_IN_SWEDEN", Bool(born)}, {"DISABILITY", Bool(disability)}};
        const GroupFigures* g = Find(report, key);
        ASSERT_NE(g, nullptr) << Label(key);
        Expected e = Count(records_, [&](const FollowUpRecord& r) {
          return r.female == female && r.born_in_sweden == born && r.disability == disability;
        });
        ASSERT_GT(e.assessments, 0);
        if (e.assessments < minimum) {
          ++suppressed;
          ExpectSuppressed(*g, Label(key));
        } else {
          shown_assessments += g->assessments;
          ExpectFigures(*g, e, Label(key));
        }
      }
    }
  }
  EXPECT_GT(suppressed, 0);  // the population is built so that some cells are small
  EXPECT_LT(suppressed, 8);
  EXPECT_LT(shown_assessments, 5000);
  // The total still counts everyone.
  EXPECT_EQ(report.total.assessments, 5000);
  EXPECT_FALSE(report.total.suppressed);
}

TEST_F(PopulationTest, GroupsAreSortedByKeyWhateverTheDimensionOrder) {
  FollowUpReport a =
      BuildFollowUpReport(records_, {Dimension::kSex, Dimension::kBornInSweden}, 10);
  FollowUpReport b =
      BuildFollowUpReport(records_, {Dimension::kBornInSweden, Dimension::kSex}, 10);
  ASSERT_EQ(a.groups.size(), 4u);
  ASSERT_EQ(b.groups.size(), 4u);
  for (size_t i = 0; i < a.groups.size(); ++i) {
    ExpectSameGroup(a.groups[i], b.groups[i]);
    if (i > 0) {
      EXPECT_LT(a.groups[i - 1].key, a.groups[i].key);
    }
  }
  EXPECT_EQ(a.groups[0].key, (Key{{"BORN_IN_SWEDEN", "false"}, {"SEX", "FEMALE"}}));
  EXPECT_EQ(a.groups[3].key, (Key{{"BORN_IN_SWEDEN", "true"}, {"SEX", "MALE"}}));
}

TEST_F(PopulationTest, DuplicateDimensionsCountOnce) {
  FollowUpReport once = BuildFollowUpReport(records_, {Dimension::kSex, Dimension::kDisability}, 10);
  FollowUpReport dup = BuildFollowUpReport(
      records_, {Dimension::kSex, Dimension::kSex, Dimension::kDisability, Dimension::kSex}, 10);
  ASSERT_EQ(once.groups.size(), 4u);
  ASSERT_EQ(dup.groups.size(), once.groups.size());
  for (size_t i = 0; i < once.groups.size(); ++i) {
    EXPECT_EQ(dup.groups[i].key.size(), 2u);
    ExpectSameGroup(dup.groups[i], once.groups[i]);
  }
  ExpectSameGroup(dup.total, once.total);
}

TEST_F(PopulationTest, NoGroupByGivesOnlyTheTotal) {
  FollowUpReport report = BuildFollowUpReport(records_, {}, 10);
  EXPECT_THAT(report.groups, IsEmpty());
  ExpectFigures(report.total, Count(records_, [](const FollowUpRecord&) { return true; }), "total");
}

TEST_F(PopulationTest, TotalIsNeverSuppressed) {
  FollowUpReport report = BuildFollowUpReport(records_, {Dimension::kSex}, 1000000);
  ExpectFigures(report.total, Count(records_, [](const FollowUpRecord&) { return true; }), "total");
  ASSERT_EQ(report.groups.size(), 2u);
  ExpectSuppressed(report.groups[0], "female");
  ExpectSuppressed(report.groups[1], "male");
}

// ---- suppression at the boundary ---------------------------------------------------------------

// `women` women and 20 men, every woman overridden, in between at level B and followed up correct.
std::vector<FollowUpRecord> WomenAndMen(int women) {
  std::vector<FollowUpRecord> records;
  for (int i = 0; i < women; ++i) {
    FollowUpRecord r = Record(true, true, false);
    r.outcome = Outcome::kInBetween;
    r.level = Level::kB;
    r.overridden = true;
    r.sent_to_support_group = true;
    r.correct = true;
    records.push_back(r);
  }
  for (int i = 0; i < 20; ++i) {
    FollowUpRecord r = Record(false, true, false);
    r.correct = false;
    records.push_back(r);
  }
  return records;
}

TEST(FollowUpSuppressionTest, GroupOneBelowTheMinimumIsSuppressed) {
  const int64_t minimum = 10;
  FollowUpReport report = BuildFollowUpReport(WomenAndMen(minimum - 1), {Dimension::kSex}, minimum);
  ASSERT_EQ(report.groups.size(), 2u);
  EXPECT_EQ(report.groups[0].key, (Key{{"SEX", "FEMALE"}}));
  ExpectSuppressed(report.groups[0], "women");
  EXPECT_FALSE(report.groups[1].suppressed);
  EXPECT_EQ(report.groups[1].assessments, 20);
  EXPECT_EQ(report.total.assessments, 20 + minimum - 1);
}

TEST(FollowUpSuppressionTest, GroupAtTheMinimumIsShown) {
  const int64_t minimum = 10;
  FollowUpReport report = BuildFollowUpReport(WomenAndMen(minimum), {Dimension::kSex}, minimum);
  ASSERT_EQ(report.groups.size(), 2u);
  const GroupFigures& women = report.groups[0];
  EXPECT_FALSE(women.suppressed);
  EXPECT_EQ(women.assessments, minimum);
  EXPECT_EQ(women.followed_up, minimum);
  EXPECT_DOUBLE_EQ(women.correct_share, 1.0);
  EXPECT_DOUBLE_EQ(women.override_rate, 1.0);
  EXPECT_THAT(women.outcome_counts, ElementsAre(Pair("IN_BETWEEN", minimum)));
  EXPECT_THAT(women.level_counts, ElementsAre(Pair("B", minimum)));
  EXPECT_EQ(women.support_reviews, minimum);
}

TEST(FollowUpSuppressionTest, GroupOneAboveTheMinimumIsShown) {
  const int64_t minimum = 10;
  FollowUpReport report = BuildFollowUpReport(WomenAndMen(minimum + 1), {Dimension::kSex}, minimum);
  ASSERT_EQ(report.groups.size(), 2u);
  EXPECT_FALSE(report.groups[0].suppressed);
  EXPECT_EQ(report.groups[0].assessments, minimum + 1);
}

TEST(FollowUpSuppressionTest, SuppressedGroupLeaksNothing) {
  // One woman, overridden, sent to the support group, followed up: none of it may show.
  std::vector<FollowUpRecord> records = WomenAndMen(1);
  FollowUpReport report = BuildFollowUpReport(records, {Dimension::kSex}, 5);
  ASSERT_EQ(report.groups.size(), 2u);
  ExpectSuppressed(report.groups[0], "the one woman");
  EXPECT_EQ(report.groups[0].key, (Key{{"SEX", "FEMALE"}}));
  // The shown group is only the men.
  EXPECT_EQ(report.groups[1].assessments, 20);
  EXPECT_DOUBLE_EQ(report.groups[1].override_rate, 0.0);
  EXPECT_EQ(report.groups[1].support_reviews, 0);
}

TEST(FollowUpSuppressionTest, MinimumOfZeroOrOneSuppressesNothing) {
  std::vector<FollowUpRecord> records = {Record(true, false, true)};
  for (int64_t minimum : {0, 1}) {
    FollowUpReport report = BuildFollowUpReport(
        records, {Dimension::kSex, Dimension::kBornInSweden, Dimension::kDisability}, minimum);
    ASSERT_EQ(report.groups.size(), 1u);
    EXPECT_FALSE(report.groups[0].suppressed);
    EXPECT_EQ(report.groups[0].assessments, 1);
  }
}

// ---- shape of the report -----------------------------------------------------------------------

TEST(FollowUpReportTest, EmptyInput) {
  FollowUpReport report =
      BuildFollowUpReport({}, {Dimension::kSex, Dimension::kBornInSweden, Dimension::kDisability}, 5);
  EXPECT_THAT(report.groups, IsEmpty());
  EXPECT_FALSE(report.total.suppressed);
  EXPECT_TRUE(report.total.key.empty());
  EXPECT_EQ(report.total.assessments, 0);
  EXPECT_EQ(report.total.followed_up, 0);
  EXPECT_EQ(report.total.correct_share, 0.0);
  EXPECT_EQ(report.total.override_rate, 0.0);
  EXPECT_THAT(report.total.outcome_counts, IsEmpty());
  EXPECT_THAT(report.total.level_counts, IsEmpty());
  EXPECT_EQ(report.total.support_reviews, 0);
}

TEST(FollowUpReportTest, OnlyCombinationsPresentAreReported) {
  // Two dimensions: at most 4 groups, here 3 present.
  std::vector<FollowUpRecord> records = {Record(true, true, false), Record(true, false, false),
                                         Record(false, true, false), Record(false, true, true)};
  FollowUpReport two = BuildFollowUpReport(records, {Dimension::kSex, Dimension::kBornInSweden}, 0);
  ASSERT_EQ(two.groups.size(), 3u);
  EXPECT_EQ(two.groups[0].key, (Key{{"BORN_IN_SWEDEN", "false"}, {"SEX", "FEMALE"}}));
  EXPECT_EQ(two.groups[1].key, (Key{{"BORN_IN_SWEDEN", "true"}, {"SEX", "FEMALE"}}));
  EXPECT_EQ(two.groups[2].key, (Key{{"BORN_IN_SWEDEN", "true"}, {"SEX", "MALE"}}));
  EXPECT_EQ(two.groups[2].assessments, 2);
  // Three dimensions: each record its own combination here.
  FollowUpReport three = BuildFollowUpReport(
      records, {Dimension::kSex, Dimension::kBornInSweden, Dimension::kDisability}, 0);
  EXPECT_EQ(three.groups.size(), 4u);
}

TEST(FollowUpReportTest, EveryCombinationGivesFourThenEightGroups) {
  std::vector<FollowUpRecord> records;
  for (bool f : {false, true})
    for (bool b : {false, true})
      for (bool d : {false, true}) records.push_back(Record(f, b, d));
  EXPECT_EQ(BuildFollowUpReport(records, {Dimension::kSex}, 0).groups.size(), 2u);
  EXPECT_EQ(BuildFollowUpReport(records, {Dimension::kSex, Dimension::kDisability}, 0).groups.size(),
            4u);
  FollowUpReport three = BuildFollowUpReport(
      records, {Dimension::kDisability, Dimension::kSex, Dimension::kBornInSweden}, 0);
  ASSERT_EQ(three.groups.size(), 8u);
  for (size_t i = 1; i < three.groups.size(); ++i) {
    EXPECT_LT(three.groups[i - 1].key, three.groups[i].key);
  }
  for (const GroupFigures& g : three.groups) {
    EXPECT_EQ(g.key.size(), 3u);
    EXPECT_EQ(g.assessments, 1);
  }
}

TEST(FollowUpReportTest, LevelsOnlyForInBetweenAndOutcomesOnlyWhenPresent) {
  std::vector<FollowUpRecord> records;
  FollowUpRecord close = Record(true, true, false);
  close.outcome = Outcome::kClose;
  FollowUpRecord a = close;
  a.outcome = Outcome::kInBetween;
  a.level = Level::kA;
  FollowUpRecord c = a;
  c.level = Level::kC;
  // Eligible by time registered: the model sets a level on a CLOSE or FAR outcome too (types.h);
  // the level distribution is of IN_BETWEEN outcomes only.
  FollowUpRecord far_with_level = close;
  far_with_level.outcome = Outcome::kFar;
  far_with_level.level = Level::kB;
  FollowUpRecord close_with_level = close;
  close_with_level.level = Level::kA;
  records = {close, close_with_level, a, c, c, c, far_with_level};
  FollowUpReport report = BuildFollowUpReport(records, {}, 0);
  EXPECT_THAT(report.total.outcome_counts, ElementsAre(Pair("CLOSE", 2), Pair("FAR", 1), Pair("IN_BETWEEN", 4)));
  EXPECT_THAT(report.total.level_counts, ElementsAre(Pair("A", 1), Pair("C", 3)));
  EXPECT_EQ(report.total.level_counts.count("NONE"), 0u);
}

TEST(FollowUpReportTest, CorrectShareIsZeroWithoutFollowUps) {
  std::vector<FollowUpRecord> records(7, Record(false, true, false));
  records[0].overridden = true;
  FollowUpReport report = BuildFollowUpReport(records, {Dimension::kSex}, 0);
  EXPECT_EQ(report.total.followed_up, 0);
  EXPECT_EQ(report.total.correct_share, 0.0);
  EXPECT_DOUBLE_EQ(report.total.override_rate, 1.0 / 7.0);
}

// The agency's reference figure: 68 of 100 followed-up recommendations correct.
TEST(FollowUpReportTest, SixtyEightPercentReference) {
  std::vector<FollowUpRecord> records;
  for (int i = 0; i < 100; ++i) {
    // Half referred, half not; the statuses chosen so that exactly 68 come out correct.
    const bool referred = i % 2 == 0;
    LabourMarketStatus status;
    if (i < 68) {
      status = referred ? LabourMarketStatus::kNotEmployed : LabourMarketStatus::kEmployed;
    } else {
      status = referred ? LabourMarketStatus::kStudies : LabourMarketStatus::kDeregisteredOther;
    }
    FollowUpRecord r = Record(i % 3 == 0, true, false);
    r.outcome = referred ? Outcome::kInBetween : Outcome::kClose;
    r.level = referred ? Level::kB : Level::kNone;
    r.correct = RecommendationCorrect(referred, status);
    records.push_back(r);
  }
  records.push_back(Record(false, true, false));  // assessed, never followed up: does not count
  FollowUpReport report = BuildFollowUpReport(records, {}, 0);
  EXPECT_EQ(report.total.assessments, 101);
  EXPECT_EQ(report.total.followed_up, 100);
  EXPECT_DOUBLE_EQ(report.total.correct_share, 0.68);
}

}  // namespace
}  // namespace rusta::assessment
