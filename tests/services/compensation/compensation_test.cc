// Unit tests of the compensation engine (services/compensation/domain): the tariff file format
// and its refusals, the shipped illustrative tariff, every component at every level, the cuts,
// tariff changes, month counting, provider changes, the speed-bonus and supplementary boundaries,
// interpreter hours, and the reconciliation with a ledger. Expected amounts are written out from
// domain.md section 5's table (in öre), never computed by the code under test.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/compensation/domain/engine.h"
#include "services/compensation/domain/tariff.h"

namespace rusta::compensation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::string kTariffDir = RUSTA_COMPENSATION_TARIFF_DIR;

absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }
absl::CivilMonth M(int y, int m) { return absl::CivilMonth(y, m); }

// The domain.md table as a tariff text; {VERSION}, {DATE} and {BASIC_B} are replaced.
constexpr char kTemplate[] = R"(version: {VERSION}
effective_from: {DATE}
illustrative: true
amount: BASIC A 180000
amount: BASIC B {BASIC_B}
amount: BASIC C 260000
amount: RESULT A 1200000
amount: RESULT B 1600000
amount: RESULT C 2000000
amount: SPEED_BONUS A 400000
amount: SPEED_BONUS B 500000
amount: SPEED_BONUS C 600000
amount: SUPPLEMENTARY A 300000
amount: SUPPLEMENTARY B 400000
amount: SUPPLEMENTARY C 500000
amount: INTERPRETER A 45000
amount: INTERPRETER B 45000
amount: INTERPRETER C 45000
)";

std::string TariffText(const std::string& version, const std::string& date,
                       const std::string& basic_b = "220000") {
  return absl::StrReplaceAll(kTemplate,
                             {{"{VERSION}", version}, {"{DATE}", date}, {"{BASIC_B}", basic_b}});
}

TariffSet Illustrative() {
  absl::StatusOr<TariffSet> set = LoadTariffFile(kTariffDir + "/illustrative.tariff");
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *std::move(set) : TariffSet();
}

// A full-time participation with one provider from the start, no end.
Participation Case(Level level, absl::CivilDay start) {
  Participation p;
  p.case_id = "case-1";
  p.level = level;
  p.start = start;
  p.providers.push_back({"5560000001", start, std::nullopt, "ev-choose"});
  p.decision_event_id = "ev-decide";
  p.start_event_id = "ev-start";
  return p;
}

std::vector<Line> Compute(const Participation& p, const TariffSet& t, absl::CivilDay as_of,
                          std::vector<std::string>* problems = nullptr) {
  std::vector<std::string> local;
  std::vector<Line> lines = ComputeLines(p, t, as_of, problems != nullptr ? problems : &local);
  if (problems == nullptr) {
    EXPECT_THAT(local, IsEmpty());
  }
  return lines;
}

std::vector<Line> Only(const std::vector<Line>& lines, Component c) {
  std::vector<Line> out;
  for (const Line& l : lines) {
    if (l.component == c) out.push_back(l);
  }
  return out;
}

std::vector<std::string> Keys(const std::vector<Line>& lines) {
  std::vector<std::string> out;
  for (const Line& l : lines) out.push_back(l.idempotency_key);
  return out;
}

std::vector<int64_t> Amounts(const std::vector<Line>& lines) {
  std::vector<int64_t> out;
  for (const Line& l : lines) out.push_back(l.amount_ore);
  return out;
}

VerifiedResult Result(absl::CivilDay start, ResultKind kind = ResultKind::kWork,
                      int percentage = 100, bool subsidised = false) {
  VerifiedResult r;
  r.event_id = "ev-verify";
  r.report_event_id = "ev-report";
  r.verified_on = D(2025, 9, 1);
  r.start = start;
  r.kind = kind;
  r.percentage = percentage;
  r.subsidised = subsidised;
  r.organisation_number = "5560000001";
  return r;
}

// ---------------------------------------------------------------------------------------------
// The tariff file.
// ---------------------------------------------------------------------------------------------

TEST(TariffFile, ShippedIllustrativeTariffHasTheDomainAmounts) {
  const TariffSet set = Illustrative();
  ASSERT_EQ(set.size(), 1u);
  const Tariff& t = set.tariffs()[0];
  EXPECT_EQ(t.version, "illustrative-2020");
  EXPECT_EQ(t.effective_from, D(2020, 1, 1));
  EXPECT_TRUE(t.illustrative);
  EXPECT_EQ(t.part_time_cut_percent, 20);
  EXPECT_EQ(t.speed_bonus_days, 90);
  EXPECT_EQ(t.supplementary_min_percent, 80);
  // domain.md section 5, SEK × 100.
  EXPECT_EQ(t.Amount(Component::kBasic, Level::kA), 180000);
  EXPECT_EQ(t.Amount(Component::kBasic, Level::kB), 220000);
  EXPECT_EQ(t.Amount(Component::kBasic, Level::kC), 260000);
  EXPECT_EQ(t.Amount(Component::kResult, Level::kA), 1200000);
  EXPECT_EQ(t.Amount(Component::kResult, Level::kB), 1600000);
  EXPECT_EQ(t.Amount(Component::kResult, Level::kC), 2000000);
  EXPECT_EQ(t.Amount(Component::kSpeedBonus, Level::kA), 400000);
  EXPECT_EQ(t.Amount(Component::kSpeedBonus, Level::kB), 500000);
  EXPECT_EQ(t.Amount(Component::kSpeedBonus, Level::kC), 600000);
  EXPECT_EQ(t.Amount(Component::kSupplementary, Level::kA), 300000);
  EXPECT_EQ(t.Amount(Component::kSupplementary, Level::kB), 400000);
  EXPECT_EQ(t.Amount(Component::kSupplementary, Level::kC), 500000);
  EXPECT_EQ(t.Amount(Component::kInterpreter, Level::kA), 45000);
  EXPECT_EQ(t.Amount(Component::kInterpreter, Level::kB), 45000);
  EXPECT_EQ(t.Amount(Component::kInterpreter, Level::kC), 45000);
  EXPECT_EQ(t.Amount(Component::kBasic, Level::kUnspecified), 0);
}

TEST(TariffFile, ShippedFileSaysTheAmountsAreIllustrative) {
  std::ifstream in(kTariffDir + "/illustrative.tariff");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("ILLUSTRATIVE (domain.md"));
  EXPECT_THAT(text, HasSubstr("not the agency's"));
}

TEST(TariffFile, ShippedDirectoryLoads) {
  absl::StatusOr<TariffSet> set = LoadTariffDirectory(kTariffDir);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_NE(set->ByVersion("illustrative-2020"), nullptr);
}

TEST(TariffFile, InForceIsTheLatestEffectiveDateNotAfterTheDay) {
  const std::string text = absl::StrCat("# two versions\n", TariffText("v2", "2025-03-15"),
                                        "---\n", TariffText("v1", "2020-01-01"), "---\n");
  absl::StatusOr<TariffSet> set = ParseTariffs(text, "two.tariff");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->tariffs()[0].version, "v1");  // sorted by date
  EXPECT_EQ(set->InForce(D(2019, 12, 31)), nullptr);
  EXPECT_EQ(set->InForce(D(2020, 1, 1))->version, "v1");
  EXPECT_EQ(set->InForce(D(2025, 3, 14))->version, "v1");
  EXPECT_EQ(set->InForce(D(2025, 3, 15))->version, "v2");
  EXPECT_EQ(set->InForce(D(2030, 1, 1))->version, "v2");
  EXPECT_EQ(set->InForce(D(2025, 3, 15))->defined_at, "two.tariff:2");
  // Defaults when the optional keys are absent.
  EXPECT_EQ(set->tariffs()[0].part_time_cut_percent, 20);
  EXPECT_EQ(set->tariffs()[0].speed_bonus_days, 90);
  EXPECT_EQ(set->tariffs()[0].supplementary_min_percent, 80);
}

// The error of parsing `text` as "t.tariff".
std::string ParseError(const std::string& text) {
  absl::StatusOr<TariffSet> set = ParseTariffs(text, "t.tariff");
  EXPECT_FALSE(set.ok());
  if (set.ok()) return "";
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(set.status().message());
}

TEST(TariffFile, RefusesAMissingLevelNamingIt) {
  // Line 2 of the template is version:, line 1 a comment: the tariff starts on line 2.
  const std::string text = absl::StrCat(
      "# x\n", absl::StrReplaceAll(TariffText("v1", "2020-01-01"),
                                   {{"amount: RESULT B 1600000\n", ""}}));
  EXPECT_EQ(ParseError(text), "t.tariff:2: tariff 'v1' has no RESULT amount for level B");
}

TEST(TariffFile, RefusesAMissingComponentNamingIt) {
  const std::string text = absl::StrReplaceAll(TariffText("v1", "2020-01-01"),
                                               {{"amount: INTERPRETER A 45000\n", ""},
                                                {"amount: INTERPRETER B 45000\n", ""},
                                                {"amount: INTERPRETER C 45000\n", ""}});
  EXPECT_EQ(ParseError(text), "t.tariff:1: tariff 'v1' has no amounts for component INTERPRETER");
}

TEST(TariffFile, RefusesOverlappingEffectiveDates) {
  // The second tariff starts on line 20 (18 lines + separator); its effective_from is line 21.
  const std::string text = absl::StrCat(TariffText("v1", "2024-01-01"), "---\n",
                                        TariffText("v2", "2024-01-01"));
  const std::string error = ParseError(text);
  EXPECT_THAT(error, HasSubstr("t.tariff:21: overlapping effective dates"));
  EXPECT_THAT(error, HasSubstr("'v2'"));
  EXPECT_THAT(error, HasSubstr("t.tariff:1"));
  EXPECT_THAT(error, HasSubstr("2024-01-01"));
}

TEST(TariffFile, RefusesADuplicateVersion) {
  const std::string text = absl::StrCat(TariffText("v1", "2024-01-01"), "---\n",
                                        TariffText("v1", "2025-01-01"));
  EXPECT_THAT(ParseError(text), HasSubstr("t.tariff:20: duplicate version 'v1'"));
}

TEST(TariffFile, RefusesANegativeAmount) {
  // amount: BASIC C is line 6.
  const std::string text = absl::StrReplaceAll(
      TariffText("v1", "2020-01-01"), {{"BASIC C 260000", "BASIC C -260000"}});
  EXPECT_EQ(ParseError(text), "t.tariff:6: negative amount -260000 for BASIC C");
}

TEST(TariffFile, RefusesAnUnknownComponent) {
  const std::string text =
      absl::StrCat(TariffText("v1", "2020-01-01"), "amount: TRAVEL A 100\n");
  EXPECT_THAT(ParseError(text), HasSubstr("t.tariff:19: unknown component 'TRAVEL'"));
}

TEST(TariffFile, RefusesAnUnknownLevel) {
  const std::string text = absl::StrCat(TariffText("v1", "2020-01-01"), "amount: BASIC D 100\n");
  EXPECT_THAT(ParseError(text), HasSubstr("t.tariff:19: unknown level 'D'"));
}

TEST(TariffFile, RefusesAnUnknownKey) {
  const std::string text = absl::StrCat(TariffText("v1", "2020-01-01"), "currency: SEK\n");
  EXPECT_EQ(ParseError(text), "t.tariff:19: unknown key 'currency'");
}

TEST(TariffFile, RefusesABadDate) {
  EXPECT_THAT(ParseError(TariffText("v1", "2024-02-30")),
              HasSubstr("t.tariff:2: effective_from '2024-02-30' is not a date"));
  EXPECT_THAT(ParseError(TariffText("v1", "2024-1-01")), HasSubstr("t.tariff:2:"));
}

TEST(TariffFile, RefusesPercentagesOutside0To100) {
  EXPECT_EQ(ParseError(absl::StrCat(TariffText("v1", "2020-01-01"),
                                    "part_time_cut_percent: 101\n")),
            "t.tariff:19: part_time_cut_percent 101 is outside 0..100");
  EXPECT_EQ(ParseError(absl::StrCat(TariffText("v1", "2020-01-01"),
                                    "supplementary_min_percent: -1\n")),
            "t.tariff:19: supplementary_min_percent -1 is outside 0..100");
  EXPECT_THAT(ParseError(absl::StrCat(TariffText("v1", "2020-01-01"), "speed_bonus_days: 0\n")),
              HasSubstr("t.tariff:19: speed_bonus_days 0"));
}

TEST(TariffFile, RefusesOtherMalformedLines) {
  EXPECT_THAT(ParseError(absl::StrCat(TariffText("v1", "2020-01-01"), "amount: BASIC A 1\n")),
              HasSubstr("t.tariff:19: BASIC A is already given on line 4"));
  EXPECT_THAT(ParseError(absl::StrCat(TariffText("v1", "2020-01-01"), "version: v2\n")),
              HasSubstr("t.tariff:19: 'version' is given twice"));
  EXPECT_THAT(ParseError(absl::StrCat(TariffText("v1", "2020-01-01"), "just words\n")),
              HasSubstr("t.tariff:19: expected 'key: value'"));
  EXPECT_THAT(ParseError(absl::StrCat(TariffText("v1", "2020-01-01"), "illustrative: yes\n")),
              HasSubstr("t.tariff:19:"));
  EXPECT_THAT(ParseError(absl::StrReplaceAll(TariffText("v1", "2020-01-01"),
                                             {{"BASIC A 180000", "BASIC A 1800.00"}})),
              HasSubstr("t.tariff:4: amount '1800.00' is not a whole number of öre"));
  EXPECT_EQ(ParseError("# nothing\n\n---\n"), "t.tariff:1: no tariff in the file");
  EXPECT_EQ(ParseError(absl::StrReplaceAll(TariffText("v1", "2020-01-01"),
                                           {{"version: v1\n", "\n"}})),
            "t.tariff:2: tariff without 'version'");
}

TEST(TariffFile, DirectoryRefusesOverlapsAcrossFiles) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("tariffs-", getpid())).string();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a.tariff") << TariffText("v1", "2020-01-01");
  std::ofstream(dir + "/b.tariff") << "# later\n" << TariffText("v2", "2020-01-01");
  std::ofstream(dir + "/ignored.txt") << "not a tariff";
  absl::StatusOr<TariffSet> set = LoadTariffDirectory(dir);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(std::string(set.status().message()),
              HasSubstr("b.tariff:3: overlapping effective dates"));
  std::ofstream(dir + "/b.tariff") << TariffText("v2", "2025-01-01");
  set = LoadTariffDirectory(dir);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 2u);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(LoadTariffDirectory(dir).status().code(), absl::StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// BASIC.
// ---------------------------------------------------------------------------------------------

TEST(Basic, OneMonthPerLevel) {
  const TariffSet t = Illustrative();
  const struct {
    Level level;
    int64_t ore;
  } cases[] = {{Level::kA, 180000}, {Level::kB, 220000}, {Level::kC, 260000}};
  for (const auto& c : cases) {
    Participation p = Case(c.level, D(2025, 3, 10));
    p.end = D(2025, 3, 20);
    p.end_event_id = "ev-end";
    const std::vector<Line> lines = Compute(p, t, D(2025, 6, 1));
    ASSERT_THAT(lines, SizeIs(1));
    const Line& l = lines[0];
    EXPECT_EQ(l.idempotency_key, "case-1|BASIC|2025-03");
    EXPECT_EQ(l.amount_ore, c.ore);
    EXPECT_EQ(l.tariff_amount_ore, c.ore);
    EXPECT_FALSE(l.cut);
    EXPECT_EQ(l.level, c.level);
    EXPECT_EQ(l.component, Component::kBasic);
    EXPECT_EQ(l.period, M(2025, 3));
    EXPECT_EQ(l.event_id, "");
    EXPECT_EQ(l.quantity, 1);
    EXPECT_EQ(l.date, D(2025, 3, 10));
    EXPECT_EQ(l.tariff_version, "illustrative-2020");
    EXPECT_EQ(l.organisation_number, "5560000001");
    EXPECT_THAT(l.source_event_ids, ElementsAre("ev-decide", "ev-start", "ev-choose", "ev-end"));
  }
}

TEST(Basic, CaseFrom31JanuaryTo1MarchCountsThreeMonths) {
  Participation p = Case(Level::kB, D(2025, 1, 31));
  p.end = D(2025, 3, 1);
  const std::vector<Line> lines = Compute(p, Illustrative(), D(2025, 12, 31));
  EXPECT_THAT(Keys(lines), ElementsAre("case-1|BASIC|2025-01", "case-1|BASIC|2025-02",
                                       "case-1|BASIC|2025-03"));
  EXPECT_THAT(Amounts(lines), ElementsAre(220000, 220000, 220000));
  EXPECT_EQ(lines[0].date, D(2025, 1, 31));
  EXPECT_EQ(lines[1].date, D(2025, 2, 1));
  EXPECT_EQ(lines[2].date, D(2025, 3, 1));
}

TEST(Basic, OnlyMonthsStartedByAsOf) {
  const Participation p = Case(Level::kA, D(2025, 1, 15));
  EXPECT_THAT(Keys(Compute(p, Illustrative(), D(2025, 2, 28))),
              ElementsAre("case-1|BASIC|2025-01", "case-1|BASIC|2025-02"));
  EXPECT_THAT(Keys(Compute(p, Illustrative(), D(2025, 3, 1))),
              ElementsAre("case-1|BASIC|2025-01", "case-1|BASIC|2025-02", "case-1|BASIC|2025-03"));
  EXPECT_THAT(Compute(p, Illustrative(), D(2025, 1, 14)), IsEmpty());
  EXPECT_THAT(Keys(Compute(p, Illustrative(), D(2025, 1, 15))),
              ElementsAre("case-1|BASIC|2025-01"));
}

TEST(Basic, PartTimeCutsEveryMonthBy20Percent) {
  Participation p = Case(Level::kB, D(2025, 2, 1));
  p.part_time = true;
  p.end = D(2025, 3, 31);
  const std::vector<Line> lines = Compute(p, Illustrative(), D(2025, 6, 1));
  // 2,200 SEK × 0.8 = 1,760 SEK.
  EXPECT_THAT(Amounts(lines), ElementsAre(176000, 176000));
  for (const Line& l : lines) {
    EXPECT_TRUE(l.cut);
    EXPECT_EQ(l.tariff_amount_ore, 220000);
  }
  EXPECT_EQ(lines[1].explanation,
            "Grundersättning nivå B, 2025-03, deltid -20 %: 1 760,00 kr "
            "(tariff illustrative-2020, illustrativ)");
}

TEST(Basic, ParallelMeasureCutsOnlyTheMonthsItOverlaps) {
  Participation p = Case(Level::kC, D(2025, 1, 10));
  p.end = D(2025, 5, 20);
  p.parallel_measures.push_back({D(2025, 2, 28), D(2025, 4, 1), "ev-parallel"});
  const std::vector<Line> lines = Compute(p, Illustrative(), D(2025, 12, 31));
  ASSERT_THAT(Keys(lines), SizeIs(5));
  // 2,600 SEK; × 0.8 = 2,080 SEK in February (last day), March, April (first day).
  EXPECT_THAT(Amounts(lines), ElementsAre(260000, 208000, 208000, 208000, 260000));
  EXPECT_FALSE(lines[0].cut);
  EXPECT_TRUE(lines[1].cut);
  EXPECT_TRUE(lines[3].cut);
  EXPECT_FALSE(lines[4].cut);
  EXPECT_THAT(lines[1].source_event_ids, ::testing::Contains("ev-parallel"));
  EXPECT_THAT(lines[0].source_event_ids, ::testing::Not(::testing::Contains("ev-parallel")));
  EXPECT_THAT(lines[2].explanation, HasSubstr("parallell insats -20 %"));
}

TEST(Basic, ParallelMeasureRegisteredAheadIsSeenBeforeItStarts) {
  // As of 2025-03-01 only March 1 has been served, but the measure from 2025-03-20 is known.
  Participation p = Case(Level::kA, D(2025, 3, 1));
  p.parallel_measures.push_back({D(2025, 3, 20), D(2025, 4, 19), "ev-parallel"});
  const std::vector<Line> lines = Compute(p, Illustrative(), D(2025, 3, 1));
  EXPECT_THAT(Amounts(lines), ElementsAre(144000));  // 1,800 × 0.8
}

TEST(Basic, PartTimeAndParallelCutOnceNotTwice) {
  Participation p = Case(Level::kB, D(2025, 1, 1));
  p.part_time = true;
  p.parallel_measures.push_back({D(2025, 1, 5), D(2025, 1, 30), "ev-parallel"});
  const std::vector<Line> lines = Compute(p, Illustrative(), D(2025, 1, 31));
  EXPECT_THAT(Amounts(lines), ElementsAre(176000));
  EXPECT_THAT(lines[0].explanation, HasSubstr("deltid och parallell insats -20 %"));
}

TEST(Basic, CutRoundsHalfAwayFromZero) {
  // A 15 % cut of 123.50 SEK is 104.975 SEK → 104.98; of 123.45 SEK 104.9325 → 104.93.
  const std::string text =
      absl::StrCat(TariffText("odd", "2020-01-01", "12350"), "part_time_cut_percent: 15\n");
  absl::StatusOr<TariffSet> t = ParseTariffs(text, "odd.tariff");
  ASSERT_TRUE(t.ok()) << t.status();
  Participation p = Case(Level::kB, D(2025, 1, 1));
  p.part_time = true;
  EXPECT_THAT(Amounts(Compute(p, *t, D(2025, 1, 1))), ElementsAre(10498));
  t = ParseTariffs(absl::StrCat(TariffText("odd", "2020-01-01", "12345"),
                                "part_time_cut_percent: 15\n"),
                   "odd.tariff");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Amounts(Compute(p, *t, D(2025, 1, 1))), ElementsAre(10493));
}

TEST(Basic, TariffChangeMidCaseUsesTheTariffOfEachMonthsFirstDayOfService) {
  absl::StatusOr<TariffSet> t = ParseTariffs(
      absl::StrCat(TariffText("v1", "2020-01-01"), "---\n",
                   TariffText("v2", "2025-03-15", "240000")),
      "two.tariff");
  ASSERT_TRUE(t.ok()) << t.status();
  Participation p = Case(Level::kB, D(2025, 2, 10));
  p.end = D(2025, 5, 5);
  const std::vector<Line> lines = Compute(p, *t, D(2025, 12, 31));
  ASSERT_THAT(lines, SizeIs(4));
  // February (from 02-10) and March (first day 03-01, before 03-15) under v1; April, May v2.
  EXPECT_EQ(lines[0].tariff_version, "v1");
  EXPECT_EQ(lines[1].tariff_version, "v1");
  EXPECT_EQ(lines[2].tariff_version, "v2");
  EXPECT_EQ(lines[3].tariff_version, "v2");
  EXPECT_THAT(Amounts(lines), ElementsAre(220000, 220000, 240000, 240000));

  // Starting on 2025-03-20, March's first day of service is under v2.
  Participation late = Case(Level::kB, D(2025, 3, 20));
  const std::vector<Line> late_lines = Compute(late, *t, D(2025, 3, 31));
  ASSERT_THAT(late_lines, SizeIs(1));
  EXPECT_EQ(late_lines[0].tariff_version, "v2");
  EXPECT_EQ(late_lines[0].amount_ore, 240000);
}

TEST(Basic, ProviderChangeMidMonthPaysTheProviderOfTheMonthsFirstDay) {
  Participation p = Case(Level::kA, D(2025, 1, 10));
  p.providers = {{"5560000001", D(2025, 1, 10), D(2025, 3, 15), "ev-choose"},
                 {"5560000002", D(2025, 3, 15), D(2025, 5, 1), "ev-change-1"},
                 {"5560000003", D(2025, 5, 1), std::nullopt, "ev-change-2"}};
  p.end = D(2025, 5, 31);
  const std::vector<Line> lines = Compute(p, Illustrative(), D(2025, 12, 31));
  ASSERT_THAT(lines, SizeIs(5));
  EXPECT_EQ(lines[0].organisation_number, "5560000001");  // January
  EXPECT_EQ(lines[1].organisation_number, "5560000001");  // February
  EXPECT_EQ(lines[2].organisation_number, "5560000001");  // March: the change is on the 15th
  EXPECT_EQ(lines[3].organisation_number, "5560000002");  // April
  // May: the hand-over day 05-01 belongs to both periods; the new provider is paid.
  EXPECT_EQ(lines[4].organisation_number, "5560000003");
  EXPECT_THAT(lines[4].source_event_ids, ::testing::Contains("ev-change-2"));
}

TEST(Basic, MonthWithoutProviderOrTariffIsAProblemAndTheRestIsComputed) {
  absl::StatusOr<TariffSet> t = ParseTariffs(TariffText("v1", "2025-02-01"), "late.tariff");
  ASSERT_TRUE(t.ok()) << t.status();
  Participation p = Case(Level::kB, D(2025, 1, 15));
  p.providers = {{"5560000001", D(2025, 1, 15), D(2025, 2, 20), "ev-choose"},
                 {"5560000002", D(2025, 4, 1), std::nullopt, "ev-change"}};
  std::vector<std::string> problems;
  const std::vector<Line> lines = ComputeLines(p, *t, D(2025, 4, 30), &problems);
  EXPECT_THAT(Keys(lines), ElementsAre("case-1|BASIC|2025-02", "case-1|BASIC|2025-04"));
  EXPECT_THAT(problems,
              ElementsAre("case-1: BASIC 2025-01: no tariff in force on 2025-01-15",
                          "case-1: BASIC 2025-03: no provider assigned on 2025-03-01"));
}

TEST(Basic, UnspecifiedLevelOrEndBeforeStartComputesNothing) {
  std::vector<std::string> problems;
  Participation p = Case(Level::kUnspecified, D(2025, 1, 1));
  EXPECT_THAT(ComputeLines(p, Illustrative(), D(2025, 3, 1), &problems), IsEmpty());
  p = Case(Level::kA, D(2025, 1, 10));
  p.end = D(2025, 1, 9);
  EXPECT_THAT(ComputeLines(p, Illustrative(), D(2025, 3, 1), &problems), IsEmpty());
  EXPECT_THAT(problems, SizeIs(2));
  EXPECT_THAT(problems[0], HasSubstr("level"));
  EXPECT_THAT(problems[1], HasSubstr("before the start"));
}

// ---------------------------------------------------------------------------------------------
// RESULT, SPEED_BONUS, SUPPLEMENTARY.
// ---------------------------------------------------------------------------------------------

// A case that ended 2025-04-30, result work from 2025-05-10 (too late for a speed bonus).
Participation EndedWithResult(Level level, VerifiedResult result) {
  Participation p = Case(level, D(2025, 1, 1));
  p.end = D(2025, 4, 30);
  p.result = std::move(result);
  return p;
}

TEST(ResultPayment, PerLevelOncePerParticipation) {
  const struct {
    Level level;
    int64_t result;
    int64_t supplementary;
  } cases[] = {{Level::kA, 1200000, 300000},
               {Level::kB, 1600000, 400000},
               {Level::kC, 2000000, 500000}};
  for (const auto& c : cases) {
    const Participation p = EndedWithResult(c.level, Result(D(2025, 5, 10)));
    const std::vector<Line> lines = Compute(p, Illustrative(), D(2025, 12, 31));
    const std::vector<Line> result = Only(lines, Component::kResult);
    ASSERT_THAT(result, SizeIs(1));
    EXPECT_EQ(result[0].idempotency_key, "case-1|RESULT|ev-verify");
    EXPECT_EQ(result[0].amount_ore, c.result);
    EXPECT_EQ(result[0].event_id, "ev-verify");
    EXPECT_EQ(result[0].period, std::nullopt);
    EXPECT_EQ(result[0].date, D(2025, 9, 1));
    EXPECT_THAT(result[0].source_event_ids, ElementsAre("ev-decide", "ev-report", "ev-verify"));
    EXPECT_THAT(Amounts(Only(lines, Component::kSupplementary)), ElementsAre(c.supplementary));
    EXPECT_THAT(Only(lines, Component::kSpeedBonus), IsEmpty());  // day 130
  }
}

TEST(ResultPayment, NotBeforeVerifiedAndTariffOfTheVerificationDay) {
  absl::StatusOr<TariffSet> t = ParseTariffs(
      absl::StrCat(TariffText("v1", "2020-01-01"), "---\n", TariffText("v2", "2025-09-01")),
      "two.tariff");
  ASSERT_TRUE(t.ok()) << t.status();
  const Participation p = EndedWithResult(Level::kB, Result(D(2025, 5, 10)));
  EXPECT_THAT(Only(Compute(p, *t, D(2025, 8, 31)), Component::kResult), IsEmpty());
  const std::vector<Line> lines = Only(Compute(p, *t, D(2025, 9, 1)), Component::kResult);
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0].tariff_version, "v2");
}

TEST(ResultPayment, WithoutCreditedOrganisationIsAProblem) {
  VerifiedResult r = Result(D(2025, 5, 10));
  r.organisation_number.clear();
  std::vector<std::string> problems;
  const std::vector<Line> lines =
      ComputeLines(EndedWithResult(Level::kB, r), Illustrative(), D(2025, 12, 31), &problems);
  EXPECT_THAT(Only(lines, Component::kResult), IsEmpty());
  EXPECT_THAT(problems, ElementsAre(HasSubstr("no organisation")));
  EXPECT_THAT(Only(lines, Component::kBasic), SizeIs(4));
}

TEST(SpeedBonus, Day90QualifiesDay91DoesNot) {
  // Service start 2025-01-01 is day 1; 2025-03-31 is start + 89 days = day 90; 2025-04-01 is
  // start + 90 days = day 91.
  ASSERT_EQ(D(2025, 3, 31) - D(2025, 1, 1), 89);
  ASSERT_EQ(D(2025, 4, 1) - D(2025, 1, 1), 90);
  const TariffSet t = Illustrative();

  Participation day90 = EndedWithResult(Level::kB, Result(D(2025, 3, 31)));
  day90.end = D(2025, 3, 30);
  const std::vector<Line> bonus = Only(Compute(day90, t, D(2025, 12, 31)), Component::kSpeedBonus);
  ASSERT_THAT(bonus, SizeIs(1));
  EXPECT_EQ(bonus[0].amount_ore, 500000);
  EXPECT_EQ(bonus[0].idempotency_key, "case-1|SPEED_BONUS|ev-verify");
  EXPECT_THAT(bonus[0].explanation, HasSubstr("dag 90 av 90"));
  EXPECT_THAT(bonus[0].source_event_ids, ::testing::Contains("ev-start"));

  Participation day91 = EndedWithResult(Level::kB, Result(D(2025, 4, 1)));
  day91.end = D(2025, 3, 31);
  EXPECT_THAT(Only(Compute(day91, t, D(2025, 12, 31)), Component::kSpeedBonus), IsEmpty());
  // The result itself is paid either way.
  EXPECT_THAT(Amounts(Only(Compute(day91, t, D(2025, 12, 31)), Component::kResult)),
              ElementsAre(1600000));
}

TEST(SpeedBonus, PerLevelAndOnTheFirstDay) {
  const struct {
    Level level;
    int64_t ore;
  } cases[] = {{Level::kA, 400000}, {Level::kB, 500000}, {Level::kC, 600000}};
  for (const auto& c : cases) {
    Participation p = EndedWithResult(c.level, Result(D(2025, 1, 1)));  // day 1
    EXPECT_THAT(Amounts(Only(Compute(p, Illustrative(), D(2025, 12, 31)), Component::kSpeedBonus)),
                ElementsAre(c.ore));
  }
}

TEST(SpeedBonus, WindowComesFromTheTariff) {
  absl::StatusOr<TariffSet> t = ParseTariffs(
      absl::StrCat(TariffText("short", "2020-01-01"), "speed_bonus_days: 30\n"), "s.tariff");
  ASSERT_TRUE(t.ok()) << t.status();
  // Day 30 = 2025-01-30 qualifies, day 31 does not.
  EXPECT_THAT(Only(Compute(EndedWithResult(Level::kA, Result(D(2025, 1, 30))), *t,
                           D(2025, 12, 31)),
                   Component::kSpeedBonus),
              SizeIs(1));
  EXPECT_THAT(Only(Compute(EndedWithResult(Level::kA, Result(D(2025, 1, 31))), *t,
                           D(2025, 12, 31)),
                   Component::kSpeedBonus),
              IsEmpty());
}

TEST(SpeedBonus, ResultBeforeTheServiceEarnsNoBonus) {
  std::vector<std::string> problems;
  const std::vector<Line> lines = ComputeLines(
      EndedWithResult(Level::kA, Result(D(2024, 12, 31))), Illustrative(), D(2025, 12, 31),
      &problems);
  EXPECT_THAT(Only(lines, Component::kSpeedBonus), IsEmpty());
  EXPECT_THAT(problems, ElementsAre(HasSubstr("before the service")));
}

TEST(Supplementary, EightyPercentQualifiesSeventyNineDoesNot) {
  const TariffSet t = Illustrative();
  auto supplementary = [&](int percentage, bool subsidised, ResultKind kind) {
    return Amounts(Only(Compute(EndedWithResult(Level::kB,
                                                Result(D(2025, 5, 10), kind, percentage,
                                                       subsidised)),
                                t, D(2025, 12, 31)),
                        Component::kSupplementary));
  };
  EXPECT_THAT(supplementary(80, false, ResultKind::kWork), ElementsAre(400000));
  EXPECT_THAT(supplementary(100, false, ResultKind::kWork), ElementsAre(400000));
  EXPECT_THAT(supplementary(79, false, ResultKind::kWork), IsEmpty());
  EXPECT_THAT(supplementary(100, true, ResultKind::kWork), IsEmpty());      // subsidised
  EXPECT_THAT(supplementary(100, false, ResultKind::kStudies), IsEmpty());  // not work
}

// ---------------------------------------------------------------------------------------------
// INTERPRETER.
// ---------------------------------------------------------------------------------------------

TEST(Interpreter, HoursTimesTheHourlyAmountToTheReportingProvider) {
  Participation p = Case(Level::kC, D(2025, 1, 15));
  p.interpreter = {{M(2025, 3), 3, "5560000002", "rep-3", "ev-rep-3"},
                   {M(2025, 1), 1, "5560000001", "rep-1", "ev-rep-1"},
                   {M(2025, 2), 0, "5560000001", "rep-2", "ev-rep-2"}};
  const std::vector<Line> lines =
      Only(Compute(p, Illustrative(), D(2025, 4, 30)), Component::kInterpreter);
  ASSERT_THAT(lines, SizeIs(2));  // no line for 0 hours
  EXPECT_EQ(lines[0].idempotency_key, "case-1|INTERPRETER|2025-01");
  EXPECT_EQ(lines[0].amount_ore, 45000);
  EXPECT_EQ(lines[0].date, D(2025, 1, 15));
  EXPECT_EQ(lines[1].idempotency_key, "case-1|INTERPRETER|2025-03");
  EXPECT_EQ(lines[1].amount_ore, 135000);  // 3 × 450 SEK
  EXPECT_EQ(lines[1].tariff_amount_ore, 45000);
  EXPECT_EQ(lines[1].quantity, 3);
  EXPECT_EQ(lines[1].organisation_number, "5560000002");
  EXPECT_EQ(lines[1].period, M(2025, 3));
  EXPECT_THAT(lines[1].source_event_ids, ElementsAre("ev-rep-3"));
  EXPECT_EQ(lines[1].explanation,
            "Tolkersättning 2025-03, 3 h × 450,00 kr (rapport rep-3): 1 350,00 kr "
            "(tariff illustrative-2020, illustrativ)");
}

TEST(Interpreter, OutsideTheServiceDuplicatedOrNegativeIsAProblem) {
  Participation p = Case(Level::kA, D(2025, 2, 1));
  p.end = D(2025, 4, 30);
  p.interpreter = {{M(2025, 1), 2, "5560000001", "r1", "e1"},
                   {M(2025, 5), 2, "5560000001", "r5", "e5"},
                   {M(2025, 3), 2, "5560000001", "r3", "e3"},
                   {M(2025, 3), 4, "5560000001", "r3b", "e3b"},
                   {M(2025, 4), -1, "5560000001", "r4", "e4"},
                   {M(2025, 2), 5, "5560000001", "r2", "e2"}};
  std::vector<std::string> problems;
  const std::vector<Line> lines =
      Only(ComputeLines(p, Illustrative(), D(2025, 12, 31), &problems), Component::kInterpreter);
  EXPECT_THAT(Keys(lines), ElementsAre("case-1|INTERPRETER|2025-02"));
  EXPECT_THAT(Amounts(lines), ElementsAre(225000));  // 5 × 450 SEK
  EXPECT_THAT(problems, ::testing::UnorderedElementsAre(
                            "case-1: INTERPRETER 2025-03: 2 entries for the same month: none is paid",
                            "case-1: INTERPRETER 2025-01: the month is outside the service",
                            "case-1: INTERPRETER 2025-05: the month is outside the service",
                            "case-1: INTERPRETER 2025-04: negative hours (-1)"));
  // A month not started by as_of is not computed yet, and is not a problem.
  problems.clear();
  EXPECT_THAT(Only(ComputeLines(p, Illustrative(), D(2025, 1, 31), &problems),
                   Component::kInterpreter),
              IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// The whole participation.
// ---------------------------------------------------------------------------------------------

TEST(ComputeLines, WholeCaseIsSortedByKeyAndDeterministic) {
  Participation p = Case(Level::kB, D(2025, 1, 20));
  p.end = D(2025, 3, 10);
  p.end_event_id = "ev-end";
  p.interpreter = {{M(2025, 2), 2, "5560000001", "rep-2", "ev-rep-2"}};
  p.result = Result(D(2025, 3, 17));  // day 57
  const std::vector<Line> a = Compute(p, Illustrative(), D(2025, 12, 31));
  const std::vector<Line> b = Compute(p, Illustrative(), D(2025, 12, 31));
  EXPECT_THAT(Keys(a),
              ElementsAre("case-1|BASIC|2025-01", "case-1|BASIC|2025-02", "case-1|BASIC|2025-03",
                          "case-1|INTERPRETER|2025-02", "case-1|RESULT|ev-verify",
                          "case-1|SPEED_BONUS|ev-verify", "case-1|SUPPLEMENTARY|ev-verify"));
  EXPECT_THAT(Amounts(a), ElementsAre(220000, 220000, 220000, 90000, 1600000, 500000, 400000));
  EXPECT_EQ(Keys(a), Keys(b));
  EXPECT_EQ(Amounts(a), Amounts(b));
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].explanation, b[i].explanation);
}

// ---------------------------------------------------------------------------------------------
// Reconciliation.
// ---------------------------------------------------------------------------------------------

TEST(Keys, BaseAndVersion) {
  EXPECT_EQ(BaseKey("c|BASIC|2025-01"), "c|BASIC|2025-01");
  EXPECT_EQ(BaseKey("c|BASIC|2025-01#v3"), "c|BASIC|2025-01");
  EXPECT_EQ(BaseKey("c|BASIC|2025-01#rev2"), "c|BASIC|2025-01");
  EXPECT_EQ(KeyVersion("c|BASIC|2025-01"), 1);
  EXPECT_EQ(KeyVersion("c|BASIC|2025-01#v3"), 3);
  EXPECT_EQ(KeyVersion("c|BASIC|2025-01#rev2"), 2);
}

TEST(Money, FormatSek) {
  EXPECT_EQ(FormatSek(176000), "1 760,00 kr");
  EXPECT_EQ(FormatSek(12345), "123,45 kr");
  EXPECT_EQ(FormatSek(5), "0,05 kr");
  EXPECT_EQ(FormatSek(-220000), "-2 200,00 kr");
  EXPECT_EQ(FormatSek(123456789), "1 234 567,89 kr");
  EXPECT_EQ(FormatSek(0), "0,00 kr");
}

TEST(Reconcile, AddsOnlyMissingLinesAndReversesChangedOnes) {
  const TariffSet t = Illustrative();
  Participation p = Case(Level::kB, D(2025, 1, 1));
  // The ledger was written while the case was full time, for January and February.
  std::vector<Line> ledger = Compute(p, t, D(2025, 2, 1));
  ASSERT_THAT(Amounts(ledger), ElementsAre(220000, 220000));
  // February turns out to have had a parallel measure; March is new.
  p.parallel_measures.push_back({D(2025, 2, 10), D(2025, 2, 20), "ev-parallel"});
  const std::vector<Line> expected = Compute(p, t, D(2025, 3, 1));

  LedgerDiff diff = Reconcile(expected, EffectiveLines(ledger));
  EXPECT_THAT(Keys(diff.additions), ElementsAre("case-1|BASIC|2025-03"));
  EXPECT_THAT(Amounts(diff.additions), ElementsAre(220000));
  ASSERT_THAT(diff.corrections, SizeIs(1));
  const Correction& c = diff.corrections[0];
  EXPECT_EQ(c.reversal.idempotency_key, "case-1|BASIC|2025-02#rev1");
  EXPECT_EQ(c.reversal.reverses, "case-1|BASIC|2025-02");
  EXPECT_EQ(c.reversal.amount_ore, -220000);
  EXPECT_EQ(c.reversal.quantity, -1);
  EXPECT_EQ(c.reversal.organisation_number, "5560000001");
  EXPECT_EQ(c.reversal.period, M(2025, 2));
  EXPECT_EQ(c.reversal.explanation,
            "Rättelse: återföring av case-1|BASIC|2025-02 (belopp 2 200,00 kr → 1 760,00 kr, "
            "avdrag tillkommer)");
  EXPECT_EQ(c.replacement.idempotency_key, "case-1|BASIC|2025-02#v2");
  EXPECT_EQ(c.replacement.amount_ore, 176000);
  EXPECT_TRUE(c.replacement.cut);
  EXPECT_EQ(c.replacement.reverses, "");
  EXPECT_THAT(c.replacement.explanation, HasSubstr("ersätter case-1|BASIC|2025-02"));
  EXPECT_THAT(diff.unexpected, IsEmpty());
  EXPECT_THAT(diff.problems, IsEmpty());
  EXPECT_THAT(Keys(diff.ToAppend()),
              ElementsAre("case-1|BASIC|2025-03", "case-1|BASIC|2025-02#rev1",
                          "case-1|BASIC|2025-02#v2"));

  // Appended, the ledger sums to the expected amounts and reconciles to nothing.
  for (const Line& l : diff.ToAppend()) ledger.push_back(l);
  int64_t total = 0;
  for (const Line& l : ledger) total += l.amount_ore;
  EXPECT_EQ(total, 220000 + 176000 + 220000);
  const std::vector<Line> effective = EffectiveLines(ledger);
  EXPECT_THAT(Keys(effective), ElementsAre("case-1|BASIC|2025-01", "case-1|BASIC|2025-02#v2",
                                           "case-1|BASIC|2025-03"));
  EXPECT_TRUE(Reconcile(expected, effective).empty());

  // A second change of February reverses version 2 and writes version 3.
  p.providers = {{"5560000009", D(2025, 1, 1), std::nullopt, "ev-choose"}};
  diff = Reconcile(Compute(p, t, D(2025, 3, 1)), effective);
  EXPECT_THAT(diff.additions, IsEmpty());
  ASSERT_THAT(diff.corrections, SizeIs(3));  // every month changes provider
  EXPECT_EQ(diff.corrections[1].reversal.idempotency_key, "case-1|BASIC|2025-02#rev2");
  EXPECT_EQ(diff.corrections[1].reversal.reverses, "case-1|BASIC|2025-02#v2");
  EXPECT_EQ(diff.corrections[1].reversal.amount_ore, -176000);
  EXPECT_EQ(diff.corrections[1].replacement.idempotency_key, "case-1|BASIC|2025-02#v3");
  EXPECT_EQ(diff.corrections[1].replacement.organisation_number, "5560000009");
  EXPECT_THAT(diff.corrections[0].reversal.explanation,
              HasSubstr("leverantör 5560000001 → 5560000009"));
}

TEST(Reconcile, UnchangedLedgerGivesNothingAndExtraLinesAreListedNotReversed) {
  const TariffSet t = Illustrative();
  Participation p = Case(Level::kA, D(2025, 1, 1));
  const std::vector<Line> ledger = Compute(p, t, D(2025, 3, 1));
  EXPECT_TRUE(Reconcile(ledger, ledger).empty());
  // A back-dated end on 2025-02-15: March is no longer earned.
  p.end = D(2025, 2, 15);
  const LedgerDiff diff = Reconcile(Compute(p, t, D(2025, 3, 1)), EffectiveLines(ledger));
  EXPECT_TRUE(diff.empty());
  EXPECT_THAT(Keys(diff.unexpected), ElementsAre("case-1|BASIC|2025-03"));
}

TEST(Reconcile, TariffVersionChangeIsACorrection) {
  absl::StatusOr<TariffSet> old_tariffs = ParseTariffs(TariffText("v1", "2020-01-01"), "a");
  absl::StatusOr<TariffSet> new_tariffs = ParseTariffs(TariffText("v1b", "2020-01-01"), "b");
  ASSERT_TRUE(old_tariffs.ok() && new_tariffs.ok());
  const Participation p = Case(Level::kA, D(2025, 1, 1));
  const LedgerDiff diff =
      Reconcile(Compute(p, *new_tariffs, D(2025, 1, 1)), Compute(p, *old_tariffs, D(2025, 1, 1)));
  ASSERT_THAT(diff.corrections, SizeIs(1));
  EXPECT_EQ(diff.corrections[0].reversal.amount_ore, -180000);
  EXPECT_EQ(diff.corrections[0].replacement.amount_ore, 180000);
  EXPECT_THAT(diff.corrections[0].reversal.explanation, HasSubstr("tariff v1 → v1b"));
}

TEST(Reconcile, ReversalPassedAsEffectiveIsAProblem) {
  Line reversal;
  reversal.idempotency_key = "c|BASIC|2025-01#rev1";
  reversal.reverses = "c|BASIC|2025-01";
  const LedgerDiff diff = Reconcile({}, {reversal});
  EXPECT_THAT(diff.problems, ElementsAre(HasSubstr("not an effective line")));
  EXPECT_THAT(diff.unexpected, IsEmpty());
}

}  // namespace
}  // namespace rusta::compensation

namespace rusta::compensation {
namespace {

// Event ids carry '#' themselves ("<case>#<seq>"): only a trailing "#v<n>" / "#rev<n>" is a
// correction suffix.
TEST(Keys, EventIdsWithHashSignsAreNotCorrectionSuffixes) {
  EXPECT_EQ(BaseKey("case-1|RESULT|case-1#9"), "case-1|RESULT|case-1#9");
  EXPECT_EQ(KeyVersion("case-1|RESULT|case-1#9"), 1);
  EXPECT_EQ(BaseKey("case-1|RESULT|case-1#9#v2"), "case-1|RESULT|case-1#9");
  EXPECT_EQ(KeyVersion("case-1|RESULT|case-1#9#v2"), 2);
  EXPECT_EQ(BaseKey("case-1|RESULT|case-1#9#rev1"), "case-1|RESULT|case-1#9");
  EXPECT_EQ(KeyVersion("case-1|RESULT|case-1#9#rev3"), 3);
  EXPECT_EQ(BaseKey("case-1|RESULT|case-1#v"), "case-1|RESULT|case-1#v");  // no number: not a suffix
}

}  // namespace
}  // namespace rusta::compensation
