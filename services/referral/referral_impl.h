#pragma once
// The referral service's RPC bodies and the one shape every change of a case takes (Mutate).
// Split over files by subject: referral_impl.cc (Mutate, reads, access), rpc_lifecycle.cc (the
// case transitions), rpc_reports.cc (provider reports), rpc_work.cc (queues and handling time).
// referral_handler.cc maps each gRPC method to its body here and holds the access policy.
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status/status_macros.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/identity/identity.h"
#include "common/identity/policy.h"
#include "common/queue/work_queue.h"
#include "common/redis/redis_connection.h"
#include "common/server/service_host.h"
#include "common/validation/identifiers.h"
#include "common/validation/municipality_codes.h"
#include "rusta/v1/events.pb.h"
#include "rusta/v1/referral.pb.h"
#include "services/referral/case_cache.h"
#include "services/referral/case_store.h"
#include "services/referral/domain/case_types.h"
#include "services/referral/domain/rules.h"
#include "services/referral/referral_config.h"
#include "services/referral/result_register.h"
#include "services/referral/upstream_clients.h"

namespace rusta::referral {

namespace v1 = rusta::v1;
using identity::Identity;
using redis::RedisConnection;


// One caseworker queue: its proto enum, its short name ("final-reports", queue "referral.<name>")
// and who may claim from it.
struct QueueSpec {
  v1::ReferralQueue id;
  std::string name;
  std::vector<identity::Role> claimers;
};
const std::vector<QueueSpec>& QueueSpecs();

// The payload of a caseworker queue item: "<kind>|<case_id>|<subject_id>".
struct WorkPayload {
  std::string kind, case_id, subject_id;
  std::string Encode() const;
  static std::optional<WorkPayload> Decode(const std::string& text);
};

// The identity the scheduler acts as.
Identity SchedulerIdentity(const std::string& trust_domain);

struct ReferralImpl {
  ReferralImpl(server::ServiceHost& host, ReferralConfig config, AssessmentClient* assessment,
               RegistryClient* registry, const validation::MunicipalityCodes* municipalities,
               const validation::PostalCodeDirectory* postal_codes);

  server::ServiceHost& host;
  ReferralConfig config;
  AssessmentClient* assessment;
  RegistryClient* registry;
  const validation::MunicipalityCodes* municipalities;
  const validation::PostalCodeDirectory* postal_codes;
  CaseStore store;
  CaseCache cache;
  std::map<int, queue::WorkQueue> queues;  // by v1::ReferralQueue
  queue::WorkQueue deadlines;              // choice deadlines and maximum time (delayed items)

  absl::Time Now() const { return host.clock().Now(); }
  const queue::WorkQueue& Queue(v1::ReferralQueue q) const { return queues.at(static_cast<int>(q)); }
  static std::string QueueName(v1::ReferralQueue q);  // "referral.final-reports"

  // ---- One change of a case ----
  struct Tx {
    const Identity& caller;
    absl::Time now;
    absl::CivilDay today;
    const CaseRead& read;
    v1::Case next;           // the case being changed (a copy of the one read)
    int64_t read_version = 0;
    bool case_changed = false;
    CaseWrite write;
    std::deque<v1::CaseEvent> events;  // published with the change
    std::vector<std::pair<std::string, std::string>> extra_events;  // (type, data)
    std::string audit_detail;
    std::string rule_version;

    Role role() const;
    // The domain view of `next` as it is now.
    absl::StatusOr<Case> Domain() const;
    // Checks the transition table for (state, transition, caller's role) and records the step:
    // history entry, new state, the CaseEvent to publish. Returns the event for its details.
    absl::StatusOr<v1::CaseEvent*> Step(Transition transition, const std::string& reason,
                                        absl::CivilDay effective_date);
    // A flag raised or cleared: a history entry and an event, no change of state.
    v1::CaseEvent* Flag(v1::CaseFlagKind kind, bool raised, const std::string& note);
    // The history entry and the event of either.
    v1::CaseEvent* Record(v1::CaseTransitionKind kind, v1::CaseState to, const std::string& reason,
                          absl::CivilDay effective_date);
  };
  using Change = std::function<absl::Status(Tx&)>;
  // Internal callers whose change does not rest on a case version (never a client's value).
  static constexpr int64_t kNoVersionCheck = std::numeric_limits<int64_t>::min();
  using Respond = std::function<void(const Tx&)>;

  // Idempotency, read (with `extra` reads), access and version checks, the change, then one
  // referral_apply call. expected_version kNoVersionCheck: not checked (provider documents do not
  // move the case version); 0: the current one, a lost race retried with backoff until the call's
  // deadline; > 0: must match, else ABORTED. A client's negative version is INVALID_ARGUMENT.
  // `respond` fills `response` from the changed case; the serialised response is what a
  // repeated request_id gets.
  absl::Status Mutate(RedisConnection& redis, const Identity& caller, const char* method,
                      const google::protobuf::Message& request, const std::string& request_id,
                      const std::string& case_id, int64_t expected_version,
                      const std::vector<std::vector<std::string>>& extra, const Change& change,
                      const Respond& respond, google::protobuf::Message* response,
                      bool creating = false);

  // Whether request_id was already used by this caller for this method on this case: then
  // `response` holds the first call's answer (INVALID_ARGUMENT when the id was used for another
  // request). RPCs that read the case or ask another service before Mutate call this first, so
  // that a repeat is not refused by checks the first call made untrue (the state moved on).
  // One read: nullopt when the request is a repeat (`response` then holds the first answer), else
  // the case (NOT_FOUND when there is none). For RPCs no provider may call.
  absl::StatusOr<std::optional<v1::Case>> LoadUnlessRepeated(RedisConnection& redis, const Identity& caller,
                                                             const char* method,
                                                             const google::protobuf::Message& request,
                                                             const std::string& request_id,
                                                             const std::string& case_id,
                                                             google::protobuf::Message* response);

  // The case as the caller may see it (NOT_FOUND for a provider that never had it), audited
  // when a provider reads.
  absl::StatusOr<v1::Case> LoadForCaller(RedisConnection& redis, const Identity& caller,
                                         const char* method, const std::string& case_id);
  v1::Case ViewFor(const Identity& caller, const v1::Case& c) const;
  // A provider's refused attempt at a case (never its participant, or no such case): audited,
  // who tried what and when, before the NOT_FOUND.
  absl::Status AuditRefusedRead(RedisConnection& redis, const Identity& caller, const char* method,
                                const std::string& case_id);
  absl::Status AuditRead(RedisConnection& redis, const Identity& caller, const char* method,
                         const std::string& case_id, const std::string& person_id,
                         const redis::RedisValue* head /* read with the case, or null */,
                         const std::string& detail);

  // Reschedules the maximum-time deadline after the clock moved (start, prolong, pause, resume).
  absl::Status ScheduleMaximumTime(Tx& tx);
  void SetProvider(Tx& tx, const std::string& org, const std::string& name, v1::ChoiceKind kind,
                   absl::CivilDay on);
  void EndCurrentProvider(Tx& tx, absl::CivilDay on);
  absl::Status ApplyEnd(Tx& tx, v1::EndReason reason, absl::CivilDay end_date, const std::string& note);
  // A provider the participant may choose in the home municipality on `day` (its name), or
  // FAILED_PRECONDITION.
  absl::StatusOr<std::string> CheckChoosable(const v1::Case& c, const std::string& org, absl::CivilDay day);
  // A queue item id as clients see it: "<queue short name>/<stream entry id>".
  struct ItemRef {
    const QueueSpec* spec = nullptr;
    std::string stream_id;
    std::string Id() const { return spec->name + "/" + stream_id; }
  };
  static absl::StatusOr<ItemRef> ParseItemId(const std::string& item_id, const char* field);
  // The reads CompleteItemInTx needs (the entry and its first claim), to add to a Mutate's extra.
  std::vector<std::vector<std::string>> ItemReads(const ItemRef& item) const;
  // Completes a claimed queue item in the change's call (the caller must hold the claim) and
  // records its handling time. `entry` and `first_claim` are the replies to ItemReads.
  absl::Status CompleteItemInTx(Tx& tx, const ItemRef& item, const redis::RedisValue& entry,
                                const redis::RedisValue& first_claim, const std::string& expected_case,
                                v1::WorkOutcome outcome);

  // ---- RPC bodies ----
  absl::Status CreateCase(const Identity&, RedisConnection&, const v1::CreateCaseRequest&, v1::CreateCaseResponse*);
  absl::Status AttachAssessment(const Identity&, RedisConnection&, const v1::AttachAssessmentRequest&, v1::AttachAssessmentResponse*);
  absl::Status Decide(const Identity&, RedisConnection&, const v1::DecideRequest&, v1::DecideResponse*);
  absl::Status ChooseProvider(const Identity&, RedisConnection&, const v1::ChooseProviderRequest&, v1::ChooseProviderResponse*);
  absl::Status AssignDefaultProvider(const Identity&, RedisConnection&, const v1::AssignDefaultProviderRequest&, v1::AssignDefaultProviderResponse*);
  absl::Status Start(const Identity&, RedisConnection&, const v1::StartRequest&, v1::StartResponse*);
  absl::Status Prolong(const Identity&, RedisConnection&, const v1::ProlongRequest&, v1::ProlongResponse*);
  absl::Status ChangeProvider(const Identity&, RedisConnection&, const v1::ChangeProviderRequest&, v1::ChangeProviderResponse*);
  absl::Status RegisterParallelMeasure(const Identity&, RedisConnection&, const v1::RegisterParallelMeasureRequest&, v1::RegisterParallelMeasureResponse*);
  absl::Status Pause(const Identity&, RedisConnection&, const v1::PauseRequest&, v1::PauseResponse*);
  absl::Status Resume(const Identity&, RedisConnection&, const v1::ResumeRequest&, v1::ResumeResponse*);
  absl::Status Interrupt(const Identity&, RedisConnection&, const v1::InterruptRequest&, v1::InterruptResponse*);
  absl::Status End(const Identity&, RedisConnection&, const v1::EndRequest&, v1::EndResponse*);
  absl::Status GetCase(const Identity&, RedisConnection&, const v1::GetCaseRequest&, v1::GetCaseResponse*);
  absl::Status ListCases(const Identity&, RedisConnection&, const v1::ListCasesRequest&, v1::ListCasesResponse*);

  absl::Status SubmitMonthlyReport(const Identity&, RedisConnection&, const v1::SubmitMonthlyReportRequest&, v1::SubmitMonthlyReportResponse*);
  absl::Status ConfirmMonthlyReport(const Identity&, RedisConnection&, const v1::ConfirmMonthlyReportRequest&, v1::ConfirmMonthlyReportResponse*);
  absl::Status SubmitDeviationReport(const Identity&, RedisConnection&, const v1::SubmitDeviationReportRequest&, v1::SubmitDeviationReportResponse*);
  absl::Status SubmitInformativeReport(const Identity&, RedisConnection&, const v1::SubmitInformativeReportRequest&, v1::SubmitInformativeReportResponse*);
  absl::Status SubmitInterruptionRequest(const Identity&, RedisConnection&, const v1::SubmitInterruptionRequestRequest&, v1::SubmitInterruptionRequestResponse*);
  absl::Status SubmitSupportedEmploymentRequest(const Identity&, RedisConnection&, const v1::SubmitSupportedEmploymentRequestRequest&, v1::SubmitSupportedEmploymentRequestResponse*);
  absl::Status SubmitFinalReport(const Identity&, RedisConnection&, const v1::SubmitFinalReportRequest&, v1::SubmitFinalReportResponse*);
  absl::Status ReviewFinalReport(const Identity&, RedisConnection&, const v1::ReviewFinalReportRequest&, v1::ReviewFinalReportResponse*);
  absl::Status GetCaseReport(const Identity&, RedisConnection&, const v1::GetCaseReportRequest&, v1::GetCaseReportResponse*);
  absl::Status ListCaseReports(const Identity&, RedisConnection&, const v1::ListCaseReportsRequest&, v1::ListCaseReportsResponse*);

  absl::Status ClaimWork(const Identity&, RedisConnection&, const v1::ClaimWorkRequest&, v1::ClaimWorkResponse*);
  absl::Status CompleteWork(const Identity&, RedisConnection&, const v1::CompleteWorkRequest&, v1::CompleteWorkResponse*);
  absl::Status ReleaseWork(const Identity&, RedisConnection&, const v1::ReleaseWorkRequest&, v1::ReleaseWorkResponse*);
  absl::Status GetQueueStats(const Identity&, RedisConnection&, const v1::GetQueueStatsRequest&, v1::GetQueueStatsResponse*);
  absl::Status GetHandlingTimeReport(const Identity&, RedisConnection&, const v1::GetHandlingTimeReportRequest&, v1::GetHandlingTimeReportResponse*);

  absl::Status ReportResult(const Identity&, RedisConnection&, const v1::ReportResultRequest&, v1::ReportResultResponse*);
  absl::Status GetResult(const Identity&, RedisConnection&, const v1::GetResultRequest&, v1::GetResultResponse*);
  absl::Status VerifyResult(const Identity&, RedisConnection&, const v1::VerifyResultRequest&, v1::VerifyResultResponse*);
  // The scheduler at a result's 4-month mark: the register's answer becomes VerifyResult; a
  // result the register cannot settle goes to the result-verifications queue.
  absl::Status CheckResultInRegister(RedisConnection& redis, const std::string& case_id, const std::string& request_id);
  const ResultRegister* result_register = nullptr;  // null: every result goes to the queue
  // RESULT_VERIFIED → PAID once the result payment is settled (the compensation engine, as the
  // service itself); `line_ids` are the settled result lines. Idempotent by request_id.
  absl::Status MarkPaid(RedisConnection& redis, const std::string& case_id, const std::vector<std::string>& line_ids,
                        const std::string& request_id);

  // The scheduler's step: claims due deadlines and acts on them. Returns how many it handled.
  absl::StatusOr<int> RunDueDeadlines(RedisConnection& redis, const std::string& worker, int limit);
};

// Shared validation helpers.
// Case, report and queue item ids are at most 96 characters (a report id is the case id plus ".r<n>").
absl::Status RequireId(const std::string& id, const char* field);
using validation::RequireText;  // common/validation/identifiers.h
absl::Status CheckExpectedVersion(int64_t v);
// A Date field that may be unset (then `fallback`).
absl::StatusOr<absl::CivilDay> DayOr(const v1::Date& date, const char* field, absl::CivilDay fallback);
// Start of the Swedish day `day` (00:00 Europe/Stockholm), for schedules.
absl::Time StartOfSwedishDay(absl::CivilDay day);
// The case a report id belongs to ("<case_id>.r<N>").
std::string CaseOfReport(const std::string& report_id);

}  // namespace rusta::referral
