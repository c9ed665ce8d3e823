// Unit tests of the case rules (services/referral/domain/rules.h), each at its boundaries.
#include "services/referral/domain/rules.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rusta::referral {
namespace {

using ::testing::HasSubstr;
using D = absl::CivilDay;
using M = absl::CivilMonth;

constexpr char kOrg[] = "5560000001";
constexpr char kOtherOrg[] = "5560000002";

absl::StatusCode Code(const absl::Status& s) { return s.code(); }
template <typename T>
absl::StatusCode Code(const absl::StatusOr<T>& s) {
  return s.status().code();
}
template <typename T>
std::string Message(const absl::StatusOr<T>& s) {
  return std::string(s.status().message());
}
std::string Message(const absl::Status& s) { return std::string(s.message()); }

// A case decided 20 days and assigned 10 days before `start`, active from `start`, full time.
Case ActiveCase(D start) {
  Case c;
  c.case_id = "case-1";
  c.state = CaseState::kActive;
  c.level = Level::kB;
  c.decided_on = start - 20;
  c.choice_deadline = ChoiceDeadline(start - 20, ReferralRules{});
  c.providers.push_back({kOrg, ChoiceKind::kActive, start - 10, std::nullopt, {}});
  c.choice_kind = ChoiceKind::kActive;
  c.started_on = start;
  return c;
}

Case EndedCase(D start, D end) {
  Case c = ActiveCase(start);
  c.state = CaseState::kEnded;
  c.end_date = end;
  c.end_reason = EndReason::kWork;
  c.providers.back().ended_on = end;
  return c;
}

// --- Rules and calendar ------------------------------------------------------------------------

TEST(RulesTest, DefaultsAreDomainFiguresAndValid) {
  ReferralRules r;
  EXPECT_EQ(r.choice_deadline_days, 14);
  EXPECT_EQ(r.period_months, 6);
  EXPECT_EQ(r.maximum_months, 12);
  EXPECT_FALSE(r.pause_stops_clock);
  EXPECT_EQ(r.parallel_measure_max_months, 3);
  EXPECT_EQ(r.labour_market_training_max_months, 3);
  EXPECT_EQ(r.max_total_extent_percent, 100);
  EXPECT_EQ(r.result_report_window_months, 2);
  EXPECT_EQ(r.result_start_window_months, 2);
  EXPECT_EQ(r.result_min_duration_months, 4);
  EXPECT_TRUE(ValidateRules(r).ok());

  ReferralRules bad;
  bad.choice_deadline_days = 0;
  EXPECT_EQ(ValidateRules(bad).message(), "rules.choice_deadline_days: 0 must be positive");
  bad = ReferralRules{};
  bad.period_months = 13;
  EXPECT_EQ(Code(ValidateRules(bad)), absl::StatusCode::kInvalidArgument);
  bad = ReferralRules{};
  bad.maximum_months = 18;  // three periods
  EXPECT_EQ(Code(ValidateRules(bad)), absl::StatusCode::kInvalidArgument);
}

TEST(RulesTest, MonthArithmeticClampsToTheEndOfTheMonth) {
  EXPECT_EQ(AddMonths(D(2025, 1, 15), 1), D(2025, 2, 15));
  EXPECT_EQ(AddMonths(D(2025, 1, 31), 1), D(2025, 2, 28));
  EXPECT_EQ(AddMonths(D(2024, 1, 31), 1), D(2024, 2, 29));
  EXPECT_EQ(AddMonths(D(2025, 3, 31), -1), D(2025, 2, 28));
  EXPECT_EQ(AddMonths(D(2025, 11, 30), 3), D(2026, 2, 28));
  EXPECT_EQ(LastDayOfMonths(D(2025, 1, 15), 6), D(2025, 7, 14));
  EXPECT_EQ(LastDayOfMonths(D(2025, 1, 1), 12), D(2025, 12, 31));
  EXPECT_EQ(LastDayOfMonths(D(2025, 8, 31), 6), D(2026, 2, 27));
  EXPECT_EQ(DaysInMonth(M(2025, 2)), 28);
  EXPECT_EQ(DaysInMonth(M(2024, 2)), 29);
  EXPECT_EQ(DaysInMonth(M(2025, 12)), 31);
}

// --- Extent ------------------------------------------------------------------------------------

TEST(RulesTest, ExtentShapes) {
  ReferralRules r;
  EXPECT_TRUE(CheckExtent(Extent{}, {}, r).ok());  // full time 100 %
  Extent full{ExtentKind::kFullTime, 90, PartTimeReason::kUnspecified, "", 0};
  EXPECT_EQ(CheckExtent(full, {}, r).message(), "extent.percentage: full time is 100, not 90");
  Extent full_with_reason{ExtentKind::kFullTime, 100, PartTimeReason::kStudies, "", 0};
  EXPECT_EQ(Code(CheckExtent(full_with_reason, {}, r)), absl::StatusCode::kInvalidArgument);
  Extent part{ExtentKind::kPartTime, 50, PartTimeReason::kStudies, "", 0};
  EXPECT_TRUE(CheckExtent(part, {}, r).ok());
  part.percentage = 100;
  EXPECT_THAT(Message(CheckExtent(part, {}, r)), HasSubstr("extent.percentage"));
  part.percentage = 0;
  EXPECT_THAT(Message(CheckExtent(part, {}, r)), HasSubstr("extent.percentage"));
  part.percentage = 99;
  EXPECT_TRUE(CheckExtent(part, {}, r).ok());
  part.part_time_reason = PartTimeReason::kUnspecified;
  EXPECT_EQ(CheckExtent(part, {}, r).message(), "extent.part_time_reason: required for part time");
  part.part_time_reason = PartTimeReason::kOther;
  EXPECT_THAT(Message(CheckExtent(part, {}, r)), HasSubstr("extent.part_time_reason_text"));
  part.part_time_reason_text = "egen rörelse på deltid";
  EXPECT_TRUE(CheckExtent(part, {}, r).ok());
  part.available_hours_per_week = 41;
  EXPECT_THAT(Message(CheckExtent(part, {}, r)), HasSubstr("extent.available_hours_per_week"));
  part.available_hours_per_week = 40;
  EXPECT_TRUE(CheckExtent(part, {}, r).ok());
  EXPECT_EQ(Code(CheckExtent(Extent{ExtentKind::kUnspecified, 100, {}, "", 0}, {}, r)),
            absl::StatusCode::kInvalidArgument);
}

TEST(RulesTest, ReferralsTogetherNeverExceedHundredPercent) {
  ReferralRules r;
  Extent part{ExtentKind::kPartTime, 60, PartTimeReason::kOtherReferral, "", 0};
  EXPECT_TRUE(CheckExtent(part, {40}, r).ok());      // exactly 100
  EXPECT_TRUE(CheckExtent(part, {20, 20}, r).ok());  // exactly 100
  absl::Status s = CheckExtent(part, {41}, r);       // 101
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "case.extent: the person's referrals would total 101 % (this 60 % + others 41 %); at "
            "most 100 %");
  EXPECT_EQ(Code(CheckExtent(Extent{}, {1}, r)), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckExtent(Extent{}, {0}, r).ok());
  EXPECT_EQ(Code(CheckExtent(part, {-5}, r)), absl::StatusCode::kInvalidArgument);
}

// --- Choice ------------------------------------------------------------------------------------

TEST(RulesTest, ChoiceDeadlineDay14And15) {
  ReferralRules r;
  Case c;
  c.state = CaseState::kAwaitingChoice;
  c.decided_on = D(2025, 3, 1);
  c.choice_deadline = ChoiceDeadline(D(2025, 3, 1), r);
  EXPECT_EQ(*c.choice_deadline, D(2025, 3, 15));

  // Day 14: the participant may still choose; the default is not due.
  EXPECT_TRUE(CheckActiveChoice(c, D(2025, 3, 15), D(2025, 3, 15)).ok());
  EXPECT_FALSE(DefaultAssignmentDue(c, D(2025, 3, 15)));
  absl::Status s = CheckDefaultAssignment(c, D(2025, 3, 15));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "case.choice: the deadline 2025-03-15 has not passed");

  // Day 15: too late to choose; the default falls due.
  s = CheckActiveChoice(c, D(2025, 3, 16), D(2025, 3, 16));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "case.choice: the deadline 2025-03-15 has passed; the default assignment applies");
  EXPECT_TRUE(DefaultAssignmentDue(c, D(2025, 3, 16)));
  EXPECT_TRUE(CheckDefaultAssignment(c, D(2025, 3, 16)).ok());

  // Not due in another state (already assigned).
  c.state = CaseState::kAssigned;
  EXPECT_FALSE(DefaultAssignmentDue(c, D(2025, 3, 20)));

  // Before the decision.
  EXPECT_EQ(Code(CheckActiveChoice(c, D(2025, 2, 28), D(2025, 3, 1))), absl::StatusCode::kInvalidArgument);

  // Configurable.
  r.choice_deadline_days = 7;
  EXPECT_EQ(ChoiceDeadline(D(2025, 3, 1), r), D(2025, 3, 8));
}

// --- Start, clock, prolongation, pauses, end ---------------------------------------------------

TEST(RulesTest, StartNotBeforeAssignment) {
  Case c = ActiveCase(D(2025, 1, 15));
  c.state = CaseState::kAssigned;
  c.started_on.reset();
  EXPECT_TRUE(CheckStart(c, D(2025, 1, 5)).ok());  // assigned that day
  EXPECT_THAT(Message(CheckStart(c, D(2025, 1, 4))), HasSubstr("start_date: 2025-01-04"));
  c.providers.clear();
  EXPECT_EQ(Code(CheckStart(c, D(2025, 1, 15))), absl::StatusCode::kFailedPrecondition);
}

TEST(RulesTest, SixMonthsWithoutProlongation) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, r, D(2025, 3, 1));
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ(clock->period1_last_day, D(2025, 7, 14));
  EXPECT_EQ(clock->maximum_last_day, D(2026, 1, 14));
  EXPECT_EQ(clock->last_day, D(2025, 7, 14));
  EXPECT_EQ(PeriodOn(*clock, D(2025, 7, 14)), 1);
  EXPECT_FALSE(MaximumTimeDue(c, r, D(2025, 7, 14)));
  EXPECT_TRUE(MaximumTimeDue(c, r, D(2025, 7, 15)));
  // The end falls on the last day; MAXIMUM_TIME only then.
  EXPECT_TRUE(CheckEnd(c, EndReason::kMaximumTime, D(2025, 7, 14), r, D(2025, 7, 15)).ok());
  absl::Status s = CheckEnd(c, EndReason::kMaximumTime, D(2025, 7, 13), r, D(2025, 7, 13));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "case.end: the maximum time is reached on 2025-07-14");
  EXPECT_EQ(Code(CheckEnd(c, EndReason::kWork, D(2025, 7, 15), r, D(2025, 7, 15))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEnd(c, EndReason::kWork, D(2025, 7, 13), r, D(2025, 7, 13)).ok());
  EXPECT_EQ(Code(CheckEnd(c, EndReason::kUnspecified, D(2025, 7, 13), r, D(2025, 7, 13))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(CheckEnd(c, EndReason::kWork, D(2025, 1, 14), r, D(2025, 7, 13))),
            absl::StatusCode::kInvalidArgument);
  // An interrupted case is due too.
  c.state = CaseState::kInterrupted;
  EXPECT_TRUE(MaximumTimeDue(c, r, D(2025, 7, 15)));
  c.state = CaseState::kEnded;
  EXPECT_FALSE(MaximumTimeDue(c, r, D(2025, 7, 15)));
}

TEST(RulesTest, TwelveMonthsWithProlongation) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  // Prolongation is decided within period 1, up to its last day.
  EXPECT_TRUE(CheckProlong(c, D(2025, 7, 14), r).ok());
  absl::Status late = CheckProlong(c, D(2025, 7, 15), r);
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(late.message(),
            "case.prolong: period 1 ended on 2025-07-14; a prolongation is decided within it");
  EXPECT_EQ(Code(CheckProlong(c, D(2025, 1, 14), r)), absl::StatusCode::kInvalidArgument);

  c.prolonged = true;
  c.prolonged_on = D(2025, 6, 1);
  EXPECT_EQ(CheckProlong(c, D(2025, 6, 2), r).message(),
            "case.prolong: the case is already prolonged (at most two periods)");
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, r, D(2025, 8, 1));
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ(clock->last_day, D(2026, 1, 14));
  EXPECT_EQ(PeriodOn(*clock, D(2025, 7, 15)), 2);
  EXPECT_FALSE(MaximumTimeDue(c, r, D(2025, 7, 15)));
  EXPECT_FALSE(MaximumTimeDue(c, r, D(2026, 1, 14)));
  EXPECT_TRUE(MaximumTimeDue(c, r, D(2026, 1, 15)));
}

TEST(RulesTest, PauseDoesNotStopTheClockByDefault) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  c.prolonged = true;
  absl::StatusOr<Pause> pause = CheckPause(c, D(2025, 3, 1), r);
  ASSERT_TRUE(pause.ok()) << pause.status();
  EXPECT_FALSE(pause->stops_clock);
  c.pauses.push_back(*pause);
  EXPECT_TRUE(c.Paused());
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, r, D(2025, 3, 20));
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ(clock->period1_last_day, D(2025, 7, 14));
  EXPECT_EQ(clock->maximum_last_day, D(2026, 1, 14));
  EXPECT_EQ(clock->stopped_days, 0);
}

TEST(RulesTest, PauseStopsTheClockWhenTheRuleSaysSo) {
  ReferralRules r;
  r.pause_stops_clock = true;
  Case c = ActiveCase(D(2025, 1, 15));
  c.prolonged = true;
  absl::StatusOr<Pause> pause = CheckPause(c, D(2025, 3, 1), r);
  ASSERT_TRUE(pause.ok());
  EXPECT_TRUE(pause->stops_clock);
  c.pauses.push_back(*pause);

  // Open pause: counts up to today (2025-03-01..03-05 = 5 days).
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, r, D(2025, 3, 5));
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ(clock->stopped_days, 5);
  EXPECT_EQ(clock->period1_last_day, D(2025, 7, 19));
  EXPECT_EQ(clock->maximum_last_day, D(2026, 1, 19));

  // Resumed on 03-11: paused 03-01..03-10, 10 days.
  EXPECT_TRUE(CheckResume(c, D(2025, 3, 11)).ok());
  c.pauses.back().until = D(2025, 3, 10);
  clock = ComputeServiceClock(c, r, D(2025, 9, 1));
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ(clock->stopped_days, 10);
  EXPECT_EQ(clock->period1_last_day, D(2025, 7, 24));
  EXPECT_EQ(clock->maximum_last_day, D(2026, 1, 24));
  EXPECT_FALSE(MaximumTimeDue(c, r, D(2026, 1, 24)));
  EXPECT_TRUE(MaximumTimeDue(c, r, D(2026, 1, 25)));

  // A later clock-stopping pause in period 2 moves only the maximum.
  c.pauses.push_back(Pause{D(2025, 9, 1), D(2025, 9, 4), true});
  clock = ComputeServiceClock(c, r, D(2025, 10, 1));
  EXPECT_EQ(clock->period1_last_day, D(2025, 7, 24));
  EXPECT_EQ(clock->maximum_last_day, D(2026, 1, 28));

  // The pause keeps the rule it began under: switching the rule off moves nothing back.
  ReferralRules off;
  clock = ComputeServiceClock(c, off, D(2025, 10, 1));
  EXPECT_EQ(clock->maximum_last_day, D(2026, 1, 28));
}

TEST(RulesTest, PauseAndResumePreconditions) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  EXPECT_EQ(CheckResume(c, D(2025, 3, 1)).message(), "case.resume: the case is not paused");
  EXPECT_THAT(Message(CheckPause(c, D(2025, 1, 14), r)), HasSubstr("from_date: 2025-01-14"));
  EXPECT_EQ(Code(CheckPause(c, D(2025, 7, 15), r)), absl::StatusCode::kInvalidArgument);  // after
  c.pauses.push_back(Pause{D(2025, 3, 1), std::nullopt, false});
  absl::StatusOr<Pause> again = CheckPause(c, D(2025, 3, 5), r);
  EXPECT_EQ(Code(again), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(again), "case.pause: the case is already paused since 2025-03-01");
  EXPECT_EQ(Code(CheckResume(c, D(2025, 3, 1))), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckResume(c, D(2025, 3, 2)).ok());
  c.pauses.back().until = D(2025, 3, 10);
  EXPECT_EQ(Code(CheckPause(c, D(2025, 3, 10), r)), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckPause(c, D(2025, 3, 11), r).ok());
  Case not_started = ActiveCase(D(2025, 1, 15));
  not_started.started_on.reset();
  EXPECT_EQ(Code(CheckPause(not_started, D(2025, 3, 1), r)), absl::StatusCode::kFailedPrecondition);
}

TEST(RulesTest, InterruptWithinParticipation) {
  Case c = ActiveCase(D(2025, 1, 15));
  EXPECT_TRUE(CheckInterrupt(c, D(2025, 3, 1), "upprepad frånvaro", D(2025, 3, 2)).ok());
  EXPECT_EQ(CheckInterrupt(c, D(2025, 3, 1), "", D(2025, 3, 2)).message(), "reason: required");
  EXPECT_EQ(Code(CheckInterrupt(c, D(2025, 3, 3), "x", D(2025, 3, 2))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(CheckInterrupt(c, D(2025, 1, 14), "x", D(2025, 3, 2))),
            absl::StatusCode::kInvalidArgument);
}

TEST(RulesTest, EndOfANeverStartedCase) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  c.state = CaseState::kAssigned;
  c.started_on.reset();
  EXPECT_TRUE(CheckEnd(c, EndReason::kDeregistered, D(2025, 1, 5), r, D(2025, 1, 6)).ok());
  EXPECT_EQ(Code(CheckEnd(c, EndReason::kDeregistered, D(2025, 1, 4), r, D(2025, 1, 6))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(CheckEnd(c, EndReason::kMaximumTime, D(2025, 1, 5), r, D(2025, 1, 6))),
            absl::StatusCode::kFailedPrecondition);
}

// --- Parallel measures -------------------------------------------------------------------------

ParallelMeasure Measure(ParallelMeasureKind kind, D start, D end) {
  return ParallelMeasure{kind, start, end, 50};
}

TEST(RulesTest, ParallelMeasureAtMostThreeMonths) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  const D today(2025, 2, 1);
  // 2025-02-01 + 3 months: up to and including 2025-04-30.
  absl::StatusOr<ParallelMeasureOutcome> out = CheckParallelMeasure(
      c, Measure(ParallelMeasureKind::kWorkPlacement, D(2025, 2, 1), D(2025, 4, 29)), r, today);
  ASSERT_TRUE(out.ok());
  out = CheckParallelMeasure(
      c, Measure(ParallelMeasureKind::kWorkPlacement, D(2025, 2, 1), D(2025, 4, 30)), r, today);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->ends_participation);
  out = CheckParallelMeasure(
      c, Measure(ParallelMeasureKind::kValidation, D(2025, 2, 1), D(2025, 5, 1)), r, today);
  EXPECT_EQ(Code(out), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(out),
            "measure.dates: a parallel measure lasts at most 3 months: from 2025-02-01 it ends on "
            "2025-04-30 at the latest, not 2025-05-01");
}

TEST(RulesTest, ParallelMeasureNeverSfi) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  absl::StatusOr<ParallelMeasureOutcome> out = CheckParallelMeasure(
      c, Measure(ParallelMeasureKind::kSfi, D(2025, 2, 1), D(2025, 2, 28)), r, D(2025, 2, 1));
  EXPECT_EQ(Code(out), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(out), "measure.kind: SFI is never a parallel measure");
}

TEST(RulesTest, ParallelMeasureFieldChecks) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  const D today(2025, 2, 1);
  ParallelMeasure m = Measure(ParallelMeasureKind::kUnspecified, D(2025, 2, 1), D(2025, 2, 28));
  EXPECT_EQ(Message(CheckParallelMeasure(c, m, r, today)), "measure.kind: required");
  m.kind = ParallelMeasureKind::kOther;
  m.end.reset();
  EXPECT_EQ(Message(CheckParallelMeasure(c, m, r, today)), "measure.dates.end: required");
  m.end = D(2025, 1, 31);
  EXPECT_THAT(Message(CheckParallelMeasure(c, m, r, today)), HasSubstr("measure.dates.end"));
  m.end = D(2025, 2, 28);
  m.percentage = 0;
  EXPECT_THAT(Message(CheckParallelMeasure(c, m, r, today)), HasSubstr("measure.percentage"));
  m.percentage = 100;
  EXPECT_TRUE(CheckParallelMeasure(c, m, r, today).ok());
  m.start = D(2025, 1, 14);  // before the service
  EXPECT_THAT(Message(CheckParallelMeasure(c, m, r, today)), HasSubstr("measure.dates.start"));
}

TEST(RulesTest, LabourMarketTrainingOverThreeMonthsEndsTheParticipation) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  const D today(2025, 3, 1);
  absl::StatusOr<ParallelMeasureOutcome> out = CheckParallelMeasure(
      c, Measure(ParallelMeasureKind::kLabourMarketTraining, D(2025, 3, 1), D(2025, 5, 31)), r,
      today);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->ends_participation);  // exactly 3 months: an ordinary parallel measure
  out = CheckParallelMeasure(
      c, Measure(ParallelMeasureKind::kLabourMarketTraining, D(2025, 3, 1), D(2025, 6, 1)), r,
      today);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->ends_participation);
  EXPECT_EQ(out->participation_last_day, D(2025, 2, 28));
  // Starting on the service's first day: the participation's last day is that day.
  out = CheckParallelMeasure(
      c, Measure(ParallelMeasureKind::kLabourMarketTraining, D(2025, 1, 15), D(2025, 12, 1)), r,
      today);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->participation_last_day, D(2025, 1, 15));
}

// --- Provider changes --------------------------------------------------------------------------

TEST(RulesTest, ProviderChangeFlagAtTheThreshold) {
  ReferralRules r;  // 3 changes within 6 months
  Case c = ActiveCase(D(2025, 1, 1));
  auto change = [&](D day, const char* org) {
    c.providers.back().ended_on = day;
    c.providers.push_back(
        {org, ChoiceKind::kChange, day, std::nullopt, ProviderChangeReason::kParticipantRequest});
  };
  change(D(2025, 1, 10), kOtherOrg);
  change(D(2025, 3, 1), kOrg);
  EXPECT_EQ(ProviderChangeCount(c), 2);
  EXPECT_FALSE(FrequentProviderChanges(c, D(2025, 3, 1), r));  // 2 < 3

  Case exactly = c;
  std::swap(c, exactly);
  change(D(2025, 7, 10), kOtherOrg);  // exactly 6 months after the first
  EXPECT_EQ(ProviderChangeCount(c), 3);
  EXPECT_TRUE(FrequentProviderChanges(c, D(2025, 7, 10), r));

  std::swap(c, exactly);
  change(D(2025, 7, 11), kOtherOrg);  // a day later: the first is outside the window
  EXPECT_FALSE(FrequentProviderChanges(c, D(2025, 7, 11), r));

  r.frequent_change_count = 2;
  EXPECT_TRUE(FrequentProviderChanges(c, D(2025, 7, 11), r));
}

TEST(RulesTest, ProviderChangeChecks) {
  Case c = ActiveCase(D(2025, 1, 15));
  EXPECT_TRUE(CheckProviderChange(c, kOtherOrg, D(2025, 2, 1)).ok());
  EXPECT_EQ(CheckProviderChange(c, kOrg, D(2025, 2, 1)).message(),
            "organisation_number: is the current provider");
  EXPECT_EQ(Code(CheckProviderChange(c, "", D(2025, 2, 1))), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(CheckProviderChange(c, kOtherOrg, D(2025, 1, 4))),
            absl::StatusCode::kInvalidArgument);
  c.providers.back().ended_on = D(2025, 2, 1);
  EXPECT_EQ(Code(CheckProviderChange(c, kOtherOrg, D(2025, 2, 1))),
            absl::StatusCode::kFailedPrecondition);
}

// --- Provider reports --------------------------------------------------------------------------

TEST(RulesTest, WhoMaySubmitWhichReportWhen) {
  Case c = ActiveCase(D(2025, 1, 15));
  for (ReportKind k : {ReportKind::kMonthly, ReportKind::kDeviation, ReportKind::kInformative,
                       ReportKind::kInterruptionRequest, ReportKind::kSupportedEmploymentRequest}) {
    EXPECT_TRUE(CheckReportSubmission(c, k, kOrg).ok()) << ReportKindName(k);
    absl::Status s = CheckReportSubmission(c, k, kOtherOrg);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(s.message(), "report.provider: 5560000002 is not the case's current provider");
  }
  absl::Status s = CheckReportSubmission(c, ReportKind::kFinal, kOrg);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "case.report: FINAL is not accepted in ACTIVE");

  Case ended = EndedCase(D(2025, 1, 15), D(2025, 5, 31));
  EXPECT_TRUE(CheckReportSubmission(ended, ReportKind::kFinal, kOrg).ok());
  EXPECT_TRUE(CheckReportSubmission(ended, ReportKind::kMonthly, kOrg).ok());
  EXPECT_THAT(Message(CheckReportSubmission(ended, ReportKind::kFinal, kOtherOrg)),
              HasSubstr("last provider"));
  EXPECT_EQ(Code(CheckReportSubmission(ended, ReportKind::kDeviation, kOrg)),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Code(CheckReportSubmission(ended, ReportKind::kInterruptionRequest, kOrg)),
            absl::StatusCode::kFailedPrecondition);

  // A former provider may see the case but not report on it while another is current.
  c.providers.back().ended_on = D(2025, 3, 1);
  c.providers.push_back({kOtherOrg, ChoiceKind::kChange, D(2025, 3, 1), std::nullopt, {}});
  EXPECT_TRUE(ProviderMayView(c, kOrg));
  EXPECT_FALSE(ProviderMayView(c, "5560000003"));
  EXPECT_EQ(Code(CheckReportSubmission(c, ReportKind::kMonthly, kOrg)),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckReportSubmission(c, ReportKind::kMonthly, kOtherOrg).ok());

  Case assigned = ActiveCase(D(2025, 1, 15));
  assigned.state = CaseState::kAssigned;
  EXPECT_EQ(Code(CheckReportSubmission(assigned, ReportKind::kMonthly, kOrg)),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RulesTest, WholeHoursOnly) {
  EXPECT_EQ(*WholeHours(3.0, "hours"), 3);
  EXPECT_EQ(*WholeHours(0.0, "hours"), 0);
  absl::StatusOr<int> h = WholeHours(2.5, "activities[0].hours");
  EXPECT_EQ(Code(h), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(h), "activities[0].hours: 2.5 is not a whole number of hours");
  EXPECT_EQ(Message(WholeHours(-1.0, "hours")), "hours: -1 is negative");
  EXPECT_EQ(Code(WholeHours(0.0001, "hours")), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(WholeHours(std::nan(""), "hours")), absl::StatusCode::kInvalidArgument);
}

TEST(RulesTest, PossibleHoursOfAMonth) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  EXPECT_EQ(PossibleHours(c, M(2025, 3), r), 178);  // ceil(40 × 31 / 7)
  EXPECT_EQ(PossibleHours(c, M(2025, 4), r), 172);  // ceil(40 × 30 / 7)
  EXPECT_EQ(PossibleHours(c, M(2025, 2), r), 160);  // 40 × 4
  EXPECT_EQ(PossibleHours(c, M(2025, 1), r), 98);   // 15..31 January: ceil(40 × 17 / 7)
  EXPECT_EQ(PossibleHours(c, M(2024, 12), r), 0);
  c.extent = Extent{ExtentKind::kPartTime, 50, PartTimeReason::kStudies, "", 0};
  EXPECT_EQ(PossibleHours(c, M(2025, 2), r), 80);
  EXPECT_EQ(PossibleHours(c, M(2025, 3), r), 89);  // ceil(88.57)
  c.extent.available_hours_per_week = 20;
  EXPECT_EQ(PossibleHours(c, M(2025, 2), r), 40);
  c.end_date = D(2025, 2, 14);  // ended mid-month: 14 days
  EXPECT_EQ(PossibleHours(c, M(2025, 2), r), 20);
}

MonthlyReport Report(M month, std::vector<ActivityHours> activities) {
  MonthlyReport report;
  report.month = month;
  report.activities = std::move(activities);
  return report;
}

TEST(RulesTest, MonthlyReportHours) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  const D today(2025, 4, 2);
  using A = ActivityCategory;
  // Negative.
  absl::StatusOr<int> rev = CheckMonthlyReport(
      c, Report(M(2025, 3), {{A::kIndividualMeeting, 2}, {A::kMapping, -1}}), {}, 0, today, r);
  EXPECT_EQ(Code(rev), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(rev), "activities[1].hours: -1 is negative");
  // Zero hours is a valid entry.
  EXPECT_TRUE(CheckMonthlyReport(c, Report(M(2025, 3), {{A::kMapping, 0}}), {}, 0, today, r).ok());
  // At and over the month's possible hours (March: 178).
  rev = CheckMonthlyReport(c, Report(M(2025, 3), {{A::kOwnWorkPerPlan, 170}, {A::kInformation, 8}}),
                           {}, 0, today, r);
  ASSERT_TRUE(rev.ok()) << rev.status();
  EXPECT_EQ(*rev, 1);
  rev = CheckMonthlyReport(c, Report(M(2025, 3), {{A::kOwnWorkPerPlan, 170}, {A::kInformation, 9}}),
                           {}, 0, today, r);
  EXPECT_EQ(Code(rev), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(rev),
            "activities: 179 hours in total exceed the 178 possible hours of 2025-03");
  // Part time 50 %: February 80.
  c.extent = Extent{ExtentKind::kPartTime, 50, PartTimeReason::kStudies, "", 0};
  EXPECT_TRUE(
      CheckMonthlyReport(c, Report(M(2025, 2), {{A::kPracticalSupport, 80}}), {}, 0, today, r)
          .ok());
  EXPECT_EQ(Code(CheckMonthlyReport(c, Report(M(2025, 2), {{A::kPracticalSupport, 81}}), {}, 0,
                                    today, r)),
            absl::StatusCode::kInvalidArgument);
  // Category unknown or twice.
  EXPECT_THAT(
      Message(CheckMonthlyReport(c, Report(M(2025, 2), {{A::kUnspecified, 1}}), {}, 0, today, r)),
      HasSubstr("activities[0].category"));
  EXPECT_THAT(Message(CheckMonthlyReport(c, Report(M(2025, 2), {{static_cast<A>(14), 1}}), {}, 0,
                                         today, r)),
              HasSubstr("activities[0].category: 14"));
  EXPECT_THAT(Message(CheckMonthlyReport(
                  c, Report(M(2025, 2), {{A::kMapping, 1}, {A::kMapping, 2}}), {}, 0, today, r)),
              HasSubstr("activities[1].category"));
  // Interpreter hours and meetings.
  MonthlyReport m = Report(M(2025, 2), {{A::kMapping, 1}});
  m.interpreter_hours = -1;
  EXPECT_THAT(Message(CheckMonthlyReport(c, m, {}, 0, today, r)), HasSubstr("interpreter_hours"));
  m.interpreter_hours = 2;
  m.meetings = 2;
  m.in_person_meetings = 3;
  EXPECT_THAT(Message(CheckMonthlyReport(c, m, {}, 0, today, r)), HasSubstr("in_person_meetings"));
  m.in_person_meetings = 1;
  EXPECT_TRUE(CheckMonthlyReport(c, m, {}, 0, today, r).ok());
}

TEST(RulesTest, MonthlyReportMonthWithinParticipation) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  const MonthlyReport dec = Report(M(2024, 12), {});
  absl::StatusOr<int> rev = CheckMonthlyReport(c, dec, {}, 0, D(2025, 4, 2), r);
  EXPECT_EQ(Code(rev), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(rev), "month: 2024-12 is outside the participation (2025-01..2025-04)");
  EXPECT_TRUE(CheckMonthlyReport(c, Report(M(2025, 1), {}), {}, 0, D(2025, 4, 2), r).ok());
  EXPECT_TRUE(CheckMonthlyReport(c, Report(M(2025, 4), {}), {}, 0, D(2025, 4, 2), r).ok());
  EXPECT_EQ(Code(CheckMonthlyReport(c, Report(M(2025, 5), {}), {}, 0, D(2025, 4, 30), r)),
            absl::StatusCode::kInvalidArgument);  // the future
  // Ended in May: May is the last month, reported in July.
  Case ended = EndedCase(D(2025, 1, 15), D(2025, 5, 20));
  EXPECT_TRUE(CheckMonthlyReport(ended, Report(M(2025, 5), {}), {}, 0, D(2025, 7, 1), r).ok());
  EXPECT_EQ(Code(CheckMonthlyReport(ended, Report(M(2025, 6), {}), {}, 0, D(2025, 7, 1), r)),
            absl::StatusCode::kInvalidArgument);
}

TEST(RulesTest, OneMonthlyReportPerMonthCorrectionsAreNewRevisions) {
  ReferralRules r;
  Case c = ActiveCase(D(2025, 1, 15));
  const D today(2025, 4, 2);
  const MonthlyReport march = Report(M(2025, 3), {{ActivityCategory::kIndividualMeeting, 3}});
  const std::vector<ReportedMonth> reported = {{M(2025, 2), 1, 4}, {M(2025, 3), 2, 7}};
  // Duplicate month without naming the current version.
  absl::StatusOr<int> rev = CheckMonthlyReport(c, march, reported, 0, today, r);
  EXPECT_EQ(Code(rev), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Message(rev),
            "report.month: 2025-03 is already reported (version 7); send a correction with "
            "expected_version 7");
  // A correction of the current version: revision 3.
  rev = CheckMonthlyReport(c, march, reported, 7, today, r);
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(*rev, 3);
  // Stale version.
  EXPECT_EQ(Code(CheckMonthlyReport(c, march, reported, 6, today, r)), absl::StatusCode::kAborted);
  // A "correction" of a month never reported.
  EXPECT_EQ(Code(CheckMonthlyReport(c, Report(M(2025, 1), {}), reported, 3, today, r)),
            absl::StatusCode::kAborted);
}

TEST(RulesTest, DeviationReports) {
  Case c = ActiveCase(D(2025, 1, 15));
  const D today(2025, 3, 10);
  for (int code : {15, 16, 17, 18, 19, 20, 21, 22, 26, 27}) {
    EXPECT_TRUE(IsKnownDeviationCode(static_cast<DeviationCode>(code))) << code;
  }
  for (int code : {0, 1, 14, 23, 24, 25, 28}) {
    EXPECT_FALSE(IsKnownDeviationCode(static_cast<DeviationCode>(code))) << code;
  }
  DeviationReport d{DeviationCode::kSick, D(2025, 3, 3), absl::CivilSecond(2025, 3, 3, 9, 0, 0),
                    absl::CivilSecond(2025, 3, 4, 17, 0, 0)};
  EXPECT_TRUE(CheckDeviationReport(c, d, today).ok());
  d.span_end = d.span_start;  // end may equal start
  EXPECT_TRUE(CheckDeviationReport(c, d, today).ok());

  DeviationReport bad = d;
  bad.code = static_cast<DeviationCode>(23);
  EXPECT_EQ(CheckDeviationReport(c, bad, today).message(),
            "report.code: 23 is not a deviation code");
  bad = d;
  bad.span_end = absl::CivilSecond(2025, 3, 3, 8, 59, 59);
  EXPECT_EQ(CheckDeviationReport(c, bad, today).message(), "report.span_end: before span_start");
  bad = d;
  bad.date = D(2025, 3, 5);
  EXPECT_THAT(Message(CheckDeviationReport(c, bad, today)), HasSubstr("report.date"));
  // Before the start, and after today.
  bad =
      DeviationReport{DeviationCode::kWork, D(2025, 1, 14), absl::CivilSecond(2025, 1, 14, 9, 0, 0),
                      absl::CivilSecond(2025, 1, 14, 10, 0, 0)};
  EXPECT_THAT(Message(CheckDeviationReport(c, bad, today)),
              HasSubstr("report.span_start: 2025-01-14"));
  bad =
      DeviationReport{DeviationCode::kWork, D(2025, 3, 10), absl::CivilSecond(2025, 3, 10, 9, 0, 0),
                      absl::CivilSecond(2025, 3, 11, 10, 0, 0)};
  EXPECT_THAT(Message(CheckDeviationReport(c, bad, today)),
              HasSubstr("report.span_end: 2025-03-11"));
}

// --- Results -----------------------------------------------------------------------------------

TEST(RulesTest, ResultReportingWindowTwoMonthsAfterTheEnd) {
  ReferralRules r;
  // End 2025-01-15: deadline 2025-03-15 (59 days later: two calendar months, not 60 days).
  Case c = EndedCase(D(2024, 8, 1), D(2025, 1, 15));
  EXPECT_EQ(ResultReportDeadline(D(2025, 1, 15), r), D(2025, 3, 15));
  EXPECT_EQ(D(2025, 3, 15) - D(2025, 1, 15), 59);
  const ResultReport work{ResultKind::kWork, D(2025, 2, 1), std::nullopt, 100};
  EXPECT_TRUE(CheckResultReport(c, work, D(2025, 3, 15), r).ok());
  absl::Status late = CheckResultReport(c, work, D(2025, 3, 16), r);
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(late.message(),
            "case.result: the reporting window closed on 2025-03-15 (2 months after the end "
            "2025-01-15)");
  // End 2025-06-30: 61 days to 2025-08-30. End of December: clamped to the end of February.
  EXPECT_EQ(ResultReportDeadline(D(2025, 6, 30), r), D(2025, 8, 30));
  EXPECT_EQ(D(2025, 8, 30) - D(2025, 6, 30), 61);
  EXPECT_EQ(ResultReportDeadline(D(2025, 12, 31), r), D(2026, 2, 28));
  Case dec = EndedCase(D(2025, 1, 2), D(2025, 12, 31));
  const ResultReport studies{ResultKind::kStudies, D(2026, 1, 10), std::nullopt, 100};
  EXPECT_TRUE(CheckResultReport(dec, studies, D(2026, 2, 28), r).ok());
  EXPECT_EQ(Code(CheckResultReport(dec, studies, D(2026, 3, 1), r)),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RulesTest, ResultReportFields) {
  ReferralRules r;
  Case c = EndedCase(D(2024, 8, 1), D(2025, 1, 15));
  const D on(2025, 2, 1);
  // Start no later than 2 months after the end.
  EXPECT_TRUE(
      CheckResultReport(c, {ResultKind::kWork, D(2025, 3, 15), std::nullopt, 100}, on, r).ok());
  absl::Status s =
      CheckResultReport(c, {ResultKind::kWork, D(2025, 3, 16), std::nullopt, 100}, on, r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "start_date: 2025-03-16 is after 2025-03-15 (2 months after the end)");
  // Work that began during the participation counts; before it, not.
  EXPECT_TRUE(
      CheckResultReport(c, {ResultKind::kWork, D(2024, 12, 1), std::nullopt, 100}, on, r).ok());
  EXPECT_THAT(
      Message(CheckResultReport(c, {ResultKind::kWork, D(2024, 7, 31), std::nullopt, 100}, on, r)),
      HasSubstr("start_date"));
  EXPECT_EQ(
      CheckResultReport(c, {ResultKind::kUnspecified, D(2025, 2, 1), std::nullopt, 100}, on, r)
          .message(),
      "kind: WORK or STUDIES required");
  EXPECT_THAT(
      Message(CheckResultReport(c, {ResultKind::kWork, D(2025, 2, 1), std::nullopt, 0}, on, r)),
      HasSubstr("percentage"));
  EXPECT_THAT(
      Message(CheckResultReport(c, {ResultKind::kWork, D(2025, 2, 1), D(2025, 1, 31), 100}, on, r)),
      HasSubstr("end_date"));
  Case open = ActiveCase(D(2024, 8, 1));
  EXPECT_EQ(
      Code(CheckResultReport(open, {ResultKind::kWork, D(2025, 2, 1), std::nullopt, 100}, on, r)),
      absl::StatusCode::kFailedPrecondition);
}

TEST(RulesTest, ResultCountsWhenStartedInTimeAndLastedFourMonths) {
  ReferralRules r;
  const D end(2025, 1, 15);
  const D start(2025, 3, 15);  // the latest start that counts
  EXPECT_EQ(ResultVerificationDueOn(start, r), D(2025, 7, 15));
  // Ongoing: counts once it has lasted through 2025-07-14.
  EXPECT_EQ(EvaluateResult(end, start, std::nullopt, D(2025, 7, 14), r), ResultVerdict::kCounts);
  EXPECT_EQ(EvaluateResult(end, start, std::nullopt, D(2025, 7, 13), r),
            ResultVerdict::kNotYetKnown);
  // A known end.
  EXPECT_EQ(EvaluateResult(end, start, D(2025, 7, 14), D(2025, 9, 1), r), ResultVerdict::kCounts);
  EXPECT_EQ(EvaluateResult(end, start, D(2025, 7, 13), D(2025, 9, 1), r), ResultVerdict::kTooShort);
  EXPECT_EQ(EvaluateResult(end, start, D(2025, 12, 31), D(2025, 7, 1), r),
            ResultVerdict::kNotYetKnown);
  // Started a day too late.
  EXPECT_EQ(EvaluateResult(end, D(2025, 3, 16), std::nullopt, D(2026, 1, 1), r),
            ResultVerdict::kStartedTooLate);
}

// --- Handling time -----------------------------------------------------------------------------

TEST(RulesTest, HandlingTimeFromTheHistory) {
  const absl::Time t0 = absl::FromUnixSeconds(1'735'700'000);
  Case c;
  c.history = {
      {Transition::kCreate, CaseState::kNone, CaseState::kRegistered, Role::kCaseworker, t0},
      {Transition::kAttachAssessment, CaseState::kRegistered, CaseState::kAssessed,
       Role::kCaseworker, t0 + absl::Minutes(5)},
      {Transition::kDecide, CaseState::kAssessed, CaseState::kDecided, Role::kCaseworker,
       t0 + absl::Minutes(70)},
      {Transition::kOpenChoice, CaseState::kDecided, CaseState::kAwaitingChoice, Role::kCaseworker,
       t0 + absl::Minutes(70)},
      {Transition::kAssignDefaultProvider, CaseState::kAwaitingChoice, CaseState::kAssigned,
       Role::kService, t0 + absl::Hours(24 * 15)},
  };
  HandlingTime h = ComputeHandlingTime(c, t0 + absl::Minutes(12));
  EXPECT_EQ(h.before_decision, absl::Minutes(12));
  EXPECT_EQ(h.in_decision, absl::Minutes(58));
  EXPECT_EQ(h.after_decision, absl::Hours(24 * 15) - absl::Minutes(70));

  // Without a claim: before = creation → decision; in decision unknown.
  h = ComputeHandlingTime(c, std::nullopt);
  EXPECT_EQ(h.before_decision, absl::Minutes(70));
  EXPECT_FALSE(h.in_decision.has_value());
  // A claim after the decision is ignored.
  h = ComputeHandlingTime(c, t0 + absl::Minutes(80));
  EXPECT_FALSE(h.in_decision.has_value());

  // Not referred: no "after decision".
  c.history.resize(3);
  c.history[2].transition = Transition::kNotRefer;
  h = ComputeHandlingTime(c, t0 + absl::Minutes(12));
  EXPECT_EQ(h.in_decision, absl::Minutes(58));
  EXPECT_FALSE(h.after_decision.has_value());

  // Not decided yet.
  c.history.resize(2);
  h = ComputeHandlingTime(c, std::nullopt);
  EXPECT_FALSE(h.before_decision.has_value());
  EXPECT_FALSE(h.in_decision.has_value());
}

}  // namespace
}  // namespace rusta::referral
