#pragma once
// The mapping between the referral service's stored protos (rusta/v1/referral.proto, common.proto)
// and its plain C++ domain (services/referral/domain): the gRPC adapter reads a stored case with
// ToDomainCase, converts request parts with the ToDomain... functions, and writes enums back with
// the FromDomain... ones. It also builds the reduced case a PROVIDER caller sees (ProviderView).
//
// Enums: the domain's enums have the proto's numbers (case_types.h), so each conversion is a range
// check against the DOMAIN's values followed by a static_cast. A value outside them is
// INVALID_ARGUMENT "<field>: <n> is not a known <Enum>"; every function takes the field name to
// put in that message. Exceptions:
//   - Transition has no FLAG (20) and no UNSPECIFIED (0): both are refused by ToDomainTransition,
//     and ToDomainCase skips FLAG entries of the history (a flag is not a transition).
//   - ParallelMeasureKind::kSfi (6) has no proto value yet; 6 is accepted and becomes kSfi (so that
//     CheckParallelMeasure refuses it by name), and kSfi is written back as the bare number 6.
//   - DeviationCode is never refused: the number IS AF's code, and IsKnownDeviationCode (rules.h)
//     decides which codes are accepted. Unknown numbers pass through unchanged.
//
// Dates: an unset proto Date (all fields 0) means "no date" where the domain has an optional; a set
// one must be a valid date (server::ToCivilDay). Time spans of deviation reports are converted to
// Swedish local time (Europe/Stockholm, server::SwedishTimeZone()).
//
// Status codes: the request converters (ToDomainExtent, ToDomainMonthlyReport,
// ToDomainDeviationReport, ToDomainParallelMeasure) answer INVALID_ARGUMENT "<field>: <reason>".
// ToDomainCase reads what the service itself stored, so anything it cannot convert is DATA_LOSS
// "stored case <case_id>: <field>: <reason>".
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/identity/identity.h"
#include "rusta/v1/common.pb.h"
#include "rusta/v1/referral.pb.h"
#include "services/referral/domain/case_types.h"
#include "services/referral/domain/rules.h"

namespace rusta::referral {

// ---------------------------------------------------------------------------------------------
// Enums.
// ---------------------------------------------------------------------------------------------

// CASE_STATE_UNSPECIFIED ↔ CaseState::kNone.
absl::StatusOr<CaseState> ToDomainState(rusta::v1::CaseState state,
                                        std::string_view field = "state");
rusta::v1::CaseState FromDomainState(CaseState state);

// UNSPECIFIED and FLAG are refused (see the header comment).
absl::StatusOr<Transition> ToDomainTransition(rusta::v1::CaseTransitionKind kind,
                                              std::string_view field = "kind");
rusta::v1::CaseTransitionKind FromDomainTransition(Transition transition);

// ROLE_UNSPECIFIED is refused (the domain has no such role).
absl::StatusOr<Role> ToDomainRole(rusta::v1::Role role, std::string_view field = "role");
rusta::v1::Role FromDomainRole(Role role);
// The caller's role from its certificate identity.
Role FromIdentityRole(identity::Role role);

absl::StatusOr<Level> ToDomainLevel(rusta::v1::Level level, std::string_view field = "level");
rusta::v1::Level FromDomainLevel(Level level);

absl::StatusOr<EndReason> ToDomainEndReason(rusta::v1::EndReason reason,
                                            std::string_view field = "reason");
rusta::v1::EndReason FromDomainEndReason(EndReason reason);

absl::StatusOr<ChoiceKind> ToDomainChoiceKind(rusta::v1::ChoiceKind kind,
                                              std::string_view field = "choice_kind");
rusta::v1::ChoiceKind FromDomainChoiceKind(ChoiceKind kind);

absl::StatusOr<ProviderChangeReason> ToDomainProviderChangeReason(
    rusta::v1::ProviderChangeReason reason, std::string_view field = "change_reason");
rusta::v1::ProviderChangeReason FromDomainProviderChangeReason(ProviderChangeReason reason);

// 6 (not in the proto yet) ↔ kSfi.
absl::StatusOr<ParallelMeasureKind> ToDomainParallelMeasureKind(
    rusta::v1::ParallelMeasureKind kind, std::string_view field = "kind");
rusta::v1::ParallelMeasureKind FromDomainParallelMeasureKind(ParallelMeasureKind kind);

absl::StatusOr<ActivityCategory> ToDomainActivityCategory(rusta::v1::ActivityCategory category,
                                                          std::string_view field = "category");
rusta::v1::ActivityCategory FromDomainActivityCategory(ActivityCategory category);

// Never refused: the number is kept as it is.
DeviationCode ToDomainDeviationCode(rusta::v1::DeviationCode code);
rusta::v1::DeviationCode FromDomainDeviationCode(DeviationCode code);

// ---------------------------------------------------------------------------------------------
// Messages.
// ---------------------------------------------------------------------------------------------

// Extent: INVALID_ARGUMENT "extent.kind: ..." / "extent.part_time_reason: ..." for an unknown
// enum number. The values themselves (percentage, hours, reason required) are CheckExtent's.
absl::StatusOr<Extent> ToDomainExtent(const rusta::v1::Extent& extent);
rusta::v1::Extent FromDomainExtent(const Extent& extent);

// A stored case, every field of referral::Case (see the header comment for DATA_LOSS):
//   level, extent            the case's own copies (extent left at the domain default, full time,
//                            while the case has none);
//   decided_on, choice_deadline   from the decision, absent while undecided;
//   providers                provider_history, oldest first (ended_on absent while current);
//   prolonged                service_periods has a period number 2; prolonged_on is then the
//                            Swedish day of the (last) PROLONG history entry, absent without one;
//   pauses                   dates.start → from, dates.end → until (absent while open);
//   end_date, end_reason     from end;
//   history                  every entry except FLAG ones: kind, from/to state, the actor's role,
//                            time.
absl::StatusOr<Case> ToDomainCase(const rusta::v1::Case& c);

// Periodisk rapport. INVALID_ARGUMENT "report.month: required" / "report.month: <y>-<m> is not a
// valid month" (year 1900..2199, month 1..12, as for Date), "report.activities[i].category: ..."
// for an unknown category number.
absl::StatusOr<MonthlyReport> ToDomainMonthlyReport(const rusta::v1::MonthlyReport& report);

// Avvikelserapport: date via ToCivilDay ("report.date"); the span's Timestamps as Swedish local
// time. INVALID_ARGUMENT "report.span_start: required" without a start; "report.span_start" /
// "report.span_end: not a valid timestamp" outside the Timestamp range; a missing span_end is the
// start (a point in time).
absl::StatusOr<DeviationReport> ToDomainDeviationReport(const rusta::v1::DeviationReport& report);

// Insats hos annan aktör. INVALID_ARGUMENT "measure.kind: ...", "measure.dates.start: required" or
// "... not a valid date", "measure.dates.end: not a valid date"; a missing end is left absent
// (CheckParallelMeasure requires it).
absl::StatusOr<ParallelMeasure> ToDomainParallelMeasure(const rusta::v1::ParallelMeasure& measure);

// The reduced view of a case for the PROVIDER `organisation_number` (referral.proto, message Case):
// case_id, person_id, version, state, level, extent, current_provider (only when it is this
// provider's), service_periods (without the prolongation's decided_by), started_on,
// maximum_end_date, pauses, paused, parallel_measures, end (without ended_by) and flags. Everything
// else is left out: the decision and assessment, the home codes, the not-referred fields, other
// providers (provider_history, provider_change_count, choice_kind), the result, the history and
// the created/updated times. Whether the provider may see the case at all is ProviderMayView's.
rusta::v1::Case ProviderView(const rusta::v1::Case& c, const std::string& organisation_number);

}  // namespace rusta::referral
