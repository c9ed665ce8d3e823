// Unit tests of the case lifecycle (services/referral/domain/state_machine.h).
//
// The expected answers come from a second, hand-written representation of the table: per ROLE,
// the "STATE TRANSITION NEXT" lines it may do (the library's table is written per (state,
// transition) with a list of roles). Every one of the 13 states × 19 transitions × 9 roles is
// checked against it.
#include "services/referral/domain/state_machine.h"

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rusta::referral {
namespace {

using ::testing::HasSubstr;

// Allowed (state, transition) → next, per role. Roles not listed may do nothing.
const std::map<std::string, std::vector<std::string>> kAllowedByRole = {
    {"CASEWORKER",
     {
         "NONE CREATE REGISTERED",
         "REGISTERED ATTACH_ASSESSMENT ASSESSED",
         "ASSESSED ATTACH_ASSESSMENT ASSESSED",
         "ASSESSED DECIDE DECIDED",
         "ASSESSED NOT_REFER NOT_REFERRED",
         "DECIDED OPEN_CHOICE AWAITING_CHOICE",
         "AWAITING_CHOICE CHOOSE_PROVIDER ASSIGNED",
         "ASSIGNED CHANGE_PROVIDER ASSIGNED",
         "ASSIGNED START ACTIVE",
         "ASSIGNED END ENDED",
         "ACTIVE PROLONG ACTIVE",
         "ACTIVE CHANGE_PROVIDER ACTIVE",
         "ACTIVE PAUSE ACTIVE",
         "ACTIVE RESUME ACTIVE",
         "ACTIVE END ENDED",
         "ENDED REPORT_RESULT RESULT_REPORTED",
         "RESULT_REPORTED VERIFY_RESULT RESULT_VERIFIED",
         "RESULT_REPORTED REJECT_RESULT ENDED",
     }},
    {"EMPLOYMENT_OFFICER",
     {
         "NONE CREATE REGISTERED",
         "REGISTERED ATTACH_ASSESSMENT ASSESSED",
         "ASSESSED ATTACH_ASSESSMENT ASSESSED",
         "ASSESSED DECIDE DECIDED",
         "ASSESSED NOT_REFER NOT_REFERRED",
         "DECIDED OPEN_CHOICE AWAITING_CHOICE",
         "AWAITING_CHOICE CHOOSE_PROVIDER ASSIGNED",
         "ASSIGNED CHANGE_PROVIDER ASSIGNED",
         "ASSIGNED START ACTIVE",
         "ASSIGNED END ENDED",
         "ACTIVE PROLONG ACTIVE",
         "ACTIVE CHANGE_PROVIDER ACTIVE",
         "ACTIVE REGISTER_PARALLEL_MEASURE ACTIVE",
         "ACTIVE PAUSE ACTIVE",
         "ACTIVE RESUME ACTIVE",
         "ACTIVE INTERRUPT INTERRUPTED",
         "ACTIVE END ENDED",
         "INTERRUPTED END ENDED",
         "ENDED REPORT_RESULT RESULT_REPORTED",
         "RESULT_REPORTED VERIFY_RESULT RESULT_VERIFIED",
         "RESULT_REPORTED REJECT_RESULT ENDED",
     }},
    {"PROVIDER",
     {
         "ENDED REPORT_RESULT RESULT_REPORTED",
     }},
    {"SERVICE",
     {
         "NONE CREATE REGISTERED",
         "REGISTERED ATTACH_ASSESSMENT ASSESSED",
         "ASSESSED ATTACH_ASSESSMENT ASSESSED",
         "AWAITING_CHOICE CHOOSE_PROVIDER ASSIGNED",
         "AWAITING_CHOICE ASSIGN_DEFAULT_PROVIDER ASSIGNED",
         "ASSIGNED CHANGE_PROVIDER ASSIGNED",
         "ASSIGNED END ENDED",
         "ACTIVE CHANGE_PROVIDER ACTIVE",
         "ACTIVE PAUSE ACTIVE",
         "ACTIVE RESUME ACTIVE",
         "ACTIVE END ENDED",
         "INTERRUPTED END ENDED",
         "ENDED REPORT_RESULT RESULT_REPORTED",
         "RESULT_REPORTED VERIFY_RESULT RESULT_VERIFIED",
         "RESULT_REPORTED REJECT_RESULT ENDED",
         "RESULT_VERIFIED MARK_PAID PAID",
     }},
};

// Hand-written names, in the enums' order.
const std::vector<std::string> kStateNames = {
    "NONE",        "REGISTERED", "ASSESSED",    "DECIDED",         "AWAITING_CHOICE", "ASSIGNED",
    "ACTIVE",      "ENDED",      "INTERRUPTED", "RESULT_REPORTED", "RESULT_VERIFIED", "PAID",
    "NOT_REFERRED"};
const std::vector<std::string> kTransitionNames = {"CREATE",
                                                   "ATTACH_ASSESSMENT",
                                                   "DECIDE",
                                                   "NOT_REFER",
                                                   "OPEN_CHOICE",
                                                   "CHOOSE_PROVIDER",
                                                   "ASSIGN_DEFAULT_PROVIDER",
                                                   "START",
                                                   "PROLONG",
                                                   "CHANGE_PROVIDER",
                                                   "REGISTER_PARALLEL_MEASURE",
                                                   "PAUSE",
                                                   "RESUME",
                                                   "INTERRUPT",
                                                   "END",
                                                   "REPORT_RESULT",
                                                   "VERIFY_RESULT",
                                                   "REJECT_RESULT",
                                                   "MARK_PAID"};
const std::vector<std::string> kRoleNames = {
    "CASEWORKER", "EMPLOYMENT_OFFICER", "SUPPORT_GROUP", "PROVIDER_FOLLOW_UP",
    "PROVIDER",   "MUNICIPALITY",       "AUDITOR",       "ADMIN",
    "SERVICE"};

// (state, transition, role) → next state, all by name.
using Key = std::tuple<std::string, std::string, std::string>;
std::map<Key, std::string> ExpectedAllowed() {
  std::map<Key, std::string> out;
  for (const auto& [role, lines] : kAllowedByRole) {
    for (const std::string& line : lines) {
      std::istringstream in(line);
      std::string from, transition, to;
      in >> from >> transition >> to;
      out[{from, transition, role}] = to;
    }
  }
  return out;
}

TEST(StateMachineTest, NamesAndValuesMirrorTheProtos) {
  ASSERT_EQ(std::size(kAllStates), kStateNames.size());
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    EXPECT_EQ(StateName(kAllStates[i]), kStateNames[i]);
    EXPECT_EQ(static_cast<int>(kAllStates[i]), static_cast<int>(i));  // CaseState numbers
  }
  ASSERT_EQ(std::size(kAllTransitions), kTransitionNames.size());
  for (size_t i = 0; i < kTransitionNames.size(); ++i) {
    EXPECT_EQ(TransitionName(kAllTransitions[i]), kTransitionNames[i]);
    EXPECT_EQ(static_cast<int>(kAllTransitions[i]), static_cast<int>(i) + 1);  // CaseTransitionKind
  }
  ASSERT_EQ(std::size(kAllRoles), kRoleNames.size());
  for (size_t i = 0; i < kRoleNames.size(); ++i) {
    EXPECT_EQ(RoleName(kAllRoles[i]), kRoleNames[i]);
    EXPECT_EQ(static_cast<int>(kAllRoles[i]), static_cast<int>(i) + 1);  // rusta.v1.Role
  }
}

TEST(StateMachineTest, TableHasOneRulePerStateAndTransitionAndNoEmptyRoleLists) {
  std::set<std::pair<CaseState, Transition>> seen;
  for (const Rule& rule : TransitionTable()) {
    EXPECT_TRUE(seen.insert({rule.from, rule.transition}).second)
        << StateName(rule.from) << " " << TransitionName(rule.transition);
    EXPECT_FALSE(rule.roles.empty())
        << StateName(rule.from) << " " << TransitionName(rule.transition);
    EXPECT_EQ(FindRule(rule.from, rule.transition), &rule);
  }
}

// The library's table, expanded to triples, is exactly the hand-written list.
TEST(StateMachineTest, TableEqualsTheHandWrittenList) {
  std::map<Key, std::string> from_table;
  for (const Rule& rule : TransitionTable()) {
    for (Role role : rule.roles) {
      from_table[{StateName(rule.from), TransitionName(rule.transition), RoleName(role)}] =
          StateName(rule.to);
    }
  }
  EXPECT_EQ(from_table, ExpectedAllowed());
  EXPECT_EQ(from_table.size(), 56u);
}

TEST(StateMachineTest, EveryAllowedTransitionGivesItsNextState) {
  int checked = 0;
  const auto expected = ExpectedAllowed();
  for (CaseState s : kAllStates) {
    for (Transition t : kAllTransitions) {
      for (Role r : kAllRoles) {
        auto it = expected.find({StateName(s), TransitionName(t), RoleName(r)});
        if (it == expected.end()) continue;
        absl::StatusOr<CaseState> next = Next(s, t, r);
        ASSERT_TRUE(next.ok()) << StateName(s) << " " << TransitionName(t) << " " << RoleName(r)
                               << ": " << next.status();
        EXPECT_EQ(StateName(*next), it->second);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 56);
}

// Every one of the 13 × 19 × 9 = 2223 combinations: allowed ones answer their next state, the
// others are refused with the code and message the rule order gives:
//   1. the role may not do the transition in any state → PERMISSION_DENIED "case.role: R may not
//   T";
//   2. no role may do it in this state → FAILED_PRECONDITION "case.transition: T is not allowed in
//   S";
//   3. others may, this role not → PERMISSION_DENIED "case.role: R may not T in S".
TEST(StateMachineTest, EveryCombinationIsAnsweredAsTheHandWrittenListSays) {
  const auto allowed = ExpectedAllowed();
  int ok = 0, denied = 0, precondition = 0;
  for (CaseState s : kAllStates) {
    for (Transition t : kAllTransitions) {
      for (Role r : kAllRoles) {
        const std::string sn = StateName(s), tn = TransitionName(t), rn = RoleName(r);
        SCOPED_TRACE(sn + " " + tn + " " + rn);
        absl::StatusOr<CaseState> next = Next(s, t, r);
        auto it = allowed.find({sn, tn, rn});
        if (it != allowed.end()) {
          ASSERT_TRUE(next.ok()) << next.status();
          EXPECT_EQ(StateName(*next), it->second);
          ++ok;
          continue;
        }
        bool role_may_somewhere = false, state_has_transition = false;
        for (const auto& [key, to] : allowed) {
          if (std::get<1>(key) == tn && std::get<2>(key) == rn) role_may_somewhere = true;
          if (std::get<0>(key) == sn && std::get<1>(key) == tn) state_has_transition = true;
        }
        ASSERT_FALSE(next.ok());
        if (!role_may_somewhere) {
          EXPECT_EQ(next.status().code(), absl::StatusCode::kPermissionDenied);
          EXPECT_EQ(next.status().message(), "case.role: " + rn + " may not " + tn);
          ++denied;
        } else if (!state_has_transition) {
          EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
          EXPECT_EQ(next.status().message(), "case.transition: " + tn + " is not allowed in " + sn);
          ++precondition;
        } else {
          EXPECT_EQ(next.status().code(), absl::StatusCode::kPermissionDenied);
          EXPECT_EQ(next.status().message(), "case.role: " + rn + " may not " + tn + " in " + sn);
          ++denied;
        }
      }
    }
  }
  EXPECT_EQ(ok + denied + precondition, 13 * 19 * 9);
  EXPECT_EQ(ok, 56);
}

TEST(StateMachineTest, ExamplesFromTheBrief) {
  absl::StatusOr<CaseState> next =
      Next(CaseState::kAwaitingChoice, Transition::kStart, Role::kCaseworker);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(next.status().message(), "case.transition: START is not allowed in AWAITING_CHOICE");

  next = Next(CaseState::kAssigned, Transition::kStart, Role::kProvider);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(next.status().message(), "case.role: PROVIDER may not START");

  // Only the scheduler assigns by default, and only the compensation engine marks paid.
  EXPECT_EQ(Next(CaseState::kAwaitingChoice, Transition::kAssignDefaultProvider, Role::kCaseworker)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(*Next(CaseState::kAwaitingChoice, Transition::kAssignDefaultProvider, Role::kService),
            CaseState::kAssigned);
  EXPECT_EQ(*Next(CaseState::kResultVerified, Transition::kMarkPaid, Role::kService),
            CaseState::kPaid);

  // Interruptions are the employment officer's.
  next = Next(CaseState::kActive, Transition::kInterrupt, Role::kCaseworker);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kPermissionDenied);
  next = Next(CaseState::kInterrupted, Transition::kEnd, Role::kCaseworker);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(next.status().message()), HasSubstr("in INTERRUPTED"));
}

TEST(StateMachineTest, ReadOnlyRolesMayDoNothing) {
  for (Role r : {Role::kSupportGroup, Role::kProviderFollowUp, Role::kMunicipality, Role::kAuditor,
                 Role::kAdmin}) {
    for (CaseState s : kAllStates) {
      for (Transition t : kAllTransitions) {
        absl::StatusOr<CaseState> next = Next(s, t, r);
        EXPECT_EQ(next.status().code(), absl::StatusCode::kPermissionDenied)
            << RoleName(r) << " " << StateName(s) << " " << TransitionName(t);
      }
    }
  }
}

TEST(StateMachineTest, TerminalStatesHaveNoWayOut) {
  for (Transition t : kAllTransitions) {
    for (Role r : kAllRoles) {
      EXPECT_FALSE(Next(CaseState::kNotReferred, t, r).ok());
      EXPECT_FALSE(Next(CaseState::kPaid, t, r).ok());
    }
  }
}

// A participant's whole path through the table.
TEST(StateMachineTest, WholePath) {
  struct Step {
    Transition t;
    Role r;
    CaseState expected;
  };
  const Step path[] = {
      {Transition::kCreate, Role::kCaseworker, CaseState::kRegistered},
      {Transition::kAttachAssessment, Role::kCaseworker, CaseState::kAssessed},
      {Transition::kDecide, Role::kCaseworker, CaseState::kDecided},
      {Transition::kOpenChoice, Role::kCaseworker, CaseState::kAwaitingChoice},
      {Transition::kAssignDefaultProvider, Role::kService, CaseState::kAssigned},
      {Transition::kStart, Role::kCaseworker, CaseState::kActive},
      {Transition::kPause, Role::kService, CaseState::kActive},
      {Transition::kResume, Role::kService, CaseState::kActive},
      {Transition::kChangeProvider, Role::kService, CaseState::kActive},
      {Transition::kRegisterParallelMeasure, Role::kEmploymentOfficer, CaseState::kActive},
      {Transition::kProlong, Role::kCaseworker, CaseState::kActive},
      {Transition::kEnd, Role::kService, CaseState::kEnded},
      {Transition::kReportResult, Role::kProvider, CaseState::kResultReported},
      {Transition::kRejectResult, Role::kService, CaseState::kEnded},
      {Transition::kReportResult, Role::kCaseworker, CaseState::kResultReported},
      {Transition::kVerifyResult, Role::kService, CaseState::kResultVerified},
      {Transition::kMarkPaid, Role::kService, CaseState::kPaid},
  };
  CaseState state = CaseState::kNone;
  for (const Step& step : path) {
    absl::StatusOr<CaseState> next = Next(state, step.t, step.r);
    ASSERT_TRUE(next.ok()) << TransitionName(step.t) << ": " << next.status();
    EXPECT_EQ(*next, step.expected) << TransitionName(step.t);
    state = *next;
  }
}

}  // namespace
}  // namespace rusta::referral
