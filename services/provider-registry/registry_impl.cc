#include "services/provider-registry/registry_impl.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/server/idempotency.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/provider-registry/registry_rpcs.h"

namespace rusta::registry {

RegistryConfig ReadRegistryConfig(config::ConfigParser& p) {
  RegistryConfig c;
  c.rating.min_participants = static_cast<int>(p.Int("rating-min-participants", 18, 1, 100000,
      "participants started in the window for a provider to be rated"));
  c.rating.min_activity_months = static_cast<int>(p.Int("rating-min-activity-months", 12, 0, 120,
      "months since approval for a provider to be rated"));
  c.rating.window_months = static_cast<int>(p.Int("rating-window-months", 12, 1, 60, "rating window"));
  c.follow_up_interval_days = static_cast<int>(p.Int("follow-up-interval-days", 182, 30, 730,
      "regular follow-up interval per approved provider"));
  c.follow_up_visibility_ms = p.Int("follow-up-visibility-ms", 60 * 60 * 1000, 1000, 7 * 24 * 3600 * 1000LL,
      "a claimed follow-up returns to the queue after this");
  c.min_references = static_cast<int>(p.Int("admission-min-references", 2, 0, 20,
      "reference assignments an application needs"));
  return c;
}

RegistryImpl::RegistryImpl(server::ServiceHost& h, RegistryConfig c, ReferenceData r)
    : host(h),
      config(std::move(c)),
      reference(std::move(r)),
      policy(RegistryHandler::MakePolicy()),
      follow_up_queue(queue::QueueOptions{kFollowUpQueue, "workers", config.follow_up_visibility_ms, 5, 100}),
      store(host.audit(), follow_up_queue.delayed_key(), follow_up_queue.delayed_items_key()) {}

absl::CivilDay RegistryImpl::Today() const { return server::SwedishDay(Now()); }

absl::Time RegistryImpl::Schedule(absl::CivilDay day) const {
  return absl::FromCivil(day, server::SwedishTimeZone());
}

absl::StatusOr<RegistryImpl::Current> RegistryImpl::Read(RedisConnection& redis, const std::string& idem_key,
                                                         const std::string& fingerprint) {
  std::shared_ptr<const RegistryView> cached;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cached = cached_;
  }
  auto raw = store.Read(redis, cached ? cached->generation : -1, idem_key, fingerprint);
  if (!raw.ok()) return raw.status();
  Current out;
  out.earlier_result = raw->earlier_result;
  if (cached && cached->generation == raw->generation && raw->tables.empty()) {
    out.view = WithAssignments(cached, raw->assignments);
    if (out.view != cached) {  // new assignment counts: keep them, so the next request reuses them
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ == cached) cached_ = out.view;
    }
  } else {
    auto view = DecodeView(*raw);
    if (!view.ok()) return view.status();
    out.view = *view;
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_ || cached_->generation < out.view->generation) cached_ = out.view;
  }
  return out;
}

absl::StatusOr<std::string> RegistryImpl::Mutate(
    RedisConnection& redis, const Identity& caller, const char* method, const google::protobuf::Message& request,
    const std::string& request_id, const std::function<absl::StatusOr<Change>(const RegistryView&)>& decide) {
  RETURN_IF_ERROR(server::ValidateRequestId(request_id));
  const std::string idem_key = server::IdempotencyKey("registry", caller, method, request_id);
  const std::string fingerprint = server::RequestFingerprint(request);
  for (int attempt = 0;; ++attempt) {
    audit::AuditLog::PauseBeforeRetry(attempt);
    auto current = Read(redis, idem_key, fingerprint);
    if (!current.ok()) return current.status();
    if (current->earlier_result.has_value()) return *current->earlier_result;
    auto change = decide(*current->view);
    if (!change.ok()) return change.status();
    auto head = redis.Command(host.audit().HeadCommand(change->chain));
    if (!head.ok()) return head.status();
    const audit::PreparedEvent event = audit::AuditLog::Prepare(change->chain, *head, change->event);
    WriteGuard guard;
    if (change->snapshot) {
      guard.expected_generation = current->view->generation;
      guard.bump = true;
    }
    auto written = store.Write(redis, guard, change->ops, change->result, idem_key, fingerprint, event,
                               change->schedule);
    if (IsRetryable(written.status()) && attempt + 1 < audit::AuditLog::kMaxAttempts) continue;
    return written;
  }
}

v1::AuditEvent RegistryImpl::Audit(const Identity& caller, const char* method, const std::string& request_id) const {
  v1::AuditEvent e = audit::MakeAuditEvent(caller, kService, method, Now());
  e.set_purpose("provider-registry");
  e.set_request_id(request_id);
  return e;
}

void RegistryImpl::DescribeProviderChange(Change& change, const Identity& caller, const char* method,
                                          const std::string& request_id, const std::string& organisation_number,
                                          const google::protobuf::Message& response) const {
  change.result = Serialize(response);
  change.chain = audit::SubjectChain("provider", organisation_number);
  change.event = Audit(caller, method, request_id);
  audit::AddSubject(change.event, v1::SUBJECT_KIND_PROVIDER, organisation_number);
}

absl::Status RegistryImpl::RequireOwn(const Identity& caller, const std::string& organisation_number) {
  if (caller.role == Role::kProvider && caller.id != organisation_number) {
    return absl::PermissionDeniedError("a provider may act only on its own organisation");
  }
  return absl::OkStatus();
}

std::string Serialize(const google::protobuf::Message& message) {
  std::string out;
  message.SerializeToString(&out);
  return out;
}

absl::StatusOr<std::string> OrgNumber(const std::string& text, const char* field) {
  return validation::ParseOrganisationNumber(text, field);
}

absl::StatusOr<Paging> ReadPaging(int32_t page_size, const std::string& page_token) {
  auto size = server::PageSize(page_size);
  if (!size.ok()) return size.status();
  Paging paging;
  paging.size = *size;
  auto offset = server::PageOffset(page_token);
  if (!offset.ok()) return offset.status();
  if (*offset > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError("page_token: not a token this service issued");
  }
  paging.offset = static_cast<int>(*offset);
  return paging;
}

absl::Status ParseResult(const absl::StatusOr<std::string>& result, google::protobuf::Message* response) {
  if (!result.ok()) return result.status();
  if (!response->ParseFromString(*result)) return absl::DataLossError("stored response does not parse");
  return absl::OkStatus();
}

absl::Status CheckExpectedVersion(int64_t expected, int64_t current) {
  if (expected < 0) return absl::InvalidArgumentError("expected_version: must not be negative");
  if (expected > 0 && expected != current) {
    return absl::AbortedError(absl::StrCat("version: expected ", expected, ", current ", current));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> DayOrToday(const v1::Date& date, const char* field, absl::CivilDay today) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return today;
  return server::ToCivilDay(date, field);
}

// ---- the handler ----

RegistryHandler::RegistryHandler(server::ServiceHost& host, RegistryConfig config, ReferenceData reference)
    : impl_(std::make_shared<RegistryImpl>(host, std::move(config), std::move(reference))) {}

absl::Status RegistryHandler::LoadMunicipalities(redis::RedisConnection& redis) {
  if (impl_->reference.municipalities.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> commands;
  for (const v1::Municipality& m : impl_->reference.municipalities) {
    commands.push_back({"HSETNX", RegistryStore::Key(Table::kMunicipalities), m.code(), Serialize(m)});
  }
  commands.push_back({"INCR", RegistryStore::GenerationKey()});
  auto replies = redis.Pipeline(commands);
  return replies.status();
}

identity::Policy RegistryHandler::MakePolicy() {
  const auto cw = Role::kCaseworker, eo = Role::kEmploymentOfficer, sg = Role::kSupportGroup,
             pfu = Role::kProviderFollowUp, prv = Role::kProvider, mun = Role::kMunicipality,
             aud = Role::kAuditor, adm = Role::kAdmin, svc = Role::kService;
  const std::initializer_list<Role> any = {cw, eo, sg, pfu, prv, mun, aud, adm, svc};
  identity::Policy p;
  for (const char* m : {"ListMunicipalities", "LookupPostalCode", "GetProvider", "ListProviders",
                        "GetDeliveryArea", "ListDeliveryAreas", "ListContracts", "ListOffices",
                        "SearchProviders", "ListWhiteSpots", "GetRatingRun", "ListRatingRuns",
                        "LookupProvider"}) {
    p.Allow(m, any);
  }
  p.Allow("AddMunicipality", {adm});
  p.Allow("ApplyProvider", {adm, prv});
  p.Allow("UpdateProviderProfile", {adm, prv});
  p.Allow("ApproveProvider", {adm});
  p.Allow("RejectProvider", {adm});
  p.Allow("SuspendProvider", {adm, pfu});
  p.Allow("ReinstateProvider", {adm, pfu});
  p.Allow("TerminateProvider", {adm, pfu});
  p.Allow("CreateDeliveryArea", {adm});
  p.Allow("UpdateDeliveryArea", {adm});
  p.Allow("CreateContract", {adm});
  p.Allow("UpdateContract", {adm});
  p.Allow("AddOffice", {adm, prv});
  p.Allow("UpdateOffice", {adm, prv});
  p.Allow("RemoveOffice", {adm, prv});
  p.Allow("FindNearestProvider", {svc, cw, eo, adm});
  p.Allow("RecordParticipantOutcome", {svc, adm});
  p.Allow("ComputeRatings", {svc, adm, pfu});
  p.Allow("FileComplaint", {pfu, cw, eo, adm});
  p.Allow("UpdateComplaint", {pfu});
  p.Allow("ListComplaints", {pfu, adm});
  p.Allow("ImposeSanction", {pfu});
  p.Allow("ListSanctions", {pfu, adm, prv});
  p.Allow("ClaimFollowUp", {pfu});
  p.Allow("CompleteFollowUp", {pfu});
  p.Allow("ReleaseFollowUp", {pfu});
  p.Allow("GetFollowUpQueueStats", {pfu, adm});
  return p;
}

#define RUSTA_RPC(Name)                                                                           \
  RegistryHandler::Reactor* RegistryHandler::Name(Ctx* ctx, const v1::Name##Request* req,        \
                                                  v1::Name##Response* resp) {                    \
    std::shared_ptr<RegistryImpl> impl = impl_;                                                   \
    return impl->host.Handle(ctx, #Name, impl->policy, req,                                            \
        [impl, req, resp](const Identity& caller, RedisConnection& redis) {                       \
          return Do##Name(*impl, caller, redis, *req, resp);                                      \
        });                                                                                       \
  }

RUSTA_RPC(ListMunicipalities)
RUSTA_RPC(AddMunicipality)
RUSTA_RPC(LookupPostalCode)
RUSTA_RPC(ApplyProvider)
RUSTA_RPC(GetProvider)
RUSTA_RPC(ListProviders)
RUSTA_RPC(UpdateProviderProfile)
RUSTA_RPC(ApproveProvider)
RUSTA_RPC(RejectProvider)
RUSTA_RPC(SuspendProvider)
RUSTA_RPC(ReinstateProvider)
RUSTA_RPC(TerminateProvider)
RUSTA_RPC(CreateDeliveryArea)
RUSTA_RPC(UpdateDeliveryArea)
RUSTA_RPC(GetDeliveryArea)
RUSTA_RPC(ListDeliveryAreas)
RUSTA_RPC(CreateContract)
RUSTA_RPC(UpdateContract)
RUSTA_RPC(ListContracts)
RUSTA_RPC(AddOffice)
RUSTA_RPC(UpdateOffice)
RUSTA_RPC(RemoveOffice)
RUSTA_RPC(ListOffices)
RUSTA_RPC(SearchProviders)
RUSTA_RPC(ListWhiteSpots)
RUSTA_RPC(FindNearestProvider)
RUSTA_RPC(RecordParticipantOutcome)
RUSTA_RPC(ComputeRatings)
RUSTA_RPC(GetRatingRun)
RUSTA_RPC(ListRatingRuns)
RUSTA_RPC(FileComplaint)
RUSTA_RPC(UpdateComplaint)
RUSTA_RPC(ListComplaints)
RUSTA_RPC(ImposeSanction)
RUSTA_RPC(ListSanctions)
RUSTA_RPC(ClaimFollowUp)
RUSTA_RPC(CompleteFollowUp)
RUSTA_RPC(ReleaseFollowUp)
RUSTA_RPC(GetFollowUpQueueStats)
RUSTA_RPC(LookupProvider)

#undef RUSTA_RPC

}  // namespace rusta::registry
