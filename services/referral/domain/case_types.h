#pragma once
// The referral service's vocabulary in plain C++ (no protobuf, gRPC or Redis types): the case
// (ärende) of one participant in Rusta och matcha, from registration to payment (domain.md
// section 3). The gRPC adapter converts the stored protos into a Case and calls the pure functions
// of state_machine.h and rules.h on it.
//
// Enums mirror rusta/v1/common.proto and rusta/v1/referral.proto one to one: the same value names
// (kAwaitingChoice ↔ CASE_STATE_AWAITING_CHOICE) and the same numbers, so the adapter may map with
// a static_cast after checking the range. The only exceptions are documented where they occur
// (CaseState::kNone, ParallelMeasureKind::kSfi, Transition has no FLAG).
//
// Dates are civil dates without time zone (absl::CivilDay), Swedish civil dates as in the proto's
// Date. Every date range in this file is inclusive of both ends, like the proto's DateRange.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace rusta::referral {

// State of a case (common.proto CaseState). kNone mirrors CASE_STATE_UNSPECIFIED and means "no
// case yet": the only transition out of it is CREATE.
enum class CaseState {
  kNone = 0,
  kRegistered = 1,
  kAssessed = 2,
  kDecided = 3,  // transient: DECIDE is followed by OPEN_CHOICE in the same call
  kAwaitingChoice = 4,
  kAssigned = 5,
  kActive = 6,  // period 1, or period 2 after PROLONG; may be paused
  kEnded = 7,
  kInterrupted = 8,  // avbrott; ends with END
  kResultReported = 9,
  kResultVerified = 10,
  kPaid = 11,
  kNotReferred = 12,  // terminal
};

// The state machine's edges (referral.proto CaseTransitionKind, same names and numbers). FLAG (20)
// is deliberately absent: raising or clearing a flag is a history entry written as a side effect of
// another call (CHANGE_PROVIDER, ConfirmMonthlyReport, CompleteWork), not a transition of its own.
// There is no END_PARALLEL_MEASURE: a parallel measure is registered with its dates (at most 3
// months) and ends by itself; referral.proto has no RPC for ending one early.
enum class Transition {
  kCreate = 1,
  kAttachAssessment = 2,
  kDecide = 3,
  kNotRefer = 4,
  kOpenChoice = 5,  // DECIDED → AWAITING_CHOICE, recorded right after DECIDE
  kChooseProvider = 6,
  kAssignDefaultProvider = 7,
  kStart = 8,
  kProlong = 9,
  kChangeProvider = 10,
  kRegisterParallelMeasure = 11,
  kPause = 12,
  kResume = 13,
  kInterrupt = 14,
  kEnd = 15,
  kReportResult = 16,
  kVerifyResult = 17,
  kRejectResult = 18,  // verification failed: RESULT_REPORTED → ENDED
  kMarkPaid = 19,
};

// A caller's role (common.proto Role, common/identity/identity.h), same numbers as the proto.
enum class Role {
  kCaseworker = 1,         // beslutshandläggare
  kEmploymentOfficer = 2,  // arbetsförmedlare
  kSupportGroup = 3,       // intern stödgrupp
  kProviderFollowUp = 4,   // leverantörsuppföljare
  kProvider = 5,
  kMunicipality = 6,
  kAuditor = 7,
  kAdmin = 8,
  kService = 9,  // the suite's own services (scheduler, compensation engine, ...)
};

// common.proto Level.
enum class Level { kUnspecified = 0, kA = 1, kB = 2, kC = 3 };

// common.proto ExtentKind and PartTimeReason.
enum class ExtentKind { kUnspecified = 0, kFullTime = 1, kPartTime = 2 };
enum class PartTimeReason {
  kUnspecified = 0,
  kPartTimeWork = 1,
  kStudies = 2,
  kReducedCapacity = 3,
  kOtherReferral = 4,
  kCareResponsibility = 5,
  kOther = 6,
};

// Omfattning (common.proto Extent): full time (100 %) or part time (1..99 % with a reason).
struct Extent {
  ExtentKind kind = ExtentKind::kFullTime;
  int percentage = 100;  // whole percent of the available hours
  PartTimeReason part_time_reason = PartTimeReason::kUnspecified;  // required for part time
  std::string part_time_reason_text;                               // required for kOther
  int available_hours_per_week = 0;  // arbetsutbud; 0 = ReferralRules::full_time_hours_per_week
};

// common.proto EndReason (avslutsorsak).
enum class EndReason {
  kUnspecified = 0,
  kWork = 1,
  kStudies = 2,
  kMaximumTime = 3,
  kInterruption = 4,
  kTransferToOtherMeasure = 5,  // including labour-market training (AUB) over 3 months
  kDeregistered = 6,
  kOther = 7,
};

// common.proto ActivityCategory: the 13 categories of a monthly report (domain.md section 6).
enum class ActivityCategory {
  kUnspecified = 0,
  kIndividualMeeting = 1,
  kPracticalSupport = 2,
  kEmployerContacts = 3,
  kStudyAndCareerGuidance = 4,
  kInformation = 5,
  kMapping = 6,
  kLanguageSkills = 7,
  kMeasureWithOtherActor = 8,
  kMotivationalInterviewing = 9,
  kDigitalSkills = 10,
  kHealthPromoting = 11,
  kShortTraining = 12,
  kOwnWorkPerPlan = 13,
};

// common.proto DeviationCode: the value IS AF's code (15 sick, 16 work, ...). The adapter may pass
// any number it received (proto3 enums are open); IsKnownDeviationCode (rules.h) checks the list.
enum class DeviationCode {
  kUnspecified = 0,
  kSick = 15,
  kWork = 16,
  kUnknownReason = 17,
  kOtherKnownReason = 18,
  kDeclinedMeasureOrActivity = 19,
  kDeclinedOfferedJob = 20,
  kCouldNotBenefit = 21,
  kMisconduct = 22,
  kCareOfSickChild = 26,
  kEducation = 27,
};

// referral.proto ChoiceKind and ProviderChangeReason.
enum class ChoiceKind { kUnspecified = 0, kActive = 1, kDefault = 2, kChange = 3 };
enum class ProviderChangeReason {
  kUnspecified = 0,
  kParticipantRequest = 1,
  kProviderTerminated = 2,
  kMoved = 3,
  kOther = 4,
};

// referral.proto ParallelMeasureKind. kSfi (6) has NO counterpart in referral.proto yet: SFI is
// never a parallel measure, and the domain refuses it by name (rules.h CheckParallelMeasure). The
// proto should gain PARALLEL_MEASURE_KIND_SFI = 6 so that a request naming SFI is refused with
// that message instead of being unrepresentable.
enum class ParallelMeasureKind {
  kUnspecified = 0,
  kWorkPlacement = 1,
  kVocationalSkillsAssessment = 2,
  kValidation = 3,
  kLabourMarketTraining = 4,  // AUB: over 3 months ends the participation
  kOther = 5,
  kSfi = 6,
};

// One provider's time on the case (referral.proto ProviderAssignment).
struct ProviderAssignment {
  std::string organisation_number;
  ChoiceKind choice_kind = ChoiceKind::kUnspecified;  // ACTIVE/DEFAULT for the first, CHANGE after
  absl::CivilDay assigned_on;
  std::optional<absl::CivilDay> ended_on;  // set when another provider took over or the case ended
  ProviderChangeReason change_reason = ProviderChangeReason::kUnspecified;  // for kChange
};

// A pause (referral.proto CasePause). `until` is the last paused day; unset while the pause lasts
// (Resume on day R sets until = R - 1). `stops_clock` is the rule in force when the pause began
// (ReferralRules::pause_stops_clock), kept with the pause so a later rule change does not move
// old end dates.
struct Pause {
  absl::CivilDay from;
  std::optional<absl::CivilDay> until;
  bool stops_clock = false;
};

// Insats hos annan aktör (referral.proto ParallelMeasure); start..end inclusive.
struct ParallelMeasure {
  ParallelMeasureKind kind = ParallelMeasureKind::kUnspecified;
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;  // required by CheckParallelMeasure
  int percentage = 0;                 // share of the available hours, 1..100
};

// One entry of the case history: every transition, who, when (the adapter also keeps the reason,
// rule version and event id). The handling-time report reads it.
struct HistoryEntry {
  Transition transition = Transition::kCreate;
  CaseState from = CaseState::kNone;
  CaseState to = CaseState::kNone;
  Role role = Role::kService;
  absl::Time time;
};

// What the rules need of a case.
struct Case {
  std::string case_id;
  std::string person_id;
  int64_t version = 0;
  CaseState state = CaseState::kNone;
  std::string home_municipality_code;

  // Decision (beslut om insats).
  Level level = Level::kUnspecified;
  Extent extent;
  std::optional<absl::CivilDay> decided_on;
  std::optional<absl::CivilDay> choice_deadline;  // last day of the choice (ChoiceDeadline)

  // Providers, oldest first; while ASSIGNED/ACTIVE/INTERRUPTED the last entry is the current one
  // (ended_on unset). choice_kind is how the first provider came (ACTIVE or DEFAULT).
  std::vector<ProviderAssignment> providers;
  ChoiceKind choice_kind = ChoiceKind::kUnspecified;

  // Active service.
  std::optional<absl::CivilDay> started_on;
  bool prolonged = false;  // a PROLONG decision gave period 2
  std::optional<absl::CivilDay> prolonged_on;
  std::vector<Pause> pauses;  // oldest first; at most the last one is open
  std::vector<ParallelMeasure> parallel_measures;

  // End (avslut): end_date is the last day of the participation.
  std::optional<absl::CivilDay> end_date;
  EndReason end_reason = EndReason::kUnspecified;

  std::vector<HistoryEntry> history;  // oldest first

  // The current provider (last entry without ended_on), or null.
  const ProviderAssignment* CurrentProvider() const {
    if (providers.empty() || providers.back().ended_on) return nullptr;
    return &providers.back();
  }
  // The last provider the case had (current or not), or null.
  const ProviderAssignment* LastProvider() const {
    return providers.empty() ? nullptr : &providers.back();
  }
  bool Paused() const { return !pauses.empty() && !pauses.back().until; }
};

// Names as in the protos without their prefix: "AWAITING_CHOICE", "START", "CASEWORKER", ...
inline const char* StateName(CaseState state) {
  switch (state) {
    case CaseState::kNone: return "NONE";
    case CaseState::kRegistered: return "REGISTERED";
    case CaseState::kAssessed: return "ASSESSED";
    case CaseState::kDecided: return "DECIDED";
    case CaseState::kAwaitingChoice: return "AWAITING_CHOICE";
    case CaseState::kAssigned: return "ASSIGNED";
    case CaseState::kActive: return "ACTIVE";
    case CaseState::kEnded: return "ENDED";
    case CaseState::kInterrupted: return "INTERRUPTED";
    case CaseState::kResultReported: return "RESULT_REPORTED";
    case CaseState::kResultVerified: return "RESULT_VERIFIED";
    case CaseState::kPaid: return "PAID";
    case CaseState::kNotReferred: return "NOT_REFERRED";
  }
  return "UNKNOWN";
}

inline const char* TransitionName(Transition transition) {
  switch (transition) {
    case Transition::kCreate: return "CREATE";
    case Transition::kAttachAssessment: return "ATTACH_ASSESSMENT";
    case Transition::kDecide: return "DECIDE";
    case Transition::kNotRefer: return "NOT_REFER";
    case Transition::kOpenChoice: return "OPEN_CHOICE";
    case Transition::kChooseProvider: return "CHOOSE_PROVIDER";
    case Transition::kAssignDefaultProvider: return "ASSIGN_DEFAULT_PROVIDER";
    case Transition::kStart: return "START";
    case Transition::kProlong: return "PROLONG";
    case Transition::kChangeProvider: return "CHANGE_PROVIDER";
    case Transition::kRegisterParallelMeasure: return "REGISTER_PARALLEL_MEASURE";
    case Transition::kPause: return "PAUSE";
    case Transition::kResume: return "RESUME";
    case Transition::kInterrupt: return "INTERRUPT";
    case Transition::kEnd: return "END";
    case Transition::kReportResult: return "REPORT_RESULT";
    case Transition::kVerifyResult: return "VERIFY_RESULT";
    case Transition::kRejectResult: return "REJECT_RESULT";
    case Transition::kMarkPaid: return "MARK_PAID";
  }
  return "UNKNOWN";
}

inline const char* RoleName(Role role) {
  switch (role) {
    case Role::kCaseworker: return "CASEWORKER";
    case Role::kEmploymentOfficer: return "EMPLOYMENT_OFFICER";
    case Role::kSupportGroup: return "SUPPORT_GROUP";
    case Role::kProviderFollowUp: return "PROVIDER_FOLLOW_UP";
    case Role::kProvider: return "PROVIDER";
    case Role::kMunicipality: return "MUNICIPALITY";
    case Role::kAuditor: return "AUDITOR";
    case Role::kAdmin: return "ADMIN";
    case Role::kService: return "SERVICE";
  }
  return "UNKNOWN";
}

// Every value, in proto order (for tables, tests and docs).
inline constexpr CaseState kAllStates[] = {
    CaseState::kNone,           CaseState::kRegistered,     CaseState::kAssessed,
    CaseState::kDecided,        CaseState::kAwaitingChoice, CaseState::kAssigned,
    CaseState::kActive,         CaseState::kEnded,          CaseState::kInterrupted,
    CaseState::kResultReported, CaseState::kResultVerified, CaseState::kPaid,
    CaseState::kNotReferred};
inline constexpr Transition kAllTransitions[] = {Transition::kCreate,
                                                 Transition::kAttachAssessment,
                                                 Transition::kDecide,
                                                 Transition::kNotRefer,
                                                 Transition::kOpenChoice,
                                                 Transition::kChooseProvider,
                                                 Transition::kAssignDefaultProvider,
                                                 Transition::kStart,
                                                 Transition::kProlong,
                                                 Transition::kChangeProvider,
                                                 Transition::kRegisterParallelMeasure,
                                                 Transition::kPause,
                                                 Transition::kResume,
                                                 Transition::kInterrupt,
                                                 Transition::kEnd,
                                                 Transition::kReportResult,
                                                 Transition::kVerifyResult,
                                                 Transition::kRejectResult,
                                                 Transition::kMarkPaid};
inline constexpr Role kAllRoles[] = {
    Role::kCaseworker, Role::kEmploymentOfficer, Role::kSupportGroup, Role::kProviderFollowUp,
    Role::kProvider,   Role::kMunicipality,      Role::kAuditor,      Role::kAdmin,
    Role::kService};

}  // namespace rusta::referral
