#include "services/referral/referral_impl.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_event.h"
#include "common/server/call_deadline.h"
#include "common/server/clock.h"
#include "common/server/idempotency.h"
#include "common/server/ids.h"
#include "common/server/proto_convert.h"
#include "services/referral/case_mapping.h"
#include "services/referral/domain/state_machine.h"

namespace rusta::referral {

namespace {
constexpr char kService[] = "referral";

std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}
}  // namespace

// ---- small shared helpers ----

const std::vector<QueueSpec>& QueueSpecs() {
  using identity::Role;
  static const std::vector<QueueSpec> specs = {
      {v1::REFERRAL_QUEUE_DECISIONS, "decisions", {Role::kCaseworker, Role::kEmploymentOfficer}},
      {v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS, "informative-reports", {Role::kCaseworker, Role::kEmploymentOfficer}},
      {v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS, "interruption-requests", {Role::kEmploymentOfficer}},
      {v1::REFERRAL_QUEUE_SUPPORTED_EMPLOYMENT_REQUESTS, "supported-employment-requests", {Role::kEmploymentOfficer}},
      {v1::REFERRAL_QUEUE_FINAL_REPORTS, "final-reports", {Role::kCaseworker, Role::kEmploymentOfficer}},
      {v1::REFERRAL_QUEUE_DISPUTES, "disputes", {Role::kCaseworker, Role::kEmploymentOfficer}},
      {v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS, "provider-change-flags", {Role::kCaseworker, Role::kEmploymentOfficer}},
      {v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS, "result-verifications", {Role::kEmploymentOfficer}},
  };
  return specs;
}

std::string WorkPayload::Encode() const { return absl::StrCat(kind, "|", case_id, "|", subject_id); }

std::optional<WorkPayload> WorkPayload::Decode(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '|');
  if (parts.size() != 3) return std::nullopt;
  return WorkPayload{parts[0], parts[1], parts[2]};
}

Identity SchedulerIdentity(const std::string& trust_domain) { return identity::ServiceIdentity(trust_domain, "referral"); }

absl::Status RequireId(const std::string& id, const char* field) { return validation::RequireId(id, field, 96); }

absl::Status CheckExpectedVersion(int64_t v) {
  if (v < 0) return absl::InvalidArgumentError("expected_version: must not be negative");
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> DayOr(const v1::Date& date, const char* field, absl::CivilDay fallback) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return fallback;
  return server::ToCivilDay(date, field);
}

absl::Time StartOfSwedishDay(absl::CivilDay day) {
  return absl::FromCivil(absl::CivilSecond(day), server::SwedishTimeZone());
}

std::string CaseOfReport(const std::string& report_id) {
  const size_t pos = report_id.rfind(".r");
  return pos == std::string::npos ? "" : report_id.substr(0, pos);
}

std::string ReferralImpl::QueueName(v1::ReferralQueue q) {
  for (const QueueSpec& s : QueueSpecs()) {
    if (s.id == q) return "referral." + s.name;
  }
  return "referral.unknown";
}

ReferralImpl::ReferralImpl(server::ServiceHost& h, ReferralConfig c, AssessmentClient* a, RegistryClient* r,
                           const validation::MunicipalityCodes* m, const validation::PostalCodeDirectory* p)
    : host(h),
      config(std::move(c)),
      assessment(a),
      registry(r),
      municipalities(m),
      postal_codes(p),
      store(h.audit(), config.pseudonym_secret, config.events_max_length),
      cache(static_cast<size_t>(config.case_cache_size)),
      deadlines(queue::QueueOptions{"referral.deadlines", "scheduler", 5 * 60 * 1000, 5, 100}) {
  for (const QueueSpec& s : QueueSpecs()) {
    queues.emplace(static_cast<int>(s.id),
                   queue::WorkQueue(queue::QueueOptions{QueueName(s.id), "caseworkers",
                                                        config.queue_visibility_ms, 1000000, 100}));
  }
}

// ---- Tx ----

Role ReferralImpl::Tx::role() const { return FromIdentityRole(caller.role); }

absl::StatusOr<Case> ReferralImpl::Tx::Domain() const { return ToDomainCase(next); }

// One history entry (a transition, or a flag when from == to) and the CaseEvent published for it.
v1::CaseEvent* ReferralImpl::Tx::Record(v1::CaseTransitionKind kind, v1::CaseState to, const std::string& reason,
                                        absl::CivilDay effective_date) {
  const int64_t version = read_version + 1;
  v1::CaseTransition* h = next.add_history();
  h->set_sequence(next.history_size());
  h->set_kind(kind);
  h->set_from_state(next.state());
  h->set_to_state(to);
  *h->mutable_actor() = server::ToActor(caller);
  server::SetTimestamp(now, h->mutable_time());
  h->set_reason(reason);
  h->set_rule_version(rule_version);
  h->set_case_version(version);
  h->set_event_id(absl::StrCat(next.case_id(), "#", h->sequence()));
  next.set_state(to);
  case_changed = true;

  v1::CaseEvent& e = events.emplace_back();
  e.set_event_id(h->event_id());
  e.set_case_id(next.case_id());
  e.set_person_id(next.person_id());
  e.set_from_state(h->from_state());
  e.set_to_state(h->to_state());
  e.set_transition(h->kind());
  *e.mutable_actor() = h->actor();
  *e.mutable_occurred_at() = h->time();
  *e.mutable_effective_date() = server::FromCivilDay(effective_date);
  e.set_rule_version(rule_version);
  e.set_case_version(version);
  e.set_sequence(h->sequence());
  return &e;
}

absl::StatusOr<v1::CaseEvent*> ReferralImpl::Tx::Step(Transition transition, const std::string& reason,
                                                       absl::CivilDay effective_date) {
  auto from = ToDomainState(next.state());
  if (!from.ok()) return absl::DataLossError("stored case state is unknown");
  auto to = Next(*from, transition, role());
  if (!to.ok()) return to.status();
  return Record(FromDomainTransition(transition), FromDomainState(*to), reason, effective_date);
}

v1::CaseEvent* ReferralImpl::Tx::Flag(v1::CaseFlagKind kind, bool raised, const std::string& note) {
  v1::CaseEvent* e = Record(v1::CASE_TRANSITION_KIND_FLAG, next.state(), note, today);
  e->mutable_flag()->set_kind(kind);
  e->mutable_flag()->set_raised(raised);
  return e;
}

// ---- Mutate ----

absl::Status ReferralImpl::Mutate(RedisConnection& redis, const Identity& caller, const char* method,
                                  const google::protobuf::Message& request, const std::string& request_id,
                                  const std::string& case_id, int64_t expected_version,
                                  const std::vector<std::vector<std::string>>& extra, const Change& change,
                                  const Respond& respond, google::protobuf::Message* response, bool creating) {
  RETURN_IF_ERROR(server::ValidateRequestId(request_id));
  RETURN_IF_ERROR(RequireId(case_id, "case_id"));
  if (expected_version != kNoVersionCheck) RETURN_IF_ERROR(CheckExpectedVersion(expected_version));
  const std::string idem_key =
      server::IdempotencyKey(creating ? std::string("new-case") : case_id, caller, method, request_id);
  const std::string fingerprint = server::RequestFingerprint(request);
  for (int attempt = 0;; ++attempt) {
    audit::AuditLog::PauseBeforeRetry(attempt);
    // The first attempt of a plain transition starts from this replica's last write of the case
    // when it has one (case_cache.h); any failure on that basis is retried from a fresh read.
    std::optional<CaseCache::Entry> cached;
    if (attempt == 0 && !creating && extra.empty()) cached = cache.Get(case_id);
    const bool from_cache = cached.has_value();
    absl::StatusOr<CaseRead> read;
    if (from_cache) {
      CaseRead r;
      r.case_record = std::move(cached->case_record);
      r.audit_head = std::move(cached->audit_head);
      read = std::move(r);
    } else {
      read = store.Read(redis, idem_key, fingerprint, case_id, extra);
    }
    if (!read.ok()) return read.status();
    auto retry_fresh = [&] {
      cache.Erase(case_id);
      response->Clear();
    };
    if (read->earlier_result.has_value()) {  // a repeat: the first call's response, nothing changes
      if (!response->ParseFromString(*read->earlier_result)) return absl::DataLossError("stored response does not parse");
      return absl::OkStatus();
    }
    const absl::Time now = Now();
    Tx tx{caller, now, server::SwedishDay(now), *read, v1::Case(), 0, false, CaseWrite(), {}, {}, "", config.rules.version};
    if (creating) {
      if (read->case_record.has_value()) return absl::AlreadyExistsError("case_id: exists");
      tx.next.set_case_id(case_id);
    } else {
      const bool provider = caller.role == identity::Role::kProvider;
      if (!read->case_record.has_value()) {
        if (provider) RETURN_IF_ERROR(AuditRefusedRead(redis, caller, method, case_id));
        return absl::NotFoundError("case: not found");
      }
      if (provider) {
        auto domain = ToDomainCase(*read->case_record);
        if (!domain.ok()) return domain.status();
        if (!ProviderMayView(*domain, caller.id)) {
          if (from_cache) { retry_fresh(); continue; }
          RETURN_IF_ERROR(AuditRefusedRead(redis, caller, method, case_id));
          return absl::NotFoundError("case: not found");
        }
      }
      tx.next = *read->case_record;
      tx.read_version = tx.next.version();
      if (expected_version > 0 && expected_version != tx.read_version) {
        if (from_cache) { retry_fresh(); continue; }
        return absl::AbortedError(absl::StrCat("version: expected ", expected_version, ", current ", tx.read_version));
      }
    }
    const std::string case_key = CaseStore::CaseKey(case_id);
    tx.write.CheckVersion(case_key, tx.read_version);  // the change rests on the case as read
    if (absl::Status changed = change(tx); !changed.ok()) {
      if (from_cache) { retry_fresh(); continue; }
      return changed;
    }
    if (tx.case_changed) {
      tx.next.set_version(tx.read_version + 1);
      server::SetTimestamp(now, tx.next.mutable_updated_at());
      tx.write.Put(case_key, Serialize(tx.next), tx.next.version());
    }
    for (v1::CaseEvent& e : tx.events) {
      e.set_organisation_number(tx.next.current_provider().organisation_number());
      e.set_level(tx.next.level());
      *e.mutable_extent() = tx.next.extent();
      tx.write.Publish(CaseStore::EventsStream(), store.events_max_length(), "rusta.v1.CaseEvent", Serialize(e));
    }
    for (auto& [type, data] : tx.extra_events) {
      tx.write.Publish(CaseStore::EventsStream(), store.events_max_length(), type, data);
    }

    // The response (what a repeated request_id gets) and the audit event.
    respond(tx);
    v1::AuditEvent event = audit::MakeAuditEvent(caller, kService, method, now);
    event.set_purpose("case-handling");
    event.set_request_id(request_id);
    event.set_rule_version(config.rules.version);
    event.set_detail(tx.audit_detail);
    audit::AddSubject(event, v1::SUBJECT_KIND_PERSON, tx.next.person_id());
    audit::AddSubject(event, v1::SUBJECT_KIND_CASE, case_id);
    const audit::PreparedEvent prepared =
        audit::AuditLog::Prepare(CaseStore::Chain(case_id), read->audit_head, event);
    auto written = store.Apply(redis, idem_key, fingerprint, Serialize(*response), prepared, tx.write);
    if (!written.ok() && from_cache && !absl::IsUnavailable(written.status())) {
      retry_fresh();
      continue;
    }
    if (audit::AuditLog::IsChainConflict(written.status()) && attempt + 1 < audit::AuditLog::kMaxAttempts) {
      response->Clear();
      continue;
    }
    // "No check" means: on whatever is current. Under contention that is retried (with the
    // growing random pause above) for as long as the caller still waits for the answer.
    if (written.status().code() == absl::StatusCode::kAborted &&
        (expected_version == 0 || expected_version == kNoVersionCheck) &&
        absl::Now() < server::CurrentCallDeadline()) {
      response->Clear();
      continue;
    }
    if (!written.ok()) return written.status();
    if (!response->ParseFromString(*written)) return absl::DataLossError("stored response does not parse");
    // What this call wrote is the next change's best guess (a repeat wrote nothing: its stored
    // response came back, and the guess may then be stale, which the next write will notice).
    redis::RedisValue head;
    head.type = redis::RedisValue::Type::kString;
    head.str = absl::StrCat(prepared.seq, ":", prepared.hash);
    cache.Put(case_id, CaseCache::Entry{tx.next, std::move(head)});
    return absl::OkStatus();
  }
}

absl::StatusOr<std::optional<v1::Case>> ReferralImpl::LoadUnlessRepeated(
    RedisConnection& redis, const Identity& caller, const char* method, const google::protobuf::Message& request,
    const std::string& request_id, const std::string& case_id, google::protobuf::Message* response) {
  RETURN_IF_ERROR(server::ValidateRequestId(request_id));
  RETURN_IF_ERROR(RequireId(case_id, "case_id"));
  if (caller.role == identity::Role::kProvider) return absl::PermissionDeniedError("case.role: PROVIDER may not do this");
  // The same key and fingerprint as Mutate's.
  auto read = store.Read(redis, server::IdempotencyKey(case_id, caller, method, request_id),
                         server::RequestFingerprint(request), case_id);
  if (!read.ok()) return read.status();
  if (read->earlier_result.has_value()) {
    if (!response->ParseFromString(*read->earlier_result)) return absl::DataLossError("stored response does not parse");
    return std::optional<v1::Case>();
  }
  if (!read->case_record.has_value()) return absl::NotFoundError("case: not found");
  return std::move(read->case_record);
}

// ---- reads and access ----

v1::Case ReferralImpl::ViewFor(const Identity& caller, const v1::Case& c) const {
  if (caller.role == identity::Role::kProvider) return ProviderView(c, caller.id);
  return c;
}

absl::Status ReferralImpl::AuditRead(RedisConnection& redis, const Identity& caller, const char* method,
                                     const std::string& case_id, const std::string& person_id,
                                     const redis::RedisValue* head, const std::string& detail) {
  v1::AuditEvent e = audit::MakeAuditEvent(caller, kService, method, Now());
  e.set_purpose("case-handling");
  e.set_detail(detail);
  audit::AddSubject(e, v1::SUBJECT_KIND_PERSON, person_id);
  audit::AddSubject(e, v1::SUBJECT_KIND_CASE, case_id);
  return store.audit().Append(redis, CaseStore::Chain(case_id), e, head).status();
}

absl::Status ReferralImpl::AuditRefusedRead(RedisConnection& redis, const Identity& caller, const char* method,
                                            const std::string& case_id) {
  // In the caller's own chain: the refusal is about what the caller tried, and whether the case
  // exists at all stays out of the answer (it is NOT_FOUND either way).
  v1::AuditEvent e = audit::MakeAuditEvent(caller, kService, method, Now());
  e.set_purpose("case-handling");
  e.set_outcome(v1::AUDIT_OUTCOME_DENIED);
  e.set_detail("refused: not a participant of the caller");
  audit::AddSubject(e, v1::SUBJECT_KIND_CASE, case_id);
  return store.audit().Append(redis, audit::ActorChain(caller.uri), e, nullptr).status();
}

absl::StatusOr<v1::Case> ReferralImpl::LoadForCaller(RedisConnection& redis, const Identity& caller,
                                                     const char* method, const std::string& case_id) {
  RETURN_IF_ERROR(RequireId(case_id, "case_id"));
  auto read = store.Read(redis, "", "", case_id);
  if (!read.ok()) return read.status();
  const bool provider = caller.role == identity::Role::kProvider;
  if (!read->case_record.has_value()) {
    if (provider) RETURN_IF_ERROR(AuditRefusedRead(redis, caller, method, case_id));
    return absl::NotFoundError("case: not found");
  }
  if (provider) {
    auto domain = ToDomainCase(*read->case_record);
    if (!domain.ok()) return domain.status();
    if (!ProviderMayView(*domain, caller.id)) {
      RETURN_IF_ERROR(AuditRefusedRead(redis, caller, method, case_id));
      return absl::NotFoundError("case: not found");
    }
    // Every read of personal data by a provider is audited in the case's chain.
    RETURN_IF_ERROR(AuditRead(redis, caller, method, case_id, read->case_record->person_id(),
                                    &read->audit_head, ""));
  }
  return std::move(*read->case_record);
}

// ---- pieces of transitions ----

absl::Status ReferralImpl::ScheduleMaximumTime(Tx& tx) {
  auto domain = tx.Domain();
  if (!domain.ok()) return domain.status();
  auto clock = ComputeServiceClock(*domain, config.rules, tx.today);
  if (!clock.ok()) return clock.status();
  *tx.next.mutable_maximum_end_date() = server::FromCivilDay(clock->maximum_last_day);
  const std::string id = "max:" + tx.next.case_id();
  tx.write.Cancel(deadlines, id);
  tx.write.Schedule(deadlines, id, WorkPayload{"MAX", tx.next.case_id(), tx.next.case_id()}.Encode(),
                    absl::ToUnixMillis(StartOfSwedishDay(clock->last_day + 1)));
  return absl::OkStatus();
}

void ReferralImpl::SetProvider(Tx& tx, const std::string& org, const std::string& name, v1::ChoiceKind kind,
                               absl::CivilDay on) {
  v1::ProviderAssignment* a = tx.next.add_provider_history();
  a->set_organisation_number(org);
  a->set_provider_name(name);
  a->set_choice_kind(kind);
  *a->mutable_assigned_on() = server::FromCivilDay(on);
  *a->mutable_plan_started_on() = server::FromCivilDay(on);
  *tx.next.mutable_current_provider() = *a;
  tx.write.ZAdd(CaseStore::ProviderCurrentKey(org), 0, tx.next.case_id());
  tx.write.SAdd(CaseStore::ProviderEverKey(org), tx.next.case_id());
}

void ReferralImpl::EndCurrentProvider(Tx& tx, absl::CivilDay on) {
  if (tx.next.provider_history_size() == 0) return;
  v1::ProviderAssignment* last = tx.next.mutable_provider_history(tx.next.provider_history_size() - 1);
  if (last->has_ended_on()) return;
  *last->mutable_ended_on() = server::FromCivilDay(on);
  tx.write.ZRem(CaseStore::ProviderCurrentKey(last->organisation_number()), tx.next.case_id());
  *tx.next.mutable_current_provider() = *last;
}

absl::Status ReferralImpl::ApplyEnd(Tx& tx, v1::EndReason reason, absl::CivilDay end_date, const std::string& note) {
  auto step = tx.Step(Transition::kEnd, note.empty() ? v1::EndReason_Name(reason) : note, end_date);
  if (!step.ok()) return step.status();
  EndCurrentProvider(tx, end_date);
  tx.next.clear_current_provider();
  v1::CaseEnd* end = tx.next.mutable_end();
  *end->mutable_end_date() = server::FromCivilDay(end_date);
  end->set_reason(reason);
  end->set_note(note);
  *end->mutable_ended_by() = server::ToActor(tx.caller);
  const absl::CivilDay deadline = ResultReportDeadline(end_date, config.rules);
  *end->mutable_result_report_deadline() = server::FromCivilDay(deadline);
  if (tx.next.paused() && tx.next.pauses_size() > 0) {
    v1::CasePause* p = tx.next.mutable_pauses(tx.next.pauses_size() - 1);
    if (!p->dates().has_end()) *p->mutable_dates()->mutable_end() = server::FromCivilDay(end_date);
    tx.next.set_paused(false);
  }
  v1::EndDetails* d = (*step)->mutable_end();
  *d->mutable_end_date() = server::FromCivilDay(end_date);
  d->set_reason(reason);
  *d->mutable_result_report_deadline() = end->result_report_deadline();
  *d->mutable_started_on() = tx.next.started_on();
  tx.write.Cancel(deadlines, "max:" + tx.next.case_id());
  tx.write.Cancel(deadlines, "choice:" + tx.next.case_id());
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReferralImpl::CheckChoosable(const v1::Case& c, const std::string& org,
                                                         absl::CivilDay day) {
  auto providers = registry->ChoosableProviders(c.home_municipality_code(), server::FromCivilDay(day));
  if (!providers.ok()) return providers.status();
  for (const v1::ProviderSearchResult& p : *providers) {
    if (p.organisation_number() == org) return p.name();
  }
  return absl::FailedPreconditionError(absl::StrCat("case.choice: ", org, " is not a provider the participant can choose in ",
                                                    c.home_municipality_code(), " on ", absl::FormatCivilTime(day)));
}

absl::StatusOr<ReferralImpl::ItemRef> ReferralImpl::ParseItemId(const std::string& item_id, const char* field) {
  const size_t slash = item_id.find('/');
  if (item_id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (slash != std::string::npos && item_id.size() <= 128) {
    const std::string name = item_id.substr(0, slash), id = item_id.substr(slash + 1);
    bool id_ok = !id.empty();
    for (char c : id) id_ok = id_ok && (absl::ascii_isdigit(c) || c == '-');
    for (const QueueSpec& s : QueueSpecs()) {
      if (s.name == name && id_ok) return ItemRef{&s, id};
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(field, ": not a queue item id of this service"));
}

std::vector<std::vector<std::string>> ReferralImpl::ItemReads(const ItemRef& item) const {
  return {{"XRANGE", Queue(item.spec->id).stream_key(), item.stream_id, item.stream_id},
          {"HGET", CaseStore::FirstClaimsKey(), item.Id()}};
}

absl::Status ReferralImpl::CompleteItemInTx(Tx& tx, const ItemRef& item, const redis::RedisValue& entry,
                                            const redis::RedisValue& first_claim, const std::string& expected_case,
                                            v1::WorkOutcome outcome) {
  if (!entry.is_array() || entry.size() == 0) return absl::NotFoundError("queue_item_id: no such item");
  std::string payload, enqueued = "0";
  const redis::RedisValue& fields = entry[0][1];
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str == "payload") payload = fields[i + 1].str;
    if (fields[i].str == "enqueued_ms") enqueued = fields[i + 1].str;
  }
  auto decoded = WorkPayload::Decode(payload);
  if (!decoded || decoded->case_id != expected_case) {
    return absl::InvalidArgumentError("queue_item_id: the item is about another case");
  }
  tx.write.CompleteItem(Queue(item.spec->id), item.stream_id, tx.caller.uri);
  const int64_t now_ms = absl::ToUnixMillis(tx.now);
  tx.write.ZAdd(CaseStore::HandledKey(item.spec->name), now_ms,
                absl::StrCat(item.Id(), "|", enqueued, "|", first_claim.is_string() ? first_claim.str : "", "|", now_ms,
                             "|", v1::WorkOutcome_Name(outcome)));
  tx.audit_detail = absl::StrCat(tx.audit_detail, tx.audit_detail.empty() ? "" : "; ", "completed ", item.Id());
  return absl::OkStatus();
}

}  // namespace rusta::referral
