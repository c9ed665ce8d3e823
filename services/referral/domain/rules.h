#pragma once
// The rules of a case beyond "which state, which role" (state_machine.h): deadlines, the service
// clock, pauses, parallel measures, extent, provider changes, provider reports, results and
// handling time (domain.md sections 3, 5, 6 and 11). Pure functions over a Case; no I/O, no clock
// of their own: "today" is always a parameter.
//
// Status codes and messages:
//   INVALID_ARGUMENT    "<field>: <reason>"  a value that is wrong whatever the case holds
//                       (negative hours, a date outside the participation, SFI as a parallel
//                       measure, a measure longer than 3 months);
//   FAILED_PRECONDITION "case.<rule>: <reason>"  the request is well formed but the case (or the
//                       person's other referrals) does not allow it now (deadline passed, already
//                       paused, already prolonged, referrals above 100 %);
//   PERMISSION_DENIED   "report.provider: ..."  a provider that is not the one entitled to report;
//   ALREADY_EXISTS / ABORTED  for a monthly report of a month already reported / a stale version.
//
// Month arithmetic (used for every "N months" below). AddMonths(d, n) is the same day of the month
// n months later, or the last day of that month when it is shorter (2025-01-31 + 1 = 2025-02-28,
// as in lag (1930:173) om beräkning av lagstadgad tid). A span of n months starting on day S covers
// S .. AddMonths(S, n) - 1 day, both inclusive: 6 months from 2025-01-15 is 2025-01-15..2025-07-14.
// Because of the clamping, spans that start on the 29th–31st may be a day or two shorter than those
// that start on the 28th (6 months from 2025-08-31 end on 2026-02-27).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/referral/domain/case_types.h"

namespace rusta::referral {

// The configurable parameters. Every default is domain.md's (configurable) figure; the values in
// force come from versioned configuration, and `version` is recorded with every decision taken
// under them (Decision.rule_version, CasePause.rule_version, CaseResult.rule_version).
struct ReferralRules {
  std::string version = "referral-rules/1";

  // Choice of provider: the last day of the choice is decided_on + choice_deadline_days (14
  // calendar days). The participant may choose up to and including that day; the default
  // assignment falls due the day after.
  int choice_deadline_days = 14;

  // Service time: period 1 of period_months; period 2 (after a PROLONG decision) runs to
  // maximum_months from the start. At most two periods.
  int period_months = 6;
  int maximum_months = 12;
  // Whether a pause stops the maximum-time clock (domain.md: it does not, unless a rule says so).
  bool pause_stops_clock = false;

  // A parallel measure (insats hos annan aktör) lasts at most this long; never SFI.
  int parallel_measure_max_months = 3;
  // Labour-market training (AUB) longer than this ends the participation.
  int labour_market_training_max_months = 3;

  // A person's concurrent referrals together never exceed this (whole percent).
  int max_total_extent_percent = 100;
  // Arbetsutbud when the extent does not give one: full time, hours per week. Also the upper
  // bound of Extent::available_hours_per_week.
  int full_time_hours_per_week = 40;

  // Provider changes: frequent_change_count changes within frequent_change_window_months flag the
  // case for a caseworker.
  int frequent_change_count = 3;
  int frequent_change_window_months = 6;

  // Results: reported at the latest result_report_window_months after the end; count when they
  // started no later than result_start_window_months after the end and lasted at least
  // result_min_duration_months.
  int result_report_window_months = 2;
  int result_start_window_months = 2;
  int result_min_duration_months = 4;

  // How far back a client may date a decision or a choice (a late registration of what was decided
  // on paper); further back is refused rather than silently rewriting deadlines that already ran.
  int backdating_window_days = 30;
};

// A date a client gives for a fact (a decision, a choice): INVALID_ARGUMENT "<field>: ..." when it
// lies after `today`, before `not_before` (the fact it rests on, e.g. the assessment), or further
// back than rules.backdating_window_days.
absl::Status CheckClientDate(absl::CivilDay date, absl::CivilDay today, std::optional<absl::CivilDay> not_before,
                             const char* not_before_what, const char* field, const ReferralRules& rules);

// INVALID_ARGUMENT "rules.<field>: <reason>" for a configuration that makes no sense (zero or
// negative lengths, period longer than the maximum, ...).
absl::Status ValidateRules(const ReferralRules& rules);

// ---------------------------------------------------------------------------------------------
// Calendar.
// ---------------------------------------------------------------------------------------------

int DaysInMonth(absl::CivilMonth month);
// See the header comment: same day n months later, clamped to the end of the month; n may be < 0.
absl::CivilDay AddMonths(absl::CivilDay day, int months);
// The last day of a span of `months` months starting on `start`: AddMonths(start, months) - 1.
absl::CivilDay LastDayOfMonths(absl::CivilDay start, int months);

// ---------------------------------------------------------------------------------------------
// Decision: extent (omfattning).
// ---------------------------------------------------------------------------------------------

// The extent itself (INVALID_ARGUMENT "extent.<field>: ...": full time is 100 % without a part-time
// reason; part time is 1..99 % with a reason, OTHER with a text; available hours 0 (= default) or
// 1..full_time_hours_per_week), then the person's total: `other_active_percentages` are the
// percentages of the person's other referrals that are not ended; this one plus them above
// max_total_extent_percent → FAILED_PRECONDITION "case.extent: ...".
absl::Status CheckExtent(const Extent& extent, const std::vector<int>& other_active_percentages,
                         const ReferralRules& rules);

// ---------------------------------------------------------------------------------------------
// Choice of provider.
// ---------------------------------------------------------------------------------------------

// The last day the participant may choose: decided_on + choice_deadline_days.
absl::CivilDay ChoiceDeadline(absl::CivilDay decided_on, const ReferralRules& rules);
// An active choice made on `chosen_on`, registered on `today`: not before the decision
// (INVALID_ARGUMENT "chosen_on"), and neither dated nor registered after the deadline
// (FAILED_PRECONDITION "case.choice: the deadline <D> has passed; ..."): once the deadline has
// passed the default assignment applies, whatever date a late choice claims.
absl::Status CheckActiveChoice(const Case& c, absl::CivilDay chosen_on, absl::CivilDay today);
// Whether the default assignment is due on `today`: AWAITING_CHOICE and today > deadline.
bool DefaultAssignmentDue(const Case& c, absl::CivilDay today);
// FAILED_PRECONDITION "case.choice: the deadline <D> has not passed" when not due.
absl::Status CheckDefaultAssignment(const Case& c, absl::CivilDay today);

// ---------------------------------------------------------------------------------------------
// Active service: start, the clock, prolongation, pauses, end.
// ---------------------------------------------------------------------------------------------

// START on `start_date`: not before the current provider was assigned (INVALID_ARGUMENT
// "start_date: ..."); FAILED_PRECONDITION "case.start: no provider is assigned" without one.
absl::Status CheckStart(const Case& c, absl::CivilDay start_date);

// The service clock of a started case, as of `today` (an open pause counts up to today).
//   period1_last_day  = LastDayOfMonths(start, period_months), moved by clock-stopping pauses;
//   maximum_last_day  = LastDayOfMonths(start, maximum_months), moved by clock-stopping pauses:
//                       the case's maximum end date (Case.maximum_end_date in the proto);
//   last_day          = maximum_last_day when prolonged, else period1_last_day: the day after it
//                       the case ends with reason MAXIMUM_TIME (the time decided is used up).
// A pause moves a boundary by its length in days when it stops the clock (Pause::stops_clock, the
// rule in force when it began) and began on or before that boundary (as moved by earlier pauses).
// A pause that does not stop the clock moves nothing. FAILED_PRECONDITION "case.clock: the service
// has not started" without a start date.
struct ServiceClock {
  absl::CivilDay period1_last_day;
  absl::CivilDay maximum_last_day;
  absl::CivilDay last_day;
  int64_t stopped_days = 0;  // clock-stopping pause days counted into maximum_last_day
};
absl::StatusOr<ServiceClock> ComputeServiceClock(const Case& c, const ReferralRules& rules,
                                                 absl::CivilDay today);
// 1 on days up to period1_last_day, 2 after it (only meaningful when prolonged).
int PeriodOn(const ServiceClock& clock, absl::CivilDay day);
// Whether the scheduler should END the case with MAXIMUM_TIME on `today`: ACTIVE or INTERRUPTED,
// started, and today > last_day. The case's end date is then clock.last_day.
bool MaximumTimeDue(const Case& c, const ReferralRules& rules, absl::CivilDay today);

// PROLONG decided on `decided_on`: FAILED_PRECONDITION "case.prolong: ..." when already prolonged
// (at most two periods) or when period 1 has already ended (its last day < decided_on);
// INVALID_ARGUMENT "decided_on: before the start of the service" before the start.
absl::Status CheckProlong(const Case& c, absl::CivilDay decided_on, const ReferralRules& rules);

// PAUSE from `from`: FAILED_PRECONDITION "case.pause: the case is already paused ..." when paused;
// INVALID_ARGUMENT "from_date: ..." before the start, on or before the previous pause's last day,
// or after the service's last day. Returns the pause to record (stops_clock from the rules).
absl::StatusOr<Pause> CheckPause(const Case& c, absl::CivilDay from, const ReferralRules& rules);
// RESUME on `resume_date` (the first day back; the pause's last day becomes resume_date - 1):
// FAILED_PRECONDITION "case.resume: the case is not paused"; INVALID_ARGUMENT "resume_date: ..."
// unless after the pause's first day.
absl::Status CheckResume(const Case& c, absl::CivilDay resume_date);

// INTERRUPT on `date`: within the participation so far (INVALID_ARGUMENT "interrupt_date: ..."),
// and a reason (INVALID_ARGUMENT "reason: required").
absl::Status CheckInterrupt(const Case& c, absl::CivilDay date, std::string_view reason,
                            absl::CivilDay today);

// END with `reason` on `end_date` (the last day of the participation): a reason is required; not
// before the start (or, never started, before the provider was assigned); not after the clock's
// last_day (INVALID_ARGUMENT "end_date: ..."); MAXIMUM_TIME only on the clock's last_day
// (FAILED_PRECONDITION "case.end: the maximum time is reached on <D>" before it).
absl::Status CheckEnd(const Case& c, EndReason reason, absl::CivilDay end_date,
                      const ReferralRules& rules, absl::CivilDay today);

// ---------------------------------------------------------------------------------------------
// Parallel measures and provider changes.
// ---------------------------------------------------------------------------------------------

struct ParallelMeasureOutcome {
  // Labour-market training longer than labour_market_training_max_months: the adapter records
  // the measure and ENDs the case (reason TRANSFER_TO_OTHER_MEASURE) on participation_last_day.
  bool ends_participation = false;
  // The day before the training starts (but not before the service's start).
  std::optional<absl::CivilDay> participation_last_day;
};
// INVALID_ARGUMENT "measure.<field>: ...": kind unspecified, or SFI (never a parallel measure);
// no end date or end before start; percentage outside 1..100; start before the service's start or
// after its last day; longer than parallel_measure_max_months (start..end inclusive must lie within
// LastDayOfMonths(start, max)), except labour-market training, which instead ends the
// participation when longer than labour_market_training_max_months.
absl::StatusOr<ParallelMeasureOutcome> CheckParallelMeasure(const Case& c,
                                                            const ParallelMeasure& measure,
                                                            const ReferralRules& rules,
                                                            absl::CivilDay today);

// Provider changes so far (assignments of kind CHANGE).
int ProviderChangeCount(const Case& c);
// CHANGE_PROVIDER to `organisation_number` effective `effective_date`: INVALID_ARGUMENT
// "organisation_number: ..." when empty or the current provider; INVALID_ARGUMENT
// "effective_date: ..." before the current provider's assignment; FAILED_PRECONDITION
// "case.change: no provider is assigned" without a current one.
absl::Status CheckProviderChange(const Case& c, std::string_view organisation_number,
                                 absl::CivilDay effective_date);
// Whether the case should be flagged for frequent changes on `day`: at least frequent_change_count
// changes dated within the window AddMonths(day, -frequent_change_window_months) .. day, both
// inclusive (call it after recording the change, with the change's date). With the defaults: the
// 3rd change exactly 6 months after the 1st flags; a day later does not.
bool FrequentProviderChanges(const Case& c, absl::CivilDay day, const ReferralRules& rules);

// ---------------------------------------------------------------------------------------------
// Provider reports.
// ---------------------------------------------------------------------------------------------

// referral.proto CaseReportKind.
enum class ReportKind {
  kMonthly = 1,
  kDeviation = 2,
  kInformative = 3,
  kInterruptionRequest = 4,
  kSupportedEmploymentRequest = 5,
  kFinal = 6,
};
const char* ReportKindName(ReportKind kind);  // "MONTHLY", ...

// Whether a provider may see the case at all: it has been assigned to it at some time. A provider
// that never was gets NOT_FOUND from the adapter (it must not learn that the case exists).
bool ProviderMayView(const Case& c, std::string_view organisation_number);
// Which provider may submit which report in which state:
//   MONTHLY      ACTIVE, INTERRUPTED (current provider); ENDED, RESULT_REPORTED, RESULT_VERIFIED,
//                PAID (the last provider: the last month is reported after the end; corrections)
//   DEVIATION    ACTIVE, INTERRUPTED (current provider)
//   INFORMATIVE, INTERRUPTION_REQUEST, SUPPORTED_EMPLOYMENT_REQUEST   ACTIVE (current provider)
//   FINAL        ENDED, RESULT_REPORTED, RESULT_VERIFIED, PAID (the last provider)
// FAILED_PRECONDITION "case.report: <KIND> is not accepted in <STATE>"; PERMISSION_DENIED
// "report.provider: <org> is not the case's current provider" (or "last provider").
absl::Status CheckReportSubmission(const Case& c, ReportKind kind,
                                   std::string_view organisation_number);

// Hours are whole numbers in this API (int): a shorter activity counts as one hour (domain.md
// section 3) and the proto's ActivityHours.hours is int32. Importers that read hours as numbers
// with a fraction (CSV, JSON from other systems) convert with WholeHours, which refuses fractions
// and negatives: INVALID_ARGUMENT "<field>: 2.5 is not a whole number of hours".
absl::StatusOr<int> WholeHours(double hours, std::string_view field);

struct ActivityHours {
  ActivityCategory category = ActivityCategory::kUnspecified;
  int hours = 0;
};
// Periodisk rapport for one month.
struct MonthlyReport {
  absl::CivilMonth month;
  std::vector<ActivityHours> activities;  // at most one entry per category
  int interpreter_hours = 0;
  int meetings = 0;
  int in_person_meetings = 0;
};
// The current (latest) revision of a month already reported.
struct ReportedMonth {
  absl::CivilMonth month;
  int revision = 1;     // 1 = first submission, 2 = first correction, ...
  int64_t version = 1;  // the report's optimistic-concurrency version
};

// The month's possible hours: hours per week (the extent's available hours, or
// full_time_hours_per_week) × the number of days of the month within the participation (from the
// start; up to the end date when ended, else the month's last day) ÷ 7, × the extent percentage,
// rounded UP to a whole hour (short activities count as whole hours). Full time: a 31-day month
// gives ceil(40 × 31 / 7) = 178, February 2025 gives 160, a 30-day month 172; 50 % halves that
// before rounding. 0 for a month without participation days or a case not started.
int PossibleHours(const Case& c, absl::CivilMonth month, const ReferralRules& rules);

// Validates a monthly report and returns the revision to store (1 for a first report, current+1
// for a correction). INVALID_ARGUMENT:
//   "activities[i].category: ..."  unspecified/unknown, or a category given twice;
//   "activities[i].hours: ..."     negative;
//   "activities: ..."              the total is above PossibleHours;
//   "interpreter_hours" / "meetings" / "in_person_meetings": negative, or more in person than all;
//   "month: ..."                   outside the participation: before the start month, or after
//                                  the month of (the end date, or today, whichever is earlier).
// One report per month: `reported` holds the current revision of each month already reported. For
// a month not reported yet expected_version must be 0 (else ABORTED "report.version: ...: no report
// of <M> exists"); for a reported month, expected_version 0 → ALREADY_EXISTS "report.month: <M> is
// already reported (version V); send a correction with expected_version V", another version than
// the current one → ABORTED "report.version: ...".
absl::StatusOr<int> CheckMonthlyReport(const Case& c, const MonthlyReport& report,
                                       const std::vector<ReportedMonth>& reported,
                                       int64_t expected_version, absl::CivilDay today,
                                       const ReferralRules& rules);

// Avvikelserapport. The time span is in Swedish local time (the adapter converts the proto's
// Timestamps with the Europe/Stockholm zone); end may equal start.
struct DeviationReport {
  DeviationCode code = DeviationCode::kUnspecified;
  absl::CivilDay date;
  absl::CivilSecond span_start;
  absl::CivilSecond span_end;
};
// The codes of domain.md section 6: 15–22, 26, 27.
bool IsKnownDeviationCode(DeviationCode code);
// INVALID_ARGUMENT "report.code: ..." unknown code; "report.span_end: ..." before the start;
// "report.date: ..." outside the span's days or outside the participation so far (start .. the end
// date or today, whichever is earlier); "report.span_start"/"report.span_end" outside the
// participation.
absl::Status CheckDeviationReport(const Case& c, const DeviationReport& report,
                                  absl::CivilDay today);

// ---------------------------------------------------------------------------------------------
// Results (issue 6 uses these).
// ---------------------------------------------------------------------------------------------

// The last day a result may be reported: AddMonths(end, result_report_window_months). With the
// default 2 months: end 2025-01-15 → 2025-03-15 (59 days later); end 2025-06-30 → 2025-08-30;
// end 2025-12-31 → 2026-02-28.
absl::CivilDay ResultReportDeadline(absl::CivilDay end_date, const ReferralRules& rules);
// The latest start of work or studies that counts: AddMonths(end, result_start_window_months).
absl::CivilDay LatestResultStart(absl::CivilDay end_date, const ReferralRules& rules);
// The day the result has lasted result_min_duration_months and can be verified:
// AddMonths(start, 4) (the span start..AddMonths(start, 4) - 1 is four whole months).
absl::CivilDay ResultVerificationDueOn(absl::CivilDay result_start, const ReferralRules& rules);

enum class ResultKind { kUnspecified = 0, kWork = 1, kStudies = 2 };  // referral.proto ResultKind
struct ResultReport {
  ResultKind kind = ResultKind::kUnspecified;
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;  // unset = ongoing
  int percentage = 100;
};
// REPORT_RESULT on `reported_on` for an ended case: FAILED_PRECONDITION "case.result: ..." when the
// case has no end date or never started, or reported_on is after ResultReportDeadline;
// INVALID_ARGUMENT "kind"/"percentage" (1..100)/"start_date" (before the service's start, or after
// LatestResultStart)/"end_date" (before the start).
absl::Status CheckResultReport(const Case& c, const ResultReport& result,
                               absl::CivilDay reported_on, const ReferralRules& rules);

// Whether a result counts for the result payment, as known on `as_of`:
//   kStartedTooLate  start after LatestResultStart(participation_end);
//   kTooShort        a known end before ResultVerificationDueOn(start) - 1 (lasted < 4 months);
//   kNotYetKnown     not lasted long enough by as_of (still running or a later end);
//   kCounts          lasted through ResultVerificationDueOn(start) - 1, by its end or by as_of.
enum class ResultVerdict { kCounts, kStartedTooLate, kTooShort, kNotYetKnown };
ResultVerdict EvaluateResult(absl::CivilDay participation_end, absl::CivilDay result_start,
                             std::optional<absl::CivilDay> result_end, absl::CivilDay as_of,
                             const ReferralRules& rules);

// ---------------------------------------------------------------------------------------------
// Handling time (domain.md section 11: before decision, in decision, after decision).
// ---------------------------------------------------------------------------------------------

// From the case history (and the time the decision queue item was first claimed, which the queue
// knows, not the case):
//   before_decision  CREATE → first claim of the decision item; without a claim, CREATE → decision;
//   in_decision      first claim → decision (DECIDE or NOT_REFER); unset without a claim;
//   after_decision   DECIDE → the first ASSIGNED (CHOOSE_PROVIDER or ASSIGN_DEFAULT_PROVIDER);
//                    unset when not referred or not assigned yet.
// Each part is unset when its end points are missing; a claim outside CREATE..decision is ignored.
struct HandlingTime {
  std::optional<absl::Duration> before_decision;
  std::optional<absl::Duration> in_decision;
  std::optional<absl::Duration> after_decision;
};
HandlingTime ComputeHandlingTime(const Case& c, std::optional<absl::Time> decision_claimed_at);

}  // namespace rusta::referral
