#include "services/referral/domain/state_machine.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rusta::referral {
namespace {

using S = CaseState;
using T = Transition;

constexpr Role CW = Role::kCaseworker;
constexpr Role EO = Role::kEmploymentOfficer;
constexpr Role PR = Role::kProvider;
constexpr Role SV = Role::kService;

bool Contains(const std::vector<Role>& roles, Role role) {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

}  // namespace

const std::vector<Rule>& TransitionTable() {
  // clang-format off
  static const auto* const kTable = new std::vector<Rule>{
    // from                transition                    to                     roles
    {S::kNone,             T::kCreate,                   S::kRegistered,        {CW, EO, SV}},
    {S::kRegistered,       T::kAttachAssessment,         S::kAssessed,          {CW, EO, SV}},
    {S::kAssessed,         T::kAttachAssessment,         S::kAssessed,          {CW, EO, SV}},
    {S::kAssessed,         T::kDecide,                   S::kDecided,           {CW, EO}},
    {S::kAssessed,         T::kNotRefer,                 S::kNotReferred,       {CW, EO}},
    {S::kDecided,          T::kOpenChoice,               S::kAwaitingChoice,    {CW, EO}},
    {S::kAwaitingChoice,   T::kChooseProvider,           S::kAssigned,          {CW, EO, SV}},
    {S::kAwaitingChoice,   T::kAssignDefaultProvider,    S::kAssigned,          {SV}},
    {S::kAssigned,         T::kChangeProvider,           S::kAssigned,          {CW, EO, SV}},
    {S::kAssigned,         T::kStart,                    S::kActive,            {CW, EO}},
    {S::kAssigned,         T::kEnd,                      S::kEnded,             {CW, EO, SV}},
    {S::kActive,           T::kProlong,                  S::kActive,            {CW, EO}},
    {S::kActive,           T::kChangeProvider,           S::kActive,            {CW, EO, SV}},
    {S::kActive,           T::kRegisterParallelMeasure,  S::kActive,            {EO}},
    {S::kActive,           T::kPause,                    S::kActive,            {CW, EO, SV}},
    {S::kActive,           T::kResume,                   S::kActive,            {CW, EO, SV}},
    {S::kActive,           T::kInterrupt,                S::kInterrupted,       {EO}},
    {S::kActive,           T::kEnd,                      S::kEnded,             {CW, EO, SV}},
    {S::kInterrupted,      T::kEnd,                      S::kEnded,             {EO, SV}},
    {S::kEnded,            T::kReportResult,             S::kResultReported,    {CW, EO, PR, SV}},
    {S::kResultReported,   T::kVerifyResult,             S::kResultVerified,    {CW, EO, SV}},
    {S::kResultReported,   T::kRejectResult,             S::kEnded,             {CW, EO, SV}},
    {S::kResultVerified,   T::kMarkPaid,                 S::kPaid,              {SV}},
  };
  // clang-format on
  return *kTable;
}

const Rule* FindRule(CaseState from, Transition transition) {
  for (const Rule& rule : TransitionTable()) {
    if (rule.from == from && rule.transition == transition) return &rule;
  }
  return nullptr;
}

absl::StatusOr<CaseState> Next(CaseState from, Transition transition, Role role) {
  bool role_may_anywhere = false;
  for (const Rule& rule : TransitionTable()) {
    if (rule.transition == transition && Contains(rule.roles, role)) {
      role_may_anywhere = true;
      break;
    }
  }
  if (!role_may_anywhere) {
    return absl::PermissionDeniedError(
        absl::StrCat("case.role: ", RoleName(role), " may not ", TransitionName(transition)));
  }
  const Rule* rule = FindRule(from, transition);
  if (rule == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "case.transition: ", TransitionName(transition), " is not allowed in ", StateName(from)));
  }
  if (!Contains(rule->roles, role)) {
    return absl::PermissionDeniedError(absl::StrCat("case.role: ", RoleName(role), " may not ",
                                                    TransitionName(transition), " in ",
                                                    StateName(from)));
  }
  return rule->to;
}

}  // namespace rusta::referral
