#pragma once
// The compensation engine (ersättningsmodell, domain.md section 5) as pure functions: from the
// facts of one participation and the tariffs, the payment lines it earns as of a day; and the
// difference between those lines and a ledger, as new lines only (additions, and corrections made
// of a reversing line plus a replacement; a ledger line is never edited). No gRPC, protobuf, Redis
// or clock: "as of" is a parameter. The adapter builds a Participation from the case events and
// maps Line to compensation.proto's PaymentLine one to one (period or event_id is the oneof basis,
// reverses is reverses_line_id's key).
//
// The rules (amounts from the tariff in force, tariff.h; every date range inclusive at both ends):
//
// BASIC (grundersättning), one line per calendar month with at least one day of service:
//   - the service runs start .. end (or start .. as_of while not ended); a month counts when its
//     first day of service (max(start, the month's 1st)) is <= as_of and <= end: a case from
//     2025-01-31 to 2025-03-01 earns January, February and March;
//   - paid to the provider assigned on the month's first day of service. Provider periods may touch
//     on the hand-over day (the referral service ends the old assignment on the change's effective
//     date and starts the new one on the same date): the later assignment (latest `from`) wins;
//   - amount = BASIC[level] of the tariff in force on the month's first day of service; cut by
//     part_time_cut_percent when the participation is part time, or when a parallel measure
//     overlaps the month's days of service (the month ∩ start..end, regardless of as_of, so that a
//     measure registered in advance is seen when the month's line is first computed):
//     BASIC × (100 - cut) / 100 rounded to whole öre, half away from zero. `cut` is set whenever
//     the rule applies;
//   - key "<case_id>|BASIC|YYYY-MM", period = the month, date = the month's first day of service.
// RESULT (resultatersättning), once per participation, for the verified result when verified_on
//   <= as_of: RESULT[level] of the tariff in force on verified_on; paid to the result's
//   organisation_number. Key "<case_id>|RESULT|<result event_id>", date = verified_on.
// SPEED_BONUS (snabbhetspremie), on top of RESULT, same tariff, when the result started on day
//   1..speed_bonus_days of the service, the start day being day 1: day = (result.start - start) + 1.
//   With 90 days and a start on 2025-01-01, a result starting 2025-03-31 (day 90 = start + 89)
//   qualifies and one starting 2025-04-01 (day 91 = start + 90) does not. A result starting before
//   the service is a problem and earns no bonus. Key "<case_id>|SPEED_BONUS|<event_id>".
// SUPPLEMENTARY (tilläggsersättning), on top of RESULT, same tariff, when the result is work
//   (ResultKind::kWork), not subsidised, and percentage >= supplementary_min_percent (80 qualifies,
//   79 does not). Key "<case_id>|SUPPLEMENTARY|<event_id>".
// INTERPRETER (tolkersättning), one line per reported month with hours > 0: hours × INTERPRETER
//   [level] of the tariff in force on the month's first day of service, to the reporting provider;
//   quantity = hours, tariff_amount_ore = the hourly amount. The month must lie within the service
//   and its first day of service be <= as_of. Key "<case_id>|INTERPRETER|YYYY-MM".
//
// What cannot be computed is left out and described in `problems` ("<case_id>: <what>: <why>"),
// the other lines are still returned: no tariff in force on the line's date, no provider on a
// month's first day of service, a level that is not A/B/C (no line at all), an end before the
// start (no line at all), a result without organisation, negative hours, two entries for the same
// interpreter month (none of them is paid), an interpreter month outside the service.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/compensation/domain/tariff.h"

namespace rusta::compensation {

// What the verified result is (rusta.v1.ResultKind's numbering).
enum class ResultKind { kUnspecified = 0, kWork = 1, kStudies = 2 };

// start .. end, both inclusive (a parallel measure).
struct DateRange {
  absl::CivilDay start;
  absl::CivilDay end;
  std::string event_id;  // the REGISTER_PARALLEL_MEASURE event (explainability)
};

// One provider's assignment to the case.
struct ProviderPeriod {
  std::string organisation_number;
  absl::CivilDay from;
  std::optional<absl::CivilDay> to;  // inclusive; unset while current
  std::string event_id;              // CHOOSE_PROVIDER / ASSIGN_DEFAULT_PROVIDER / CHANGE_PROVIDER
};

// Interpreter hours of one month, from the current revision of the monthly report.
struct InterpreterMonth {
  absl::CivilMonth month;
  int hours = 0;
  std::string organisation_number;  // the reporting provider, paid
  std::string report_id;
  std::string event_id;  // the report's (confirmation) event
};

// A verified result (work or studies).
struct VerifiedResult {
  std::string event_id;  // the VERIFY_RESULT event: the basis of RESULT/SPEED_BONUS/SUPPLEMENTARY
  absl::CivilDay verified_on;
  absl::CivilDay start;  // the work or studies started
  int percentage = 100;  // of full time
  bool subsidised = false;
  ResultKind kind = ResultKind::kUnspecified;
  std::string organisation_number;  // the provider credited with the result
  std::string report_event_id;      // the REPORT_RESULT event, if known (explainability)
};

// The participation of one case, as far as compensation is concerned.
struct Participation {
  std::string case_id;
  Level level = Level::kUnspecified;
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;  // the last day of service
  bool part_time = false;             // extent below 100 %
  std::vector<DateRange> parallel_measures;
  std::vector<ProviderPeriod> providers;
  std::vector<InterpreterMonth> interpreter;
  std::optional<VerifiedResult> result;
  // Case events the lines are explained by; empty ones are left out of source_event_ids.
  std::string decision_event_id;  // DECIDE: level and extent
  std::string start_event_id;     // START
  std::string end_event_id;       // END
};

// One payment line (compensation.proto PaymentLine without ids, timestamps and settlement).
struct Line {
  // "<case_id>|<COMPONENT>|YYYY-MM" (BASIC, INTERPRETER) or "<case_id>|<COMPONENT>|<event_id>";
  // corrections append "#v<n>" (replacement) or "#rev<n>" (reversal), see Reconcile.
  std::string idempotency_key;
  std::string case_id;
  std::string organisation_number;
  Component component = Component::kBasic;
  Level level = Level::kUnspecified;
  std::optional<absl::CivilMonth> period;  // BASIC, INTERPRETER
  std::string event_id;                    // RESULT, SPEED_BONUS, SUPPLEMENTARY
  std::string tariff_version;
  int64_t amount_ore = 0;         // negative only on reversing lines
  int64_t tariff_amount_ore = 0;  // before any cut; per hour for INTERPRETER
  bool cut = false;               // part_time_or_parallel_cut
  int quantity = 1;               // interpreter hours; 1 otherwise; negated on reversing lines
  std::vector<std::string> source_event_ids;
  absl::CivilDay date;  // the day whose tariff applied (reports by period)
  std::string explanation;  // Swedish
  std::string reverses;     // for a reversing line: the key of the line it reverses
};

// The lines `participation` has earned as of `as_of`, sorted by idempotency key. Deterministic:
// the same input gives the same lines. `problems` (may be null) receives what could not be
// computed (see the header comment); it is appended to, not cleared.
std::vector<Line> ComputeLines(const Participation& participation, const TariffSet& tariffs,
                               absl::CivilDay as_of, std::vector<std::string>* problems);

// ---------------------------------------------------------------------------------------------
// Reconciliation: what to append to a ledger so that it matches the computed lines.
// ---------------------------------------------------------------------------------------------
//
// Keys. A computed line has a base key (above). Version 1 of a base key B is the line keyed B;
// a correction of version n adds the reversal "B#rev<n>" (reverses = the key of version n,
// amount and quantity negated, same organisation, tariff and period/event) and the replacement
// "B#v<n+1>" (the recomputed line under that key). Keys are therefore deterministic: two engines
// reconciling the same ledger produce the same keys, and a ledger that refuses a key it already
// holds never reverses a line twice.
//
// A line is corrected when any paying field differs: organisation_number, amount_ore,
// tariff_version, tariff_amount_ore, cut, quantity or level (not explanation, date or sources).

// "B" for "B", "B#v3" and "B#rev2".
std::string BaseKey(std::string_view key);
// 1 for "B", n for "B#v<n>" and "B#rev<n>".
int KeyVersion(std::string_view key);

// The lines of a ledger that are in force: for each base key, the highest version that is not a
// reversal and has not been reversed; none when its latest version was reversed without a
// replacement. Sorted by key.
std::vector<Line> EffectiveLines(const std::vector<Line>& ledger);

struct Correction {
  Line reversal;
  Line replacement;
};

struct LedgerDiff {
  // Computed lines whose base key the ledger lacks, sorted by key.
  std::vector<Line> additions;
  // Changed lines, sorted by base key.
  std::vector<Correction> corrections;
  // Effective ledger lines the engine no longer computes (REPLAY EXTRA), sorted by key. Not
  // reversed here: whether to reverse them is the caller's decision (e.g. a back-dated end).
  std::vector<Line> unexpected;
  // Inconsistent input (several effective lines for one base key, reversal lines passed as
  // effective); the line with the highest version is used.
  std::vector<std::string> problems;

  bool empty() const { return additions.empty() && corrections.empty(); }
  // Everything to append, in order: additions, then each reversal followed by its replacement.
  std::vector<Line> ToAppend() const;
};

// `expected` from ComputeLines; `existing_effective` the ledger's effective lines (EffectiveLines)
// for the same case(s).
LedgerDiff Reconcile(const std::vector<Line>& expected,
                     const std::vector<Line>& existing_effective);

// "1 760,00 kr" (explanations).
std::string FormatSek(int64_t ore);

}  // namespace rusta::compensation
