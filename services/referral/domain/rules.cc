#include "services/referral/domain/rules.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"

namespace rusta::referral {
namespace {

std::string Day(absl::CivilDay day) { return absl::FormatCivilTime(day); }
std::string Month(absl::CivilMonth month) { return absl::FormatCivilTime(month); }

absl::Status Invalid(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(reason)));
}
absl::Status Precondition(std::string_view rule, std::string_view reason) {
  return absl::FailedPreconditionError(
      absl::StrCat("case.", std::string(rule), ": ", std::string(reason)));
}

// The participation so far: started_on .. min(end date or today, today). Unset when not started.
struct Span {
  absl::CivilDay first;
  absl::CivilDay last;
};
std::optional<Span> ParticipationSoFar(const Case& c, absl::CivilDay today) {
  if (!c.started_on) return std::nullopt;
  absl::CivilDay last = std::min(c.end_date.value_or(today), today);
  return Span{*c.started_on, last};
}

// A boundary moved by the clock-stopping pauses that began on or before it (see rules.h).
absl::CivilDay MoveByPauses(absl::CivilDay boundary, const std::vector<Pause>& pauses,
                            absl::CivilDay today, int64_t* stopped) {
  std::vector<const Pause*> sorted;
  for (const Pause& p : pauses) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(),
            [](const Pause* a, const Pause* b) { return a->from < b->from; });
  int64_t total = 0;
  for (const Pause* p : sorted) {
    if (!p->stops_clock || p->from > boundary) continue;
    const absl::CivilDay last = p->until.value_or(today);
    if (last < p->from) continue;
    const int64_t days = (last - p->from) + 1;
    boundary += days;
    total += days;
  }
  if (stopped != nullptr) *stopped = total;
  return boundary;
}

bool KnownCategory(ActivityCategory category) {
  const int n = static_cast<int>(category);
  return n >= 1 && n <= 13;
}

}  // namespace

absl::Status ValidateRules(const ReferralRules& r) {
  auto positive = [](int v, const char* field) -> absl::Status {
    if (v <= 0) return Invalid(absl::StrCat("rules.", field), absl::StrCat(v, " must be positive"));
    return absl::OkStatus();
  };
  for (const auto& [value, field] : std::vector<std::pair<int, const char*>>{
           {r.choice_deadline_days, "choice_deadline_days"},
           {r.period_months, "period_months"},
           {r.maximum_months, "maximum_months"},
           {r.parallel_measure_max_months, "parallel_measure_max_months"},
           {r.labour_market_training_max_months, "labour_market_training_max_months"},
           {r.max_total_extent_percent, "max_total_extent_percent"},
           {r.full_time_hours_per_week, "full_time_hours_per_week"},
           {r.frequent_change_count, "frequent_change_count"},
           {r.frequent_change_window_months, "frequent_change_window_months"},
           {r.result_report_window_months, "result_report_window_months"},
           {r.result_start_window_months, "result_start_window_months"},
           {r.result_min_duration_months, "result_min_duration_months"}}) {
    if (absl::Status s = positive(value, field); !s.ok()) return s;
  }
  if (r.version.empty()) return Invalid("rules.version", "required");
  if (r.period_months > r.maximum_months) {
    return Invalid("rules.period_months", "longer than maximum_months");
  }
  if (r.maximum_months > 2 * r.period_months) {
    return Invalid("rules.maximum_months",
                   "more than two periods (period 2 is the only prolongation)");
  }
  if (r.max_total_extent_percent > 100) {
    return Invalid("rules.max_total_extent_percent", "above 100");
  }
  if (r.full_time_hours_per_week > 168) {
    return Invalid("rules.full_time_hours_per_week", "more hours than a week has");
  }
  return absl::OkStatus();
}

// --- Calendar --------------------------------------------------------------------------------

int DaysInMonth(absl::CivilMonth month) {
  return static_cast<int>(absl::CivilDay(month + 1) - absl::CivilDay(month));
}

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const int dom = std::min(day.day(), DaysInMonth(target));
  return absl::CivilDay(target.year(), target.month(), dom);
}

absl::CivilDay LastDayOfMonths(absl::CivilDay start, int months) {
  return AddMonths(start, months) - 1;
}

// --- Extent ----------------------------------------------------------------------------------

absl::Status CheckExtent(const Extent& extent, const std::vector<int>& other_active_percentages,
                         const ReferralRules& rules) {
  switch (extent.kind) {
    case ExtentKind::kFullTime:
      if (extent.percentage != 100) {
        return Invalid("extent.percentage",
                       absl::StrCat("full time is 100, not ", extent.percentage));
      }
      if (extent.part_time_reason != PartTimeReason::kUnspecified) {
        return Invalid("extent.part_time_reason", "must be unset for full time");
      }
      break;
    case ExtentKind::kPartTime: {
      if (extent.percentage < 1 || extent.percentage > 99) {
        return Invalid("extent.percentage",
                       absl::StrCat("part time is 1..99, not ", extent.percentage));
      }
      const int reason = static_cast<int>(extent.part_time_reason);
      if (reason < 1 || reason > 6) {
        return Invalid("extent.part_time_reason", "required for part time");
      }
      if (extent.part_time_reason == PartTimeReason::kOther &&
          extent.part_time_reason_text.empty()) {
        return Invalid("extent.part_time_reason_text", "required when the reason is OTHER");
      }
      break;
    }
    default: return Invalid("extent.kind", "FULL_TIME or PART_TIME required");
  }
  if (extent.available_hours_per_week < 0 ||
      extent.available_hours_per_week > rules.full_time_hours_per_week) {
    return Invalid("extent.available_hours_per_week",
                   absl::StrCat(extent.available_hours_per_week, " is outside 0..",
                                rules.full_time_hours_per_week, " (0 = the default)"));
  }
  int others = 0;
  for (size_t i = 0; i < other_active_percentages.size(); ++i) {
    const int p = other_active_percentages[i];
    if (p < 0 || p > 100) {
      return Invalid(absl::StrCat("other_active_percentages[", i, "]"),
                     absl::StrCat(p, " is outside 0..100"));
    }
    others += p;
  }
  if (extent.percentage + others > rules.max_total_extent_percent) {
    return Precondition(
        "extent", absl::StrCat("the person's referrals would total ", extent.percentage + others,
                               " % (this ", extent.percentage, " % + others ", others,
                               " %); at most ", rules.max_total_extent_percent, " %"));
  }
  return absl::OkStatus();
}

// --- Choice ----------------------------------------------------------------------------------

absl::CivilDay ChoiceDeadline(absl::CivilDay decided_on, const ReferralRules& rules) {
  return decided_on + rules.choice_deadline_days;
}

absl::Status CheckClientDate(absl::CivilDay date, absl::CivilDay today, std::optional<absl::CivilDay> not_before,
                             const char* not_before_what, const char* field, const ReferralRules& rules) {
  if (date > today) return Invalid(field, absl::StrCat(Day(date), " is in the future"));
  if (not_before && date < *not_before) {
    return Invalid(field, absl::StrCat(Day(date), " is before ", not_before_what, " (", Day(*not_before), ")"));
  }
  if (date < today - rules.backdating_window_days) {
    return Invalid(field, absl::StrCat(Day(date), " is more than ", rules.backdating_window_days, " days back"));
  }
  return absl::OkStatus();
}

absl::Status CheckActiveChoice(const Case& c, absl::CivilDay chosen_on, absl::CivilDay today) {
  if (!c.choice_deadline || !c.decided_on) {
    return Precondition("choice", "the case has no decision with a choice deadline");
  }
  if (chosen_on < *c.decided_on) {
    return Invalid("chosen_on", absl::StrCat(Day(chosen_on), " is before the decision (",
                                             Day(*c.decided_on), ")"));
  }
  if (chosen_on > *c.choice_deadline || today > *c.choice_deadline) {
    return Precondition("choice", absl::StrCat("the deadline ", Day(*c.choice_deadline),
                                               " has passed; the default assignment applies"));
  }
  return absl::OkStatus();
}

bool DefaultAssignmentDue(const Case& c, absl::CivilDay today) {
  return c.state == CaseState::kAwaitingChoice && c.choice_deadline && today > *c.choice_deadline;
}

absl::Status CheckDefaultAssignment(const Case& c, absl::CivilDay today) {
  if (!c.choice_deadline) {
    return Precondition("choice", "the case has no decision with a choice deadline");
  }
  if (today <= *c.choice_deadline) {
    return Precondition("choice",
                        absl::StrCat("the deadline ", Day(*c.choice_deadline), " has not passed"));
  }
  return absl::OkStatus();
}

// --- Active service --------------------------------------------------------------------------

absl::Status CheckStart(const Case& c, absl::CivilDay start_date) {
  const ProviderAssignment* current = c.CurrentProvider();
  if (current == nullptr) return Precondition("start", "no provider is assigned");
  if (start_date < current->assigned_on) {
    return Invalid("start_date",
                   absl::StrCat(Day(start_date), " is before the provider was assigned (",
                                Day(current->assigned_on), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ServiceClock> ComputeServiceClock(const Case& c, const ReferralRules& rules,
                                                 absl::CivilDay today) {
  if (!c.started_on) return Precondition("clock", "the service has not started");
  ServiceClock clock;
  clock.period1_last_day =
      MoveByPauses(LastDayOfMonths(*c.started_on, rules.period_months), c.pauses, today, nullptr);
  clock.maximum_last_day = MoveByPauses(LastDayOfMonths(*c.started_on, rules.maximum_months),
                                        c.pauses, today, &clock.stopped_days);
  clock.last_day = c.prolonged ? clock.maximum_last_day : clock.period1_last_day;
  return clock;
}

int PeriodOn(const ServiceClock& clock, absl::CivilDay day) {
  return day <= clock.period1_last_day ? 1 : 2;
}

bool MaximumTimeDue(const Case& c, const ReferralRules& rules, absl::CivilDay today) {
  if (c.state != CaseState::kActive && c.state != CaseState::kInterrupted) return false;
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, rules, today);
  return clock.ok() && today > clock->last_day;
}

absl::Status CheckProlong(const Case& c, absl::CivilDay decided_on, const ReferralRules& rules) {
  if (c.prolonged) {
    return Precondition("prolong", "the case is already prolonged (at most two periods)");
  }
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, rules, decided_on);
  if (!clock.ok()) return clock.status();
  if (decided_on < *c.started_on) {
    return Invalid("decided_on",
                   absl::StrCat(Day(decided_on), " is before the start of the service (",
                                Day(*c.started_on), ")"));
  }
  if (decided_on > clock->period1_last_day) {
    return Precondition("prolong", absl::StrCat("period 1 ended on ", Day(clock->period1_last_day),
                                                "; a prolongation is decided within it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Pause> CheckPause(const Case& c, absl::CivilDay from, const ReferralRules& rules) {
  if (c.Paused()) {
    return Precondition(
        "pause", absl::StrCat("the case is already paused since ", Day(c.pauses.back().from)));
  }
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, rules, from);
  if (!clock.ok()) return clock.status();
  if (from < *c.started_on) {
    return Invalid("from_date", absl::StrCat(Day(from), " is before the start of the service (",
                                             Day(*c.started_on), ")"));
  }
  if (!c.pauses.empty() && c.pauses.back().until && from <= *c.pauses.back().until) {
    return Invalid("from_date", absl::StrCat(Day(from), " is within the previous pause (until ",
                                             Day(*c.pauses.back().until), ")"));
  }
  if (from > clock->last_day) {
    return Invalid("from_date", absl::StrCat(Day(from), " is after the last day of the service (",
                                             Day(clock->last_day), ")"));
  }
  return Pause{from, std::nullopt, rules.pause_stops_clock};
}

absl::Status CheckResume(const Case& c, absl::CivilDay resume_date) {
  if (!c.Paused()) return Precondition("resume", "the case is not paused");
  const absl::CivilDay from = c.pauses.back().from;
  if (resume_date <= from) {
    return Invalid(
        "resume_date",
        absl::StrCat(Day(resume_date), " is not after the pause's first day (", Day(from), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckInterrupt(const Case& c, absl::CivilDay date, std::string_view reason,
                            absl::CivilDay today) {
  if (reason.empty()) return Invalid("reason", "required");
  std::optional<Span> span = ParticipationSoFar(c, today);
  if (!span) return Precondition("interrupt", "the service has not started");
  if (date < span->first || date > span->last) {
    return Invalid("interrupt_date", absl::StrCat(Day(date), " is outside the participation (",
                                                  Day(span->first), "..", Day(span->last), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckEnd(const Case& c, EndReason reason, absl::CivilDay end_date,
                      const ReferralRules& rules, absl::CivilDay today) {
  const int r = static_cast<int>(reason);
  if (r < 1 || r > 7) return Invalid("reason", "an end reason is required");
  if (!c.started_on) {
    if (reason == EndReason::kMaximumTime) {
      return Precondition("end", "MAXIMUM_TIME needs a started service");
    }
    const ProviderAssignment* last = c.LastProvider();
    const std::optional<absl::CivilDay> floor =
        last != nullptr ? std::optional<absl::CivilDay>(last->assigned_on) : c.decided_on;
    if (floor && end_date < *floor) {
      return Invalid("end_date",
                     absl::StrCat(Day(end_date), " is before the assignment (", Day(*floor), ")"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, rules, today);
  if (!clock.ok()) return clock.status();
  if (end_date < *c.started_on) {
    return Invalid("end_date", absl::StrCat(Day(end_date), " is before the start of the service (",
                                            Day(*c.started_on), ")"));
  }
  if (end_date > clock->last_day) {
    return Invalid("end_date",
                   absl::StrCat(Day(end_date), " is after the last day of the service (",
                                Day(clock->last_day), ")"));
  }
  if (reason == EndReason::kMaximumTime && end_date < clock->last_day) {
    return Precondition("end",
                        absl::StrCat("the maximum time is reached on ", Day(clock->last_day)));
  }
  return absl::OkStatus();
}

// --- Parallel measures and provider changes --------------------------------------------------

absl::StatusOr<ParallelMeasureOutcome> CheckParallelMeasure(const Case& c, const ParallelMeasure& m,
                                                            const ReferralRules& rules,
                                                            absl::CivilDay today) {
  const int kind = static_cast<int>(m.kind);
  if (m.kind == ParallelMeasureKind::kSfi) {
    return Invalid("measure.kind", "SFI is never a parallel measure");
  }
  if (kind < 1 || kind > 5) return Invalid("measure.kind", "required");
  if (!m.end) return Invalid("measure.dates.end", "required");
  if (*m.end < m.start) {
    return Invalid("measure.dates.end",
                   absl::StrCat(Day(*m.end), " is before the start ", Day(m.start)));
  }
  if (m.percentage < 1 || m.percentage > 100) {
    return Invalid("measure.percentage", absl::StrCat(m.percentage, " is outside 1..100"));
  }
  absl::StatusOr<ServiceClock> clock = ComputeServiceClock(c, rules, today);
  if (!clock.ok()) return clock.status();
  if (m.start < *c.started_on || m.start > clock->last_day) {
    return Invalid("measure.dates.start",
                   absl::StrCat(Day(m.start), " is outside the service (", Day(*c.started_on), "..",
                                Day(clock->last_day), ")"));
  }
  ParallelMeasureOutcome outcome;
  if (m.kind == ParallelMeasureKind::kLabourMarketTraining) {
    if (*m.end > LastDayOfMonths(m.start, rules.labour_market_training_max_months)) {
      outcome.ends_participation = true;
      outcome.participation_last_day = std::max(*c.started_on, m.start - 1);
    }
    return outcome;
  }
  const absl::CivilDay latest_end = LastDayOfMonths(m.start, rules.parallel_measure_max_months);
  if (*m.end > latest_end) {
    return Invalid(
        "measure.dates",
        absl::StrCat("a parallel measure lasts at most ", rules.parallel_measure_max_months,
                     " months: from ", Day(m.start), " it ends on ", Day(latest_end),
                     " at the latest, not ", Day(*m.end)));
  }
  return outcome;
}

int ProviderChangeCount(const Case& c) {
  return static_cast<int>(std::count_if(c.providers.begin(), c.providers.end(), [](const auto& p) {
    return p.choice_kind == ChoiceKind::kChange;
  }));
}

absl::Status CheckProviderChange(const Case& c, std::string_view organisation_number,
                                 absl::CivilDay effective_date) {
  const ProviderAssignment* current = c.CurrentProvider();
  if (current == nullptr) return Precondition("change", "no provider is assigned");
  if (organisation_number.empty()) return Invalid("organisation_number", "required");
  if (organisation_number == current->organisation_number) {
    return Invalid("organisation_number", "is the current provider");
  }
  if (effective_date < current->assigned_on) {
    return Invalid("effective_date", absl::StrCat(Day(effective_date),
                                                  " is before the current provider's assignment (",
                                                  Day(current->assigned_on), ")"));
  }
  return absl::OkStatus();
}

bool FrequentProviderChanges(const Case& c, absl::CivilDay day, const ReferralRules& rules) {
  const absl::CivilDay window_start = AddMonths(day, -rules.frequent_change_window_months);
  int count = 0;
  for (const ProviderAssignment& p : c.providers) {
    if (p.choice_kind == ChoiceKind::kChange && p.assigned_on >= window_start &&
        p.assigned_on <= day) {
      ++count;
    }
  }
  return count >= rules.frequent_change_count;
}

// --- Provider reports ------------------------------------------------------------------------

const char* ReportKindName(ReportKind kind) {
  switch (kind) {
    case ReportKind::kMonthly: return "MONTHLY";
    case ReportKind::kDeviation: return "DEVIATION";
    case ReportKind::kInformative: return "INFORMATIVE";
    case ReportKind::kInterruptionRequest: return "INTERRUPTION_REQUEST";
    case ReportKind::kSupportedEmploymentRequest: return "SUPPORTED_EMPLOYMENT_REQUEST";
    case ReportKind::kFinal: return "FINAL";
  }
  return "UNKNOWN";
}

bool ProviderMayView(const Case& c, std::string_view organisation_number) {
  return std::any_of(c.providers.begin(), c.providers.end(), [&](const ProviderAssignment& p) {
    return p.organisation_number == organisation_number;
  });
}

absl::Status CheckReportSubmission(const Case& c, ReportKind kind,
                                   std::string_view organisation_number) {
  using S = CaseState;
  const S s = c.state;
  const bool during = s == S::kActive || s == S::kInterrupted;
  const bool after =
      s == S::kEnded || s == S::kResultReported || s == S::kResultVerified || s == S::kPaid;
  bool allowed = false;
  bool current_required = true;  // else: the last provider
  switch (kind) {
    case ReportKind::kMonthly:
      allowed = during || after;
      current_required = during;
      break;
    case ReportKind::kDeviation: allowed = during; break;
    case ReportKind::kInformative:
    case ReportKind::kInterruptionRequest:
    case ReportKind::kSupportedEmploymentRequest: allowed = s == S::kActive; break;
    case ReportKind::kFinal:
      allowed = after;
      current_required = false;
      break;
  }
  if (!allowed) {
    return Precondition("report",
                        absl::StrCat(ReportKindName(kind), " is not accepted in ", StateName(s)));
  }
  const ProviderAssignment* entitled = current_required ? c.CurrentProvider() : c.LastProvider();
  if (entitled == nullptr || entitled->organisation_number != organisation_number) {
    return absl::PermissionDeniedError(
        absl::StrCat("report.provider: ", std::string(organisation_number), " is not the case's ",
                     current_required ? "current" : "last", " provider"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> WholeHours(double hours, std::string_view field) {
  if (!std::isfinite(hours)) return Invalid(field, "not a number of hours");
  if (hours < 0) return Invalid(field, absl::StrCat(hours, " is negative"));
  if (hours != std::floor(hours)) {
    return Invalid(field, absl::StrCat(hours, " is not a whole number of hours"));
  }
  if (hours > 10000) return Invalid(field, absl::StrCat(hours, " is too large"));
  return static_cast<int>(hours);
}

int PossibleHours(const Case& c, absl::CivilMonth month, const ReferralRules& rules) {
  if (!c.started_on) return 0;
  const absl::CivilDay month_first(month);
  const absl::CivilDay month_last = absl::CivilDay(month + 1) - 1;
  const absl::CivilDay first = std::max(month_first, *c.started_on);
  const absl::CivilDay last = c.end_date ? std::min(month_last, *c.end_date) : month_last;
  if (last < first) return 0;
  const int64_t days = (last - first) + 1;
  const int64_t per_week = c.extent.available_hours_per_week > 0 ? c.extent.available_hours_per_week
                                                                 : rules.full_time_hours_per_week;
  // ceil(per_week × days × percentage / (7 × 100)) in integers.
  const int64_t numerator = per_week * days * c.extent.percentage;
  const int64_t denominator = 700;
  return static_cast<int>((numerator + denominator - 1) / denominator);
}

absl::StatusOr<int> CheckMonthlyReport(const Case& c, const MonthlyReport& report,
                                       const std::vector<ReportedMonth>& reported,
                                       int64_t expected_version, absl::CivilDay today,
                                       const ReferralRules& rules) {
  std::set<ActivityCategory> seen;
  int64_t total = 0;
  for (size_t i = 0; i < report.activities.size(); ++i) {
    const ActivityHours& a = report.activities[i];
    const std::string field = absl::StrCat("activities[", i, "]");
    if (!KnownCategory(a.category)) {
      return Invalid(absl::StrCat(field, ".category"),
                     absl::StrCat(static_cast<int>(a.category), " is not an activity category"));
    }
    if (!seen.insert(a.category).second) {
      return Invalid(absl::StrCat(field, ".category"),
                     absl::StrCat("category ", static_cast<int>(a.category), " appears twice"));
    }
    if (a.hours < 0) {
      return Invalid(absl::StrCat(field, ".hours"), absl::StrCat(a.hours, " is negative"));
    }
    total += a.hours;
  }
  if (report.interpreter_hours < 0) {
    return Invalid("interpreter_hours", absl::StrCat(report.interpreter_hours, " is negative"));
  }
  if (report.meetings < 0)
    return Invalid("meetings", absl::StrCat(report.meetings, " is negative"));
  if (report.in_person_meetings < 0 || report.in_person_meetings > report.meetings) {
    return Invalid(
        "in_person_meetings",
        absl::StrCat(report.in_person_meetings, " is outside 0..meetings (", report.meetings, ")"));
  }
  std::optional<Span> span = ParticipationSoFar(c, today);
  if (!span) return Precondition("report", "the service has not started");
  const absl::CivilMonth first_month(span->first);
  const absl::CivilMonth last_month(span->last);
  if (report.month < first_month || report.month > last_month) {
    return Invalid("month", absl::StrCat(Month(report.month), " is outside the participation (",
                                         Month(first_month), "..", Month(last_month), ")"));
  }
  const int possible = PossibleHours(c, report.month, rules);
  if (total > possible) {
    return Invalid("activities", absl::StrCat(total, " hours in total exceed the ", possible,
                                              " possible hours of ", Month(report.month)));
  }
  const ReportedMonth* existing = nullptr;
  for (const ReportedMonth& r : reported) {
    if (r.month == report.month && (existing == nullptr || r.revision > existing->revision)) {
      existing = &r;
    }
  }
  if (existing == nullptr) {
    if (expected_version != 0) {
      return absl::AbortedError(absl::StrCat("report.version: expected version ", expected_version,
                                             " but no report of ", Month(report.month), " exists"));
    }
    return 1;
  }
  if (expected_version == 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "report.month: ", Month(report.month), " is already reported (version ", existing->version,
        "); send a correction with expected_version ", existing->version));
  }
  if (expected_version != existing->version) {
    return absl::AbortedError(absl::StrCat("report.version: expected version ", expected_version,
                                           " but the report of ", Month(report.month),
                                           " is at version ", existing->version));
  }
  return existing->revision + 1;
}

bool IsKnownDeviationCode(DeviationCode code) {
  switch (static_cast<int>(code)) {
    case 15:
    case 16:
    case 17:
    case 18:
    case 19:
    case 20:
    case 21:
    case 22:
    case 26:
    case 27: return true;
    default: return false;
  }
}

absl::Status CheckDeviationReport(const Case& c, const DeviationReport& report,
                                  absl::CivilDay today) {
  if (!IsKnownDeviationCode(report.code)) {
    return Invalid("report.code",
                   absl::StrCat(static_cast<int>(report.code), " is not a deviation code"));
  }
  if (report.span_end < report.span_start) {
    return Invalid("report.span_end", "before span_start");
  }
  const absl::CivilDay span_first(report.span_start);
  const absl::CivilDay span_last(report.span_end);
  if (report.date < span_first || report.date > span_last) {
    return Invalid("report.date", absl::StrCat(Day(report.date), " is outside the time span (",
                                               Day(span_first), "..", Day(span_last), ")"));
  }
  std::optional<Span> span = ParticipationSoFar(c, today);
  if (!span) return Precondition("report", "the service has not started");
  const std::string range =
      absl::StrCat(" is outside the participation (", Day(span->first), "..", Day(span->last), ")");
  if (span_first < span->first)
    return Invalid("report.span_start", absl::StrCat(Day(span_first), range));
  if (span_last > span->last)
    return Invalid("report.span_end", absl::StrCat(Day(span_last), range));
  return absl::OkStatus();
}

// --- Results ---------------------------------------------------------------------------------

absl::CivilDay ResultReportDeadline(absl::CivilDay end_date, const ReferralRules& rules) {
  return AddMonths(end_date, rules.result_report_window_months);
}

absl::CivilDay LatestResultStart(absl::CivilDay end_date, const ReferralRules& rules) {
  return AddMonths(end_date, rules.result_start_window_months);
}

absl::CivilDay ResultVerificationDueOn(absl::CivilDay result_start, const ReferralRules& rules) {
  return AddMonths(result_start, rules.result_min_duration_months);
}

absl::Status CheckResultReport(const Case& c, const ResultReport& result,
                               absl::CivilDay reported_on, const ReferralRules& rules) {
  if (!c.end_date) return Precondition("result", "the case has no end date");
  if (!c.started_on) return Precondition("result", "the service never started");
  const absl::CivilDay deadline = ResultReportDeadline(*c.end_date, rules);
  if (reported_on > deadline) {
    return Precondition("result", absl::StrCat("the reporting window closed on ", Day(deadline),
                                               " (", rules.result_report_window_months,
                                               " months after the end ", Day(*c.end_date), ")"));
  }
  if (result.kind != ResultKind::kWork && result.kind != ResultKind::kStudies) {
    return Invalid("kind", "WORK or STUDIES required");
  }
  if (result.percentage < 1 || result.percentage > 100) {
    return Invalid("percentage", absl::StrCat(result.percentage, " is outside 1..100"));
  }
  if (result.start < *c.started_on) {
    return Invalid("start_date", absl::StrCat(Day(result.start), " is before the service started (",
                                              Day(*c.started_on), ")"));
  }
  const absl::CivilDay latest = LatestResultStart(*c.end_date, rules);
  if (result.start > latest) {
    return Invalid("start_date",
                   absl::StrCat(Day(result.start), " is after ", Day(latest), " (",
                                rules.result_start_window_months, " months after the end)"));
  }
  if (result.end && *result.end < result.start) {
    return Invalid("end_date", absl::StrCat(Day(*result.end), " is before the start"));
  }
  return absl::OkStatus();
}

ResultVerdict EvaluateResult(absl::CivilDay participation_end, absl::CivilDay result_start,
                             std::optional<absl::CivilDay> result_end, absl::CivilDay as_of,
                             const ReferralRules& rules) {
  if (result_start > LatestResultStart(participation_end, rules)) {
    return ResultVerdict::kStartedTooLate;
  }
  const absl::CivilDay needed = ResultVerificationDueOn(result_start, rules) - 1;
  if (result_end && *result_end < needed) return ResultVerdict::kTooShort;
  const absl::CivilDay lasted_through = result_end ? std::min(*result_end, as_of) : as_of;
  return lasted_through >= needed ? ResultVerdict::kCounts : ResultVerdict::kNotYetKnown;
}

// --- Handling time ---------------------------------------------------------------------------

HandlingTime ComputeHandlingTime(const Case& c, std::optional<absl::Time> decision_claimed_at) {
  std::optional<absl::Time> created, decided, assigned;
  bool referred = false;
  for (const HistoryEntry& e : c.history) {
    switch (e.transition) {
      case Transition::kCreate:
        if (!created) created = e.time;
        break;
      case Transition::kDecide:
      case Transition::kNotRefer:
        if (!decided) {
          decided = e.time;
          referred = e.transition == Transition::kDecide;
        }
        break;
      case Transition::kChooseProvider:
      case Transition::kAssignDefaultProvider:
        if (!assigned) assigned = e.time;
        break;
      default: break;
    }
  }
  HandlingTime out;
  std::optional<absl::Time> claim = decision_claimed_at;
  if (claim && ((created && *claim < *created) || (decided && *claim > *decided))) claim.reset();
  if (created) {
    if (claim) {
      out.before_decision = *claim - *created;
    } else if (decided) {
      out.before_decision = *decided - *created;
    }
  }
  if (claim && decided) out.in_decision = *decided - *claim;
  if (referred && decided && assigned) out.after_decision = *assigned - *decided;
  return out;
}

}  // namespace rusta::referral
