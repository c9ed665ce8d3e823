// Ratings input and runs; complaints, sanctions and the risk-based follow-up queue.
#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/server/idempotency.h"
#include "common/server/ids.h"
#include "common/server/proto_convert.h"
#include "services/provider-registry/domain/lifecycle.h"
#include "services/provider-registry/domain/ratings.h"
#include "services/provider-registry/registry_rpcs.h"

namespace rusta::registry {
namespace {

constexpr size_t kMaxText = 4000;

template <typename Message>
absl::StatusOr<std::vector<Message>> DecodeAll(const std::map<std::string, std::string>& table) {
  std::vector<Message> out;
  out.reserve(table.size());
  for (const auto& [key, bytes] : table) {
    Message m;
    if (!m.ParseFromString(bytes)) return absl::DataLossError("stored registry entry does not parse");
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Complaint>> Complaints(RegistryImpl& impl, RedisConnection& redis) {
  auto table = impl.store.ReadTable(redis, Table::kComplaints);
  if (!table.ok()) return table.status();
  return DecodeAll<v1::Complaint>(*table);
}

v1::FollowUpRisk RiskOf(const std::vector<v1::Complaint>& complaints, const v1::Provider& provider, absl::Time now) {
  v1::FollowUpRisk risk;
  for (const v1::Complaint& c : complaints) {
    if (c.organisation_number() != provider.organisation_number()) continue;
    if (c.status() != v1::COMPLAINT_STATUS_CLOSED) risk.set_open_complaints(risk.open_complaints() + 1);
    if (server::FromTimestamp(c.received_at()) > now - absl::Hours(24 * 365)) {
      risk.set_complaints_last_12_months(risk.complaints_last_12_months() + 1);
    }
  }
  risk.set_stars(provider.rating().stars());
  std::optional<int> stars;
  if (provider.rating().stars() > 0) stars = provider.rating().stars();
  risk.set_score(FollowUpRiskScore(risk.open_complaints(), risk.complaints_last_12_months(), stars));
  risk.set_trigger(risk.open_complaints() > 0 ? "open complaints"
                   : risk.complaints_last_12_months() > 0 ? "complaints in the last 12 months"
                   : (stars && *stars <= 1) ? "low rating" : "regular half-year follow-up");
  return risk;
}

// The provider's follow-up moved earlier when its risk grew (never later than already due).
absl::StatusOr<std::optional<FollowUpSchedule>> Reschedule(RegistryImpl& impl, RedisConnection& redis,
                                                           const v1::Provider& provider, double risk_score) {
  const std::string id = "follow-up:" + provider.organisation_number();
  auto due = redis.Command({"ZSCORE", impl.follow_up_queue.delayed_key(), id});
  if (!due.ok()) return due.status();
  const int days = std::max(1, impl.config.follow_up_interval_days - FollowUpDaysEarlier(risk_score));
  const int64_t wanted = absl::ToUnixMillis(impl.Schedule(impl.Today() + days));
  int64_t current = 0;
  if (!due->is_string() || !absl::SimpleAtoi(due->str, &current) || wanted >= current) {
    return std::optional<FollowUpSchedule>();
  }
  return std::optional<FollowUpSchedule>(FollowUpSchedule{id, provider.organisation_number(), wanted});
}

}  // namespace

absl::Status DoRecordParticipantOutcome(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                        const v1::RecordParticipantOutcomeRequest& req,
                                        v1::RecordParticipantOutcomeResponse* resp) {
  const v1::ParticipantOutcome& o = req.outcome();
  if (!req.has_outcome()) return absl::InvalidArgumentError("outcome: required");
  if (o.case_id().empty() || o.case_id().size() > 64) return absl::InvalidArgumentError("outcome.case_id: required");
  auto org = OrgNumber(o.organisation_number(), "outcome.organisation_number");
  if (!org.ok()) return org.status();
  if (o.level() == v1::LEVEL_UNSPECIFIED || !v1::Level_IsValid(o.level())) {
    return absl::InvalidArgumentError("outcome.level: required");
  }
  auto started = server::ToCivilDay(o.started_on(), "outcome.started_on");
  if (!started.ok()) return started.status();
  if (o.has_result_verified_on()) {
    auto verified = server::ToCivilDay(o.result_verified_on(), "outcome.result_verified_on");
    if (!verified.ok()) return verified.status();
    if (*verified < *started) return absl::InvalidArgumentError("outcome.result_verified_on: before the start");
  }
  if (o.has_ended_on()) {
    auto ended = server::ToCivilDay(o.ended_on(), "outcome.ended_on");
    if (!ended.ok()) return ended.status();
    if (*ended < *started) return absl::InvalidArgumentError("outcome.ended_on: before the start");
  }
  const std::string field = o.case_id() + "|" + *org;
  auto existing = impl.store.ReadField(redis, Table::kOutcomes, field);
  if (!existing.ok()) return existing.status();
  v1::ParticipantOutcome merged = o;
  merged.set_organisation_number(*org);
  if (existing->has_value()) {
    v1::ParticipantOutcome before;
    before.ParseFromString(**existing);
    if (before.level() != o.level() || before.started_on().SerializeAsString() != o.started_on().SerializeAsString()) {
      return absl::FailedPreconditionError("outcome.start_fixed: the start and level of a participant are recorded once");
    }
    if (!o.has_result_verified_on()) *merged.mutable_result_verified_on() = before.result_verified_on();
    if (!o.has_ended_on()) *merged.mutable_ended_on() = before.ended_on();
  }
  auto result = impl.Mutate(redis, caller, "RecordParticipantOutcome", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    if (view.providers.count(*org) == 0) return absl::NotFoundError("outcome.organisation_number: no such provider");
    Change c;
    c.snapshot = false;  // rating input, not part of the snapshot
    c.ops.push_back({Table::kOutcomes, field, Serialize(merged)});
    v1::RecordParticipantOutcomeResponse out;
    *out.mutable_outcome() = merged;
    impl.DescribeProviderChange(c, caller, "RecordParticipantOutcome", req.request_id(), *org, out);
    audit::AddSubject(c.event, v1::SUBJECT_KIND_CASE, o.case_id());
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoComputeRatings(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                              const v1::ComputeRatingsRequest& req, v1::ComputeRatingsResponse* resp) {
  auto as_of = DayOrToday(req.as_of(), "as_of", impl.Today());
  if (!as_of.ok()) return as_of.status();
  if (*as_of > impl.Today()) return absl::InvalidArgumentError("as_of: is in the future");
  auto table = impl.store.ReadTable(redis, Table::kOutcomes);
  if (!table.ok()) return table.status();
  auto stored = DecodeAll<v1::ParticipantOutcome>(*table);
  if (!stored.ok()) return stored.status();
  std::vector<OutcomeRecord> outcomes;
  for (const v1::ParticipantOutcome& o : *stored) {
    auto started = server::ToCivilDay(o.started_on(), "started_on");
    if (!started.ok()) continue;
    OutcomeRecord r{o.case_id(), o.organisation_number(), FromProto(o.level()), *started, std::nullopt};
    if (o.has_result_verified_on()) {
      auto verified = server::ToCivilDay(o.result_verified_on(), "result_verified_on");
      if (verified.ok()) r.result_verified_on = *verified;
    }
    outcomes.push_back(r);
  }
  v1::RatingRun run;
  auto result = impl.Mutate(redis, caller, "ComputeRatings", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    std::map<std::string, absl::CivilDay> approved_since;
    for (const auto& [org, p] : view.domain.providers) {
      if (p.approved_since.has_value()) approved_since[org] = *p.approved_since;
    }
    const RatingComputation computed = ComputeRatings(outcomes, approved_since, *as_of, impl.config.rating);
    run.Clear();
    run.set_rating_run_id(server::NewId("rating"));
    *run.mutable_as_of() = server::FromCivilDay(*as_of);
    server::SetTimestamp(impl.Now(), run.mutable_computed_at());
    *run.mutable_computed_by() = server::ToActor(caller);
    run.set_rule_version(absl::StrCat(kRatingRuleVersion, ":min=", impl.config.rating.min_participants,
                                      ",months=", impl.config.rating.min_activity_months));
    run.set_sample_size(computed.sample_size);
    Change c;
    for (const ProviderRatingResult& r : computed.providers) {
      v1::RatedProvider* rated = run.add_providers();
      rated->set_organisation_number(r.organisation_number);
      v1::ProviderRating* rating = rated->mutable_rating();
      rating->set_stars(r.stars.value_or(0));
      rating->set_sample_size(r.sample_size);
      rating->set_unrated_reason(r.unrated_reason);
      rating->set_rating_run_id(run.rating_run_id());
      *rating->mutable_as_of() = server::FromCivilDay(*as_of);
      rating->set_adjusted_result_ratio(r.ratio);
      for (const auto& [level, n] : r.started_by_level) {
        (*rated->mutable_started_by_level())[level == Level::kA ? "A" : level == Level::kB ? "B" : "C"] = n;
      }
      rated->set_verified_results(r.verified_results);
      rated->set_expected_results(r.expected_results);
      r.stars ? run.set_rated_providers(run.rated_providers() + 1) : run.set_unrated_providers(run.unrated_providers() + 1);
      auto p = view.providers.find(r.organisation_number);
      if (p != view.providers.end()) {  // the rating shown to job seekers moves with the run
        v1::Provider updated = p->second;
        *updated.mutable_rating() = *rating;
        updated.set_version(updated.version() + 1);
        c.ops.push_back({Table::kProviders, r.organisation_number, Serialize(updated)});
      }
    }
    c.ops.push_back({Table::kRatingRuns, run.rating_run_id(), Serialize(run)});
    v1::ComputeRatingsResponse out;
    *out.mutable_run() = run;
    c.result = Serialize(out);
    c.chain = "registry/ratings";
    c.event = impl.Audit(caller, "ComputeRatings", req.request_id());
    c.event.set_rule_version(run.rule_version());
    c.event.set_detail(absl::StrCat(run.rating_run_id(), " as of ", absl::FormatCivilTime(*as_of), ": ",
                                    run.rated_providers(), " rated, sample ", run.sample_size()));
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoGetRatingRun(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                            const v1::GetRatingRunRequest& req, v1::GetRatingRunResponse* resp) {
  if (req.rating_run_id().empty()) return absl::InvalidArgumentError("rating_run_id: required");
  auto stored = impl.store.ReadField(redis, Table::kRatingRuns, req.rating_run_id());
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return absl::NotFoundError("rating_run_id: no such rating run");
  if (!resp->mutable_run()->ParseFromString(**stored)) return absl::DataLossError("stored rating run does not parse");
  return absl::OkStatus();
}

absl::Status DoListRatingRuns(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                              const v1::ListRatingRunsRequest& req, v1::ListRatingRunsResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  auto table = impl.store.ReadTable(redis, Table::kRatingRuns);
  if (!table.ok()) return table.status();
  auto runs = DecodeAll<v1::RatingRun>(*table);
  if (!runs.ok()) return runs.status();
  std::sort(runs->begin(), runs->end(), [](const v1::RatingRun& a, const v1::RatingRun& b) {
    return std::make_tuple(-a.computed_at().seconds(), -a.computed_at().nanos(), a.rating_run_id()) <
           std::make_tuple(-b.computed_at().seconds(), -b.computed_at().nanos(), b.rating_run_id());
  });
  AddPage(Values(*runs), *paging, [](const v1::RatingRun&) { return true; },
           [&](const v1::RatingRun& r) {
             v1::RatingRun* out = resp->add_runs();
             *out = r;
             out->clear_providers();  // the list shows runs; GetRatingRun shows a run's providers
           },
           resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoFileComplaint(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                             const v1::FileComplaintRequest& req, v1::FileComplaintResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  if (req.complainant_kind() == v1::COMPLAINANT_KIND_UNSPECIFIED || !v1::ComplainantKind_IsValid(req.complainant_kind())) {
    return absl::InvalidArgumentError("complainant_kind: required");
  }
  RETURN_IF_ERROR(RequireText(req.description(), "description", kMaxText));
  if (req.case_id().size() > 64) return absl::InvalidArgumentError("case_id: at most 64 characters");
  auto complaints = Complaints(impl, redis);
  if (!complaints.ok()) return complaints.status();
  v1::Complaint complaint;
  auto result = impl.Mutate(redis, caller, "FileComplaint", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto p = view.providers.find(*org);
    if (p == view.providers.end()) return absl::NotFoundError("organisation_number: no such provider");
    complaint.Clear();
    complaint.set_complaint_id(server::NewId("complaint"));
    complaint.set_version(1);
    complaint.set_organisation_number(*org);
    complaint.set_complainant_kind(req.complainant_kind());
    complaint.set_case_id(req.case_id());
    complaint.set_description(req.description());
    complaint.set_status(v1::COMPLAINT_STATUS_RECEIVED);
    server::SetTimestamp(impl.Now(), complaint.mutable_received_at());
    std::vector<v1::Complaint> with_new = *complaints;
    with_new.push_back(complaint);
    Change c;
    c.snapshot = false;
    c.ops.push_back({Table::kComplaints, complaint.complaint_id(), Serialize(complaint)});
    auto schedule = Reschedule(impl, redis, p->second, RiskOf(with_new, p->second, impl.Now()).score());
    if (!schedule.ok()) return schedule.status();
    c.schedule = *schedule;
    v1::FileComplaintResponse out;
    *out.mutable_complaint() = complaint;
    impl.DescribeProviderChange(c, caller, "FileComplaint", req.request_id(), *org, out);
    if (!req.case_id().empty()) audit::AddSubject(c.event, v1::SUBJECT_KIND_CASE, req.case_id());
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoUpdateComplaint(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                               const v1::UpdateComplaintRequest& req, v1::UpdateComplaintResponse* resp) {
  if (req.complaint_id().empty()) return absl::InvalidArgumentError("complaint_id: required");
  if (req.status() == v1::COMPLAINT_STATUS_UNSPECIFIED || !v1::ComplaintStatus_IsValid(req.status())) {
    return absl::InvalidArgumentError("status: required");
  }
  const bool closing = req.status() == v1::COMPLAINT_STATUS_CLOSED;
  if (closing && (req.outcome() == v1::COMPLAINT_OUTCOME_UNSPECIFIED || !v1::ComplaintOutcome_IsValid(req.outcome()))) {
    return absl::InvalidArgumentError("outcome: required when closing");
  }
  if (!closing && req.outcome() != v1::COMPLAINT_OUTCOME_UNSPECIFIED) {
    return absl::InvalidArgumentError("outcome: only when closing");
  }
  if (req.outcome_note().size() > kMaxText) return absl::InvalidArgumentError("outcome_note: at most 4000 characters");
  v1::Complaint updated;
  auto result = impl.Mutate(redis, caller, "UpdateComplaint", req, req.request_id(),
                            [&](const RegistryView&) -> absl::StatusOr<Change> {
    auto stored = impl.store.ReadField(redis, Table::kComplaints, req.complaint_id());
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return absl::NotFoundError("complaint_id: no such complaint");
    updated.ParseFromString(**stored);
    RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version(), updated.version()));
    if (updated.status() == v1::COMPLAINT_STATUS_CLOSED) {
      return absl::FailedPreconditionError("complaint.closed: a closed complaint does not change");
    }
    if (req.status() == v1::COMPLAINT_STATUS_RECEIVED && updated.status() == v1::COMPLAINT_STATUS_INVESTIGATING) {
      return absl::FailedPreconditionError("complaint.status: INVESTIGATING → RECEIVED is not allowed");
    }
    updated.set_status(req.status());
    updated.set_outcome(req.outcome());
    updated.set_outcome_note(req.outcome_note());
    if (closing) server::SetTimestamp(impl.Now(), updated.mutable_closed_at());
    updated.set_version(updated.version() + 1);
    Change c;
    c.snapshot = false;
    c.ops.push_back({Table::kComplaints, updated.complaint_id(), Serialize(updated)});
    v1::UpdateComplaintResponse out;
    *out.mutable_complaint() = updated;
    impl.DescribeProviderChange(c, caller, "UpdateComplaint", req.request_id(), updated.organisation_number(), out);
    c.event.set_detail(absl::StrCat(updated.complaint_id(), " ", v1::ComplaintStatus_Name(req.status())));
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoListComplaints(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                              const v1::ListComplaintsRequest& req, v1::ListComplaintsResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  auto complaints = Complaints(impl, redis);
  if (!complaints.ok()) return complaints.status();
  AddPage(Values(*complaints), *paging,
           [&](const v1::Complaint& c) {
             return (req.organisation_number().empty() || c.organisation_number() == req.organisation_number()) &&
                    (req.status() == v1::COMPLAINT_STATUS_UNSPECIFIED || c.status() == req.status());
           },
           [&](const v1::Complaint& c) { *resp->add_complaints() = c; }, resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoImposeSanction(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                              const v1::ImposeSanctionRequest& req, v1::ImposeSanctionResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  // Sanctions only for mandatory activities (domain.md section 7).
  static const std::set<std::string> kMandatory = {"MEETING_EVERY_14_DAYS", "FIRST_MEETING_IN_PERSON",
                                                   "IN_PERSON_EVERY_4_WEEKS", "WEEKLY_IN_PERSON_ACTIVITY",
                                                   "DEVELOPMENT_PLAN", "MONTHLY_REPORT", "DEVIATION_REPORT",
                                                   "INFORMATIVE_REPORT", "FINAL_REPORT"};
  if (kMandatory.count(req.mandatory_activity()) == 0) {
    return absl::InvalidArgumentError("mandatory_activity: sanctions apply only to a mandatory activity");
  }
  RETURN_IF_ERROR(RequireText(req.reason(), "reason", kMaxText));
  if (req.amount().ore() <= 0) return absl::InvalidArgumentError("amount: must be positive");
  auto decided = DayOrToday(req.decided_on(), "decided_on", impl.Today());
  if (!decided.ok()) return decided.status();
  v1::Sanction sanction;
  auto result = impl.Mutate(redis, caller, "ImposeSanction", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    if (view.providers.count(*org) == 0) return absl::NotFoundError("organisation_number: no such provider");
    sanction.Clear();
    sanction.set_sanction_id(server::NewId("sanction"));
    sanction.set_organisation_number(*org);
    sanction.set_mandatory_activity(req.mandatory_activity());
    sanction.set_reason(req.reason());
    *sanction.mutable_amount() = req.amount();
    *sanction.mutable_decided_on() = server::FromCivilDay(*decided);
    sanction.set_complaint_id(req.complaint_id());
    sanction.set_follow_up_item_id(req.follow_up_item_id());
    *sanction.mutable_decided_by() = server::ToActor(caller);
    Change c;
    c.snapshot = false;
    c.ops.push_back({Table::kSanctions, sanction.sanction_id(), Serialize(sanction)});
    v1::ImposeSanctionResponse out;
    *out.mutable_sanction() = sanction;
    impl.DescribeProviderChange(c, caller, "ImposeSanction", req.request_id(), *org, out);
    c.event.set_detail(absl::StrCat(sanction.sanction_id(), " ", req.mandatory_activity(), " ", req.amount().ore(), " öre"));
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoListSanctions(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                             const v1::ListSanctionsRequest& req, v1::ListSanctionsResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  if (caller.role == Role::kProvider && req.organisation_number() != caller.id) {
    return absl::PermissionDeniedError("a provider may list only its own sanctions (organisation_number)");
  }
  auto table = impl.store.ReadTable(redis, Table::kSanctions);
  if (!table.ok()) return table.status();
  auto sanctions = DecodeAll<v1::Sanction>(*table);
  if (!sanctions.ok()) return sanctions.status();
  AddPage(Values(*sanctions), *paging,
           [&](const v1::Sanction& s) { return req.organisation_number().empty() || s.organisation_number() == req.organisation_number(); },
           [&](const v1::Sanction& s) { *resp->add_sanctions() = s; }, resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoClaimFollowUp(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                             const v1::ClaimFollowUpRequest& req, v1::ClaimFollowUpResponse* resp) {
  RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
  const absl::Time now = impl.Now();
  // One claim per request_id: a repeat gets the first claim's item (see WorkQueue::ClaimOnce).
  const std::string idem_key = server::IdempotencyKey("registry-follow-up", caller, "ClaimFollowUp", req.request_id());
  const std::string fingerprint = server::RequestFingerprint(req);
  std::string stale;
  for (int skipped = 0; skipped < 100; ++skipped) {
    auto item = impl.follow_up_queue.ClaimOnce(redis, idem_key, fingerprint, server::kIdempotencyTtlSeconds,
                                               caller.uri, absl::ToUnixMillis(now), stale);
    if (!item.ok()) return item.status();
    if (!item->has_value()) return absl::OkStatus();  // nothing due
    auto current = impl.Read(redis);
    if (!current.ok()) return current.status();
    auto p = current->view->providers.find((*item)->payload);
    if (p == current->view->providers.end() || p->second.status() == v1::PROVIDER_STATUS_TERMINATED ||
        p->second.status() == v1::PROVIDER_STATUS_REJECTED) {
      // No longer followed up: the item leaves the queue and the next is claimed under the same id.
      stale = (*item)->id;
      continue;
    }
    auto complaints = Complaints(impl, redis);
    if (!complaints.ok()) return complaints.status();
    *resp->mutable_item() = server::ToQueueItemProto(**item, kFollowUpQueueName, "PROVIDER_FOLLOW_UP",
                                                      p->first, caller.uri, now,
                                                      absl::Milliseconds(impl.config.follow_up_visibility_ms));
    *resp->mutable_provider() = p->second;
    *resp->mutable_risk() = RiskOf(*complaints, p->second, now);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status DoCompleteFollowUp(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                const v1::CompleteFollowUpRequest& req, v1::CompleteFollowUpResponse* resp) {
  if (req.item_id().empty()) return absl::InvalidArgumentError("item_id: required");
  if (req.outcome() == v1::WORK_OUTCOME_UNSPECIFIED || !v1::WorkOutcome_IsValid(req.outcome())) {
    return absl::InvalidArgumentError("outcome: required");
  }
  RETURN_IF_ERROR(RequireText(req.findings(), "findings", kMaxText));
  auto entry = redis.Command({"XRANGE", impl.follow_up_queue.stream_key(), req.item_id(), req.item_id()});
  if (!entry.ok()) return entry.status();
  std::string org;
  if (entry->size() == 1) {
    const auto& f = (*entry)[0][1];
    for (size_t i = 0; i + 1 < f.size(); i += 2) if (f[i].str == "payload") org = f[i + 1].str;
  }
  if (org.empty()) return absl::NotFoundError("item_id: no such follow-up in the queue");
  RETURN_IF_ERROR(impl.follow_up_queue.Complete(redis, req.item_id(), caller.uri).status());
  auto complaints = Complaints(impl, redis);
  if (!complaints.ok()) return complaints.status();
  absl::CivilDay next;
  auto result = impl.Mutate(redis, caller, "CompleteFollowUp", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto p = view.providers.find(org);
    if (p == view.providers.end()) return absl::NotFoundError("provider: no such provider");
    const double risk = RiskOf(*complaints, p->second, impl.Now()).score();
    next = impl.Today() + std::max(1, impl.config.follow_up_interval_days - FollowUpDaysEarlier(risk));
    Change c;
    c.snapshot = false;
    c.schedule = FollowUpSchedule{"follow-up:" + org, org, absl::ToUnixMillis(impl.Schedule(next))};
    v1::CompleteFollowUpResponse out;
    *out.mutable_next_follow_up() = server::FromCivilDay(next);
    impl.DescribeProviderChange(c, caller, "CompleteFollowUp", req.request_id(), org, out);
    for (const std::string& id : req.sampled_case_ids()) audit::AddSubject(c.event, v1::SUBJECT_KIND_CASE, id);
    c.event.set_detail(absl::StrCat(v1::WorkOutcome_Name(req.outcome()), ": ", req.findings()));
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoReleaseFollowUp(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                               const v1::ReleaseFollowUpRequest& req, v1::ReleaseFollowUpResponse*) {
  RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
  if (req.item_id().empty()) return absl::InvalidArgumentError("item_id: required");
  if (req.reason().size() > kMaxText) return absl::InvalidArgumentError("reason: at most 4000 characters");
  return impl.follow_up_queue.Release(redis, req.item_id(), caller.uri);
}

absl::Status DoGetFollowUpQueueStats(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                                     const v1::GetFollowUpQueueStatsRequest&, v1::GetFollowUpQueueStatsResponse* resp) {
  auto stats = impl.follow_up_queue.Stats(redis);
  if (!stats.ok()) return stats.status();
  *resp->mutable_stats() = server::ToQueueStatsProto(*stats, kFollowUpQueueName, impl.Now());
  return absl::OkStatus();
}

}  // namespace rusta::registry
