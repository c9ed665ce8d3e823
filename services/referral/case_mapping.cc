#include "services/referral/case_mapping.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/server/clock.h"
#include "common/server/proto_convert.h"

namespace rusta::referral {
namespace {

namespace v1 = ::rusta::v1;

// The range check behind every enum conversion: `n` must lie within the domain enum's numbers.
template <typename Domain>
absl::StatusOr<Domain> InRange(int n, int lo, int hi, std::string_view field, const char* name) {
  if (n < lo || n > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": ", n, " is not a known ", name));
  }
  return static_cast<Domain>(n);
}

bool DateUnset(const v1::Date& date) {
  return date.year() == 0 && date.month() == 0 && date.day() == 0;
}

// An optional date: unset → nullopt, set → must be valid.
absl::StatusOr<std::optional<absl::CivilDay>> OptionalDay(const v1::Date& date,
                                                          std::string_view field) {
  if (DateUnset(date)) return std::optional<absl::CivilDay>();
  absl::StatusOr<absl::CivilDay> day = server::ToCivilDay(date, field);
  if (!day.ok()) return day.status();
  return std::optional<absl::CivilDay>(*day);
}

// Timestamp's documented range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
bool ValidTimestamp(const google::protobuf::Timestamp& ts) {
  return ts.seconds() >= -62135596800 && ts.seconds() <= 253402300799 && ts.nanos() >= 0 &&
         ts.nanos() <= 999999999;
}

absl::StatusOr<absl::CivilSecond> SwedishSecond(const google::protobuf::Timestamp& ts,
                                                std::string_view field) {
  if (!ValidTimestamp(ts)) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": not a valid timestamp"));
  }
  return absl::ToCivilSecond(server::FromTimestamp(ts), server::SwedishTimeZone());
}

// ToDomainCase's errors: whatever could not be converted is damage to stored data.
absl::Status Stored(const v1::Case& c, const absl::Status& status) {
  return absl::DataLossError(
      absl::StrCat("stored case ", c.case_id(), ": ", std::string(status.message())));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Enums.
// ---------------------------------------------------------------------------------------------

absl::StatusOr<CaseState> ToDomainState(v1::CaseState state, std::string_view field) {
  return InRange<CaseState>(state, static_cast<int>(CaseState::kNone),
                            static_cast<int>(CaseState::kNotReferred), field, "CaseState");
}
v1::CaseState FromDomainState(CaseState state) { return static_cast<v1::CaseState>(state); }

absl::StatusOr<Transition> ToDomainTransition(v1::CaseTransitionKind kind,
                                              std::string_view field) {
  return InRange<Transition>(kind, static_cast<int>(Transition::kCreate),
                             static_cast<int>(Transition::kMarkPaid), field, "Transition");
}
v1::CaseTransitionKind FromDomainTransition(Transition transition) {
  return static_cast<v1::CaseTransitionKind>(transition);
}

absl::StatusOr<Role> ToDomainRole(v1::Role role, std::string_view field) {
  return InRange<Role>(role, static_cast<int>(Role::kCaseworker), static_cast<int>(Role::kService),
                       field, "Role");
}
v1::Role FromDomainRole(Role role) { return static_cast<v1::Role>(role); }

Role FromIdentityRole(identity::Role role) {
  switch (role) {
    case identity::Role::kCaseworker: return Role::kCaseworker;
    case identity::Role::kEmploymentOfficer: return Role::kEmploymentOfficer;
    case identity::Role::kSupportGroup: return Role::kSupportGroup;
    case identity::Role::kProviderFollowUp: return Role::kProviderFollowUp;
    case identity::Role::kProvider: return Role::kProvider;
    case identity::Role::kMunicipality: return Role::kMunicipality;
    case identity::Role::kAuditor: return Role::kAuditor;
    case identity::Role::kAdmin: return Role::kAdmin;
    case identity::Role::kService: return Role::kService;
  }
  // Not reached for a valid identity::Role; the least privileged answer otherwise.
  return Role::kAuditor;
}

absl::StatusOr<Level> ToDomainLevel(v1::Level level, std::string_view field) {
  return InRange<Level>(level, static_cast<int>(Level::kUnspecified), static_cast<int>(Level::kC),
                        field, "Level");
}
v1::Level FromDomainLevel(Level level) { return static_cast<v1::Level>(level); }

absl::StatusOr<EndReason> ToDomainEndReason(v1::EndReason reason, std::string_view field) {
  return InRange<EndReason>(reason, static_cast<int>(EndReason::kUnspecified),
                            static_cast<int>(EndReason::kOther), field, "EndReason");
}
v1::EndReason FromDomainEndReason(EndReason reason) { return static_cast<v1::EndReason>(reason); }

absl::StatusOr<ChoiceKind> ToDomainChoiceKind(v1::ChoiceKind kind, std::string_view field) {
  return InRange<ChoiceKind>(kind, static_cast<int>(ChoiceKind::kUnspecified),
                             static_cast<int>(ChoiceKind::kChange), field, "ChoiceKind");
}
v1::ChoiceKind FromDomainChoiceKind(ChoiceKind kind) { return static_cast<v1::ChoiceKind>(kind); }

absl::StatusOr<ProviderChangeReason> ToDomainProviderChangeReason(v1::ProviderChangeReason reason,
                                                                  std::string_view field) {
  return InRange<ProviderChangeReason>(reason, static_cast<int>(ProviderChangeReason::kUnspecified),
                                       static_cast<int>(ProviderChangeReason::kOther), field,
                                       "ProviderChangeReason");
}
v1::ProviderChangeReason FromDomainProviderChangeReason(ProviderChangeReason reason) {
  return static_cast<v1::ProviderChangeReason>(reason);
}

absl::StatusOr<ParallelMeasureKind> ToDomainParallelMeasureKind(v1::ParallelMeasureKind kind,
                                                                std::string_view field) {
  return InRange<ParallelMeasureKind>(kind, static_cast<int>(ParallelMeasureKind::kUnspecified),
                                      static_cast<int>(ParallelMeasureKind::kSfi), field,
                                      "ParallelMeasureKind");
}
v1::ParallelMeasureKind FromDomainParallelMeasureKind(ParallelMeasureKind kind) {
  return static_cast<v1::ParallelMeasureKind>(kind);
}

absl::StatusOr<ActivityCategory> ToDomainActivityCategory(v1::ActivityCategory category,
                                                          std::string_view field) {
  return InRange<ActivityCategory>(category, static_cast<int>(ActivityCategory::kUnspecified),
                                   static_cast<int>(ActivityCategory::kOwnWorkPerPlan), field,
                                   "ActivityCategory");
}
v1::ActivityCategory FromDomainActivityCategory(ActivityCategory category) {
  return static_cast<v1::ActivityCategory>(category);
}

DeviationCode ToDomainDeviationCode(v1::DeviationCode code) {
  return static_cast<DeviationCode>(code);
}
v1::DeviationCode FromDomainDeviationCode(DeviationCode code) {
  return static_cast<v1::DeviationCode>(code);
}

// ---------------------------------------------------------------------------------------------
// Messages.
// ---------------------------------------------------------------------------------------------

absl::StatusOr<Extent> ToDomainExtent(const v1::Extent& extent) {
  Extent out;
  absl::StatusOr<ExtentKind> kind =
      InRange<ExtentKind>(extent.kind(), static_cast<int>(ExtentKind::kUnspecified),
                          static_cast<int>(ExtentKind::kPartTime), "extent.kind", "ExtentKind");
  if (!kind.ok()) return kind.status();
  absl::StatusOr<PartTimeReason> reason = InRange<PartTimeReason>(
      extent.part_time_reason(), static_cast<int>(PartTimeReason::kUnspecified),
      static_cast<int>(PartTimeReason::kOther), "extent.part_time_reason", "PartTimeReason");
  if (!reason.ok()) return reason.status();
  out.kind = *kind;
  out.percentage = extent.percentage();
  out.part_time_reason = *reason;
  out.part_time_reason_text = extent.part_time_reason_text();
  out.available_hours_per_week = extent.available_hours_per_week();
  return out;
}

v1::Extent FromDomainExtent(const Extent& extent) {
  v1::Extent out;
  out.set_kind(static_cast<v1::ExtentKind>(extent.kind));
  out.set_percentage(extent.percentage);
  out.set_part_time_reason(static_cast<v1::PartTimeReason>(extent.part_time_reason));
  out.set_part_time_reason_text(extent.part_time_reason_text);
  out.set_available_hours_per_week(extent.available_hours_per_week);
  return out;
}

absl::StatusOr<Case> ToDomainCase(const v1::Case& c) {
  Case out;
  out.case_id = c.case_id();
  out.person_id = c.person_id();
  out.version = c.version();
  out.home_municipality_code = c.home_municipality_code();

  absl::StatusOr<CaseState> state = ToDomainState(c.state(), "state");
  if (!state.ok()) return Stored(c, state.status());
  out.state = *state;

  // Decision.
  absl::StatusOr<Level> level = ToDomainLevel(c.level(), "level");
  if (!level.ok()) return Stored(c, level.status());
  out.level = *level;
  if (c.has_extent()) {
    absl::StatusOr<Extent> extent = ToDomainExtent(c.extent());
    if (!extent.ok()) return Stored(c, extent.status());
    out.extent = *std::move(extent);
  }
  auto decided_on = OptionalDay(c.decision().decided_on(), "decision.decided_on");
  if (!decided_on.ok()) return Stored(c, decided_on.status());
  out.decided_on = *decided_on;
  auto deadline = OptionalDay(c.decision().choice_deadline(), "decision.choice_deadline");
  if (!deadline.ok()) return Stored(c, deadline.status());
  out.choice_deadline = *deadline;

  // Providers.
  for (int i = 0; i < c.provider_history_size(); ++i) {
    const v1::ProviderAssignment& p = c.provider_history(i);
    const std::string field = absl::StrCat("provider_history[", i, "]");
    ProviderAssignment a;
    a.organisation_number = p.organisation_number();
    absl::StatusOr<ChoiceKind> kind = ToDomainChoiceKind(p.choice_kind(), field + ".choice_kind");
    if (!kind.ok()) return Stored(c, kind.status());
    a.choice_kind = *kind;
    absl::StatusOr<absl::CivilDay> assigned =
        server::ToCivilDay(p.assigned_on(), field + ".assigned_on");
    if (!assigned.ok()) return Stored(c, assigned.status());
    a.assigned_on = *assigned;
    auto ended = OptionalDay(p.ended_on(), field + ".ended_on");
    if (!ended.ok()) return Stored(c, ended.status());
    a.ended_on = *ended;
    absl::StatusOr<ProviderChangeReason> reason =
        ToDomainProviderChangeReason(p.change_reason(), field + ".change_reason");
    if (!reason.ok()) return Stored(c, reason.status());
    a.change_reason = *reason;
    out.providers.push_back(std::move(a));
  }
  absl::StatusOr<ChoiceKind> choice_kind = ToDomainChoiceKind(c.choice_kind(), "choice_kind");
  if (!choice_kind.ok()) return Stored(c, choice_kind.status());
  out.choice_kind = *choice_kind;

  // Active service.
  auto started = OptionalDay(c.started_on(), "started_on");
  if (!started.ok()) return Stored(c, started.status());
  out.started_on = *started;
  for (const v1::ServicePeriod& period : c.service_periods()) {
    if (period.number() == 2) out.prolonged = true;
  }
  for (int i = 0; i < c.pauses_size(); ++i) {
    const v1::CasePause& p = c.pauses(i);
    const std::string field = absl::StrCat("pauses[", i, "].dates");
    Pause pause;
    absl::StatusOr<absl::CivilDay> from = server::ToCivilDay(p.dates().start(), field + ".start");
    if (!from.ok()) return Stored(c, from.status());
    pause.from = *from;
    auto until = OptionalDay(p.dates().end(), field + ".end");
    if (!until.ok()) return Stored(c, until.status());
    pause.until = *until;
    pause.stops_clock = p.stops_clock();
    out.pauses.push_back(pause);
  }
  for (int i = 0; i < c.parallel_measures_size(); ++i) {
    absl::StatusOr<ParallelMeasure> m = ToDomainParallelMeasure(c.parallel_measures(i));
    if (!m.ok()) {
      return Stored(c, absl::Status(m.status().code(),
                                    absl::StrCat("parallel_measures[", i, "]: ",
                                                 std::string(m.status().message()))));
    }
    out.parallel_measures.push_back(*m);
  }

  // End.
  auto end_date = OptionalDay(c.end().end_date(), "end.end_date");
  if (!end_date.ok()) return Stored(c, end_date.status());
  out.end_date = *end_date;
  absl::StatusOr<EndReason> end_reason = ToDomainEndReason(c.end().reason(), "end.reason");
  if (!end_reason.ok()) return Stored(c, end_reason.status());
  out.end_reason = *end_reason;

  // History (FLAG entries are not transitions).
  for (int i = 0; i < c.history_size(); ++i) {
    const v1::CaseTransition& t = c.history(i);
    if (t.kind() == v1::CASE_TRANSITION_KIND_FLAG) continue;
    const std::string field = absl::StrCat("history[", i, "]");
    HistoryEntry entry;
    absl::StatusOr<Transition> kind = ToDomainTransition(t.kind(), field + ".kind");
    if (!kind.ok()) return Stored(c, kind.status());
    entry.transition = *kind;
    absl::StatusOr<CaseState> from = ToDomainState(t.from_state(), field + ".from_state");
    if (!from.ok()) return Stored(c, from.status());
    entry.from = *from;
    absl::StatusOr<CaseState> to = ToDomainState(t.to_state(), field + ".to_state");
    if (!to.ok()) return Stored(c, to.status());
    entry.to = *to;
    absl::StatusOr<Role> role = ToDomainRole(t.actor().role(), field + ".actor.role");
    if (!role.ok()) return Stored(c, role.status());
    entry.role = *role;
    if (!ValidTimestamp(t.time())) {
      return Stored(c, absl::InvalidArgumentError(field + ".time: not a valid timestamp"));
    }
    entry.time = server::FromTimestamp(t.time());
    if (entry.transition == Transition::kProlong && out.prolonged) {
      out.prolonged_on = server::SwedishDay(entry.time);
    }
    out.history.push_back(entry);
  }
  return out;
}

absl::StatusOr<MonthlyReport> ToDomainMonthlyReport(const v1::MonthlyReport& report) {
  MonthlyReport out;
  const v1::YearMonth& month = report.month();
  if (month.year() == 0 && month.month() == 0) {
    return absl::InvalidArgumentError("report.month: required");
  }
  if (month.year() < 1900 || month.year() > 2199 || month.month() < 1 || month.month() > 12) {
    return absl::InvalidArgumentError(absl::StrCat("report.month: ", month.year(), "-",
                                                   month.month(), " is not a valid month"));
  }
  out.month = absl::CivilMonth(month.year(), month.month());
  for (int i = 0; i < report.activities_size(); ++i) {
    const v1::ActivityHours& a = report.activities(i);
    absl::StatusOr<ActivityCategory> category = ToDomainActivityCategory(
        a.category(), absl::StrCat("report.activities[", i, "].category"));
    if (!category.ok()) return category.status();
    out.activities.push_back(ActivityHours{*category, a.hours()});
  }
  out.interpreter_hours = report.interpreter_hours();
  out.meetings = report.meetings();
  out.in_person_meetings = report.in_person_meetings();
  return out;
}

absl::StatusOr<DeviationReport> ToDomainDeviationReport(const v1::DeviationReport& report) {
  DeviationReport out;
  out.code = ToDomainDeviationCode(report.code());
  absl::StatusOr<absl::CivilDay> date = server::ToCivilDay(report.date(), "report.date");
  if (!date.ok()) return date.status();
  out.date = *date;
  if (!report.has_span_start()) return absl::InvalidArgumentError("report.span_start: required");
  absl::StatusOr<absl::CivilSecond> start = SwedishSecond(report.span_start(), "report.span_start");
  if (!start.ok()) return start.status();
  out.span_start = *start;
  if (report.has_span_end()) {
    absl::StatusOr<absl::CivilSecond> end = SwedishSecond(report.span_end(), "report.span_end");
    if (!end.ok()) return end.status();
    out.span_end = *end;
  } else {
    out.span_end = out.span_start;
  }
  return out;
}

absl::StatusOr<ParallelMeasure> ToDomainParallelMeasure(const v1::ParallelMeasure& measure) {
  ParallelMeasure out;
  absl::StatusOr<ParallelMeasureKind> kind =
      ToDomainParallelMeasureKind(measure.kind(), "measure.kind");
  if (!kind.ok()) return kind.status();
  out.kind = *kind;
  absl::StatusOr<absl::CivilDay> start =
      server::ToCivilDay(measure.dates().start(), "measure.dates.start");
  if (!start.ok()) return start.status();
  out.start = *start;
  auto end = OptionalDay(measure.dates().end(), "measure.dates.end");
  if (!end.ok()) return end.status();
  out.end = *end;
  out.percentage = measure.percentage();
  return out;
}

v1::Case ProviderView(const v1::Case& c, const std::string& organisation_number) {
  v1::Case out;
  out.set_case_id(c.case_id());
  out.set_person_id(c.person_id());
  out.set_version(c.version());
  out.set_state(c.state());
  out.set_level(c.level());
  if (c.has_extent()) *out.mutable_extent() = c.extent();
  if (c.has_current_provider() &&
      c.current_provider().organisation_number() == organisation_number) {
    *out.mutable_current_provider() = c.current_provider();
  }
  *out.mutable_service_periods() = c.service_periods();
  for (v1::ServicePeriod& period : *out.mutable_service_periods()) period.clear_decided_by();
  if (c.has_started_on()) *out.mutable_started_on() = c.started_on();
  if (c.has_maximum_end_date()) *out.mutable_maximum_end_date() = c.maximum_end_date();
  *out.mutable_pauses() = c.pauses();
  out.set_paused(c.paused());
  *out.mutable_parallel_measures() = c.parallel_measures();
  if (c.has_end()) {
    *out.mutable_end() = c.end();
    out.mutable_end()->clear_ended_by();
  }
  *out.mutable_flags() = c.flags();
  return out;
}

}  // namespace rusta::referral
