#pragma once
// The case lifecycle (domain.md section 3) as an explicit transition table: for every (state,
// transition) allowed, the next state and the roles that may trigger it. Everything not in the
// table is refused.
//
//   (NONE) → REGISTERED → ASSESSED → DECIDED → AWAITING_CHOICE → ASSIGNED → ACTIVE → ENDED
//                            └→ NOT_REFERRED                ASSIGNED → ENDED (never started)
//   ACTIVE ↺ CHANGE_PROVIDER, REGISTER_PARALLEL_MEASURE, PROLONG, PAUSE, RESUME (ASSIGNED ↺ change)
//   ACTIVE → INTERRUPTED → ENDED
//   ENDED → RESULT_REPORTED → RESULT_VERIFIED → PAID;  RESULT_REPORTED → ENDED (REJECT_RESULT)
//
// Who may do what (domain.md section 2):
//   CASEWORKER          decides (DECIDE, NOT_REFER, OPEN_CHOICE), opens cases and attaches
//                       assessments, handles routine case documents (START, PROLONG, PAUSE,
//                       RESUME, END of an assigned or active case, results), and enters the
//                       participant's own actions (CHOOSE_PROVIDER, CHANGE_PROVIDER).
//   EMPLOYMENT_OFFICER  everything a caseworker may, plus the underlying programme decisions
//                       (REGISTER_PARALLEL_MEASURE), interruptions (INTERRUPT, END of an
//                       interrupted case).
//   PROVIDER            only REPORT_RESULT (work or studies after the end, from the last provider;
//                       the adapter checks which provider). Its other reports do not change the
//                       state: rules.h CheckReportSubmission.
//   SERVICE             the suite's scheduler and integrations: ASSIGN_DEFAULT_PROVIDER (only it),
//                       END (maximum time, deregistration), result verification, MARK_PAID (the
//                       compensation engine, only it), and the participant's own actions arriving
//                       through the self-service channel (CHOOSE_PROVIDER, CHANGE_PROVIDER, PAUSE,
//                       RESUME); also CREATE/ATTACH_ASSESSMENT for cases opened by integration.
//   SUPPORT_GROUP, PROVIDER_FOLLOW_UP, MUNICIPALITY, AUDITOR, ADMIN: no transition at all.
//
// Composite calls: Decide(refer) is DECIDE then OPEN_CHOICE in the same atomic call;
// CreateCase with an assessment is CREATE then ATTACH_ASSESSMENT; a parallel measure that ends the
// participation (rules.h: labour-market training over 3 months) is REGISTER_PARALLEL_MEASURE then
// END (reason TRANSFER_TO_OTHER_MEASURE). The adapter checks each step with Next.
//
// Conditions that depend on more than the state (paused or not, prolonged or not, dates) are in
// rules.h; Next answers only "may this role do this in this state".
#include <vector>

#include "absl/status/statusor.h"
#include "services/referral/domain/case_types.h"

namespace rusta::referral {

inline constexpr char kStateMachineVersion[] = "case-lifecycle/1";

// One line of the table.
struct Rule {
  CaseState from;
  Transition transition;
  CaseState to;
  std::vector<Role> roles;
};

// The table, in lifecycle order; at most one rule per (from, transition).
const std::vector<Rule>& TransitionTable();

// The rule for (from, transition), or null.
const Rule* FindRule(CaseState from, Transition transition);

// The next state, or:
//   PERMISSION_DENIED "case.role: <ROLE> may not <TRANSITION>" when the role may not trigger the
//     transition in ANY state (checked first, so a caller without the right learns nothing about
//     the case's state); "case.role: <ROLE> may not <TRANSITION> in <STATE>" when it may
//     elsewhere but not in this state (CASEWORKER may END an active case, not an interrupted one);
//   FAILED_PRECONDITION "case.transition: <TRANSITION> is not allowed in <STATE>" when the table
//     has no rule for (state, transition) and the role could trigger the transition elsewhere.
absl::StatusOr<CaseState> Next(CaseState from, Transition transition, Role role);

}  // namespace rusta::referral
