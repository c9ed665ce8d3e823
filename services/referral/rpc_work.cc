// The caseworkers' queues (claim, complete, release, stats), the handling-time report and the
// deadline scheduler's step.
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_event.h"
#include "common/server/idempotency.h"
#include "common/server/proto_convert.h"
#include "services/referral/case_mapping.h"
#include "services/referral/referral_impl.h"

namespace rusta::referral {

namespace {

const QueueSpec* FindSpec(v1::ReferralQueue q) {
  for (const QueueSpec& s : QueueSpecs()) {
    if (s.id == q) return &s;
  }
  return nullptr;
}

bool MayClaim(const QueueSpec& spec, identity::Role role) {
  return std::find(spec.claimers.begin(), spec.claimers.end(), role) != spec.claimers.end();
}

// Nearest-rank percentiles.
v1::DurationStats Stats(std::vector<absl::Duration> d) {
  v1::DurationStats out;
  out.set_count(static_cast<int64_t>(d.size()));
  if (d.empty()) return out;
  std::sort(d.begin(), d.end());
  absl::Duration sum;
  for (absl::Duration x : d) sum += x;
  auto rank = [&](double p) { return d[std::max<size_t>(1, static_cast<size_t>(std::ceil(p * d.size()))) - 1]; };
  server::SetDuration(sum / static_cast<int64_t>(d.size()), out.mutable_mean());
  server::SetDuration(rank(0.5), out.mutable_p50());
  server::SetDuration(rank(0.9), out.mutable_p90());
  server::SetDuration(d.back(), out.mutable_max());
  return out;
}

// A released item, or one whose claim lapsed, stays in the consumer group's pending list (with
// an idle time of at least the visibility timeout) until the next claim takes it; for a work list
// it is waiting, not being handled, so it counts in depth rather than pending.
absl::Status CountLapsedClaimsAsWaiting(RedisConnection& redis, const queue::WorkQueue& q, queue::QueueStats* stats) {
  if (stats->claimed <= 0) return absl::OkStatus();  // (no group yet when nothing was ever claimed)
  auto lapsed = redis.Command({"XPENDING", q.stream_key(), q.options().group, "IDLE",
                               absl::StrCat(q.options().visibility_timeout_ms), "-", "+",
                               absl::StrCat(stats->claimed)});
  if (!lapsed.ok()) return lapsed.status();
  const int64_t n = std::min<int64_t>(static_cast<int64_t>(lapsed->elements.size()), stats->claimed);
  stats->claimed -= n;
  stats->waiting += n;
  return absl::OkStatus();
}

bool Undecided(v1::CaseState s) { return s == v1::CASE_STATE_REGISTERED || s == v1::CASE_STATE_ASSESSED; }

}  // namespace

absl::Status ReferralImpl::ClaimWork(const Identity& caller, RedisConnection& redis, const v1::ClaimWorkRequest& req,
                                     v1::ClaimWorkResponse* resp) {
  RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
  const QueueSpec* spec = FindSpec(req.queue());
  if (spec == nullptr) return absl::InvalidArgumentError("queue: unknown queue");
  if (!MayClaim(*spec, caller.role)) {
    return absl::PermissionDeniedError(absl::StrCat("queue.role: ", std::string(identity::RoleSegment(caller.role)),
                                                    " may not claim from referral.", spec->name));
  }
  const std::string idem_key = server::IdempotencyKey("claims", caller, "ClaimWork", req.request_id());
  const std::string fingerprint = server::RequestFingerprint(req);
  const queue::WorkQueue& q = Queue(spec->id);
  const bool decisions = spec->id == v1::REFERRAL_QUEUE_DECISIONS;
  std::string stale;  // the remembered claim, when it turned out to be work no longer needed
  for (int skipped = 0; skipped < 1000; ++skipped) {  // stale items are dropped on the way
    const absl::Time now = Now();
    // The claim and the request_id's record are one atomic call: a repeat (concurrent or after a
    // lost answer) gets the same item, and no claim is left held by nobody.
    auto claimed = store.ClaimWork(redis, q, spec->name, decisions, idem_key, fingerprint, caller.uri,
                                   absl::ToUnixMillis(now), stale);
    if (!claimed.ok()) return claimed.status();
    if (!claimed->has_value()) return absl::OkStatus();  // nothing due: an empty response
    const queue::QueueItem& item = **claimed;
    const ItemRef ref{spec, item.id};
    auto payload = WorkPayload::Decode(item.payload);
    CaseRead read;  // the case and its chain head (and the report the item is about), one round trip
    const bool about_report = payload && payload->subject_id != payload->case_id;
    if (payload) {
      std::vector<std::vector<std::string>> report;
      if (about_report) report.push_back({"HGET", CaseStore::ReportsKey(payload->case_id), payload->subject_id});
      auto r = store.Read(redis, "", "", payload->case_id, report);
      if (!r.ok()) return r.status();
      read = *std::move(r);
    }
    // Work that is no longer needed (the case was decided or ended meanwhile) leaves the queue.
    if (!payload || !read.case_record || (decisions && !Undecided(read.case_record->state()))) {
      stale = item.id;
      continue;
    }
    const v1::Case& c = *read.case_record;
    v1::QueueItem proto = server::ToQueueItemProto(item, QueueName(spec->id), payload->kind, payload->subject_id,
                                                   caller.uri, now, absl::Milliseconds(config.queue_visibility_ms));
    proto.set_item_id(ref.Id());
    proto.set_case_id(payload->case_id);
    proto.set_summary(absl::StrCat(payload->kind, " ", payload->subject_id));
    *resp->mutable_item() = proto;
    *resp->mutable_case_record() = c;
    if (about_report && read.extra[0].is_string() && !resp->mutable_report()->ParseFromString(read.extra[0].str)) {
      return absl::DataLossError("stored report does not parse");
    }
    // Handing out the case is a read of personal data: audited in the case's chain.
    return AuditRead(redis, caller, "ClaimWork", payload->case_id, c.person_id(), &read.audit_head,
                     absl::StrCat("claimed ", ref.Id()));
  }
  return absl::OkStatus();
}

absl::Status ReferralImpl::CompleteWork(const Identity& caller, RedisConnection& redis,
                                        const v1::CompleteWorkRequest& req, v1::CompleteWorkResponse* resp) {
  RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
  auto ref = ParseItemId(req.item_id(), "item_id");
  if (!ref.ok()) return ref.status();
  if (req.outcome() == v1::WORK_OUTCOME_UNSPECIFIED || !v1::WorkOutcome_IsValid(req.outcome())) {
    return absl::InvalidArgumentError("outcome: required");
  }
  if (req.outcome() == v1::WORK_OUTCOME_REJECTED || req.outcome() == v1::WORK_OUTCOME_FORWARDED) {
    RETURN_IF_ERROR(RequireText(req.note(), "note", 4000));
  }
  if (req.note().size() > 4000) return absl::InvalidArgumentError("note: at most 4000 characters");
  if (!MayClaim(*ref->spec, caller.role)) {
    return absl::PermissionDeniedError(absl::StrCat("queue.role: ", std::string(identity::RoleSegment(caller.role)),
                                                    " may not handle referral.", ref->spec->name));
  }
  auto entry = redis.Command({"XRANGE", Queue(ref->spec->id).stream_key(), ref->stream_id, ref->stream_id});
  if (!entry.ok()) return entry.status();
  std::optional<WorkPayload> payload;
  if (entry->size() > 0) {
    const redis::RedisValue& fields = (*entry)[0][1];
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "payload") payload = WorkPayload::Decode(fields[i + 1].str);
    }
  }
  if (!payload) return absl::NotFoundError("item_id: no such item");
  if (payload->kind == "DECISION") {
    return absl::FailedPreconditionError("queue.decision: a decision item is completed by Decide with its queue_item_id");
  }
  if (payload->kind == "FINAL_REPORT") {
    return absl::FailedPreconditionError("queue.final_report: a final report is completed by ReviewFinalReport with its queue_item_id");
  }
  const bool about_report = payload->subject_id != payload->case_id;
  std::vector<std::vector<std::string>> reads = ItemReads(*ref);
  if (about_report) reads.push_back({"HGET", CaseStore::ReportsKey(payload->case_id), payload->subject_id});
  return Mutate(redis, caller, "CompleteWork", req, req.request_id(), payload->case_id, ReferralImpl::kNoVersionCheck, reads,
      [&](Tx& tx) -> absl::Status {
        RETURN_IF_ERROR(CompleteItemInTx(tx, *ref, tx.read.extra[0], tx.read.extra[1], payload->case_id, req.outcome()));
        // Clear the flag the item was about.
        const v1::CaseFlagKind flag = payload->kind == "DISPUTE" ? v1::CASE_FLAG_KIND_DISPUTED_REPORT
                                      : payload->kind == "FREQUENT_PROVIDER_CHANGES"
                                          ? v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES
                                          : v1::CASE_FLAG_KIND_UNSPECIFIED;
        if (flag != v1::CASE_FLAG_KIND_UNSPECIFIED) {
          for (v1::CaseFlag& f : *tx.next.mutable_flags()) {
            if (f.kind() == flag && !f.has_cleared_at()) server::SetTimestamp(tx.now, f.mutable_cleared_at());
          }
          tx.Flag(flag, false, absl::StrCat(v1::WorkOutcome_Name(req.outcome()), " ", req.note()));
        }
        // The document's review.
        if (about_report && tx.read.extra[2].is_string()) {
          v1::CaseReport r;
          if (!r.ParseFromString(tx.read.extra[2].str)) return absl::DataLossError("stored report does not parse");
          if (r.kind() != v1::CASE_REPORT_KIND_MONTHLY) {
            r.set_status(req.outcome() == v1::WORK_OUTCOME_APPROVED   ? v1::CASE_REPORT_STATUS_APPROVED
                         : req.outcome() == v1::WORK_OUTCOME_REJECTED ? v1::CASE_REPORT_STATUS_REJECTED
                                                                      : v1::CASE_REPORT_STATUS_SUBMITTED);
          }
          v1::ReportReview* review = r.mutable_review();
          review->set_decision(req.outcome() == v1::WORK_OUTCOME_REJECTED ? v1::CASE_REPORT_STATUS_REJECTED
                                                                          : v1::CASE_REPORT_STATUS_APPROVED);
          review->set_reason(absl::StrCat(v1::WorkOutcome_Name(req.outcome()), req.note().empty() ? "" : ": ", req.note()));
          *review->mutable_reviewed_by() = server::ToActor(caller);
          server::SetTimestamp(tx.now, review->mutable_reviewed_at());
          r.set_version(r.version() + 1);
          std::string data;
          r.SerializeToString(&data);
          tx.write.HashSet(CaseStore::ReportsKey(payload->case_id), r.report_id(), data);
        }
        return absl::OkStatus();
      },
      [&](const Tx& tx) {
        v1::QueueItem* item = resp->mutable_item();
        item->set_item_id(ref->Id());
        item->set_queue(QueueName(ref->spec->id));
        item->set_kind(payload->kind);
        item->set_subject_id(payload->subject_id);
        item->set_case_id(payload->case_id);
        (void)tx;
      },
      resp);
}

absl::Status ReferralImpl::ReleaseWork(const Identity& caller, RedisConnection& redis, const v1::ReleaseWorkRequest& req,
                                       v1::ReleaseWorkResponse*) {
  RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
  auto ref = ParseItemId(req.item_id(), "item_id");
  if (!ref.ok()) return ref.status();
  if (req.reason().size() > 4000) return absl::InvalidArgumentError("reason: at most 4000 characters");
  RETURN_IF_ERROR(Queue(ref->spec->id).Release(redis, ref->stream_id, caller.uri));
  v1::AuditEvent e = audit::MakeAuditEvent(caller, "referral", "ReleaseWork", Now());
  e.set_request_id(req.request_id());
  e.set_detail(absl::StrCat("released ", ref->Id(), req.reason().empty() ? "" : ": ", req.reason()));
  audit::AddSubject(e, v1::SUBJECT_KIND_QUEUE_ITEM, ref->Id());
  return store.audit().Append(redis, audit::ActorChain(caller.uri), e).status();
}

absl::Status ReferralImpl::GetQueueStats(const Identity&, RedisConnection& redis, const v1::GetQueueStatsRequest& req,
                                         v1::GetQueueStatsResponse* resp) {
  std::vector<const QueueSpec*> specs;
  for (int q : req.queues()) {
    const QueueSpec* s = FindSpec(static_cast<v1::ReferralQueue>(q));
    if (s == nullptr) return absl::InvalidArgumentError("queues: unknown queue");
    specs.push_back(s);
  }
  if (specs.empty()) for (const QueueSpec& s : QueueSpecs()) specs.push_back(&s);
  for (const QueueSpec* s : specs) {
    auto stats = Queue(s->id).Stats(redis);
    if (!stats.ok()) return stats.status();
    RETURN_IF_ERROR(CountLapsedClaimsAsWaiting(redis, Queue(s->id), &*stats));
    *resp->add_stats() = server::ToQueueStatsProto(*stats, QueueName(s->id), Now());
  }
  return absl::OkStatus();
}

absl::Status ReferralImpl::GetHandlingTimeReport(const Identity&, RedisConnection& redis,
                                                 const v1::GetHandlingTimeReportRequest& req,
                                                 v1::GetHandlingTimeReportResponse* resp) {
  auto from = server::ToCivilDay(req.period().start(), "period.start");
  if (!from.ok()) return from.status();
  auto to = server::ToCivilDay(req.period().end(), "period.end");
  if (!to.ok()) return to.status();
  if (*to < *from) return absl::InvalidArgumentError("period.end: before period.start");
  if (*to - *from > 3660) return absl::InvalidArgumentError("period: at most ten years");
  const std::string from_ms = absl::StrCat(absl::ToUnixMillis(StartOfSwedishDay(*from)));
  const std::string to_ms = absl::StrCat(absl::ToUnixMillis(StartOfSwedishDay(*to + 1)) - 1);

  auto decided = redis.Command({"ZRANGEBYSCORE", CaseStore::DecidedKey(), from_ms, to_ms});
  if (!decided.ok()) return decided.status();
  std::vector<absl::Duration> before, in, after;
  std::vector<std::string> ids;
  for (const auto& m : decided->elements) ids.push_back(m.str);
  for (size_t i = 0; i < ids.size(); i += 500) {
    std::vector<std::string> batch(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 500));
    std::vector<std::string> hmget = {"HMGET", CaseStore::DecisionClaimsKey()};
    hmget.insert(hmget.end(), batch.begin(), batch.end());
    std::vector<std::vector<std::string>> commands = {hmget};
    for (const std::string& id : batch) commands.push_back({"HGET", CaseStore::CaseKey(id), "data"});
    auto replies = redis.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (size_t j = 0; j < batch.size(); ++j) {
      auto parsed = ParseStoredCase((*replies)[j + 1]);
      if (!parsed.ok()) return parsed.status();
      if (!parsed->has_value()) continue;
      auto domain = ToDomainCase(**parsed);
      if (!domain.ok()) return domain.status();
      std::optional<absl::Time> claimed;
      int64_t ms = 0;
      const redis::RedisValue& claim = (*replies)[0][j];
      if (claim.is_string() && absl::SimpleAtoi(claim.str, &ms)) claimed = absl::FromUnixMillis(ms);
      const HandlingTime h = ComputeHandlingTime(*domain, claimed);
      if (h.before_decision) before.push_back(*h.before_decision);
      if (h.in_decision) in.push_back(*h.in_decision);
      if (h.after_decision) after.push_back(*h.after_decision);
    }
  }
  *resp->mutable_before_decision() = Stats(before);
  *resp->mutable_in_decision() = Stats(in);
  *resp->mutable_after_decision() = Stats(after);

  for (const QueueSpec& s : QueueSpecs()) {
    auto handled = redis.Command({"ZRANGEBYSCORE", CaseStore::HandledKey(s.name), from_ms, to_ms});
    if (!handled.ok()) return handled.status();
    std::vector<absl::Duration> waiting, handling, total;
    for (const auto& m : handled->elements) {
      // "<item>|<enqueued_ms>|<first_claim_ms>|<completed_ms>|<outcome>"
      std::vector<std::string> f = absl::StrSplit(m.str, '|');
      int64_t enq = 0, claim = 0, done = 0;
      if (f.size() < 4 || !absl::SimpleAtoi(f[1], &enq) || !absl::SimpleAtoi(f[3], &done)) continue;
      total.push_back(absl::Milliseconds(done - enq));
      if (absl::SimpleAtoi(f[2], &claim)) {
        waiting.push_back(absl::Milliseconds(claim - enq));
        handling.push_back(absl::Milliseconds(done - claim));
      }
    }
    v1::QueueHandlingTime* q = resp->add_queues();
    q->set_queue(QueueName(s.id));
    *q->mutable_waiting() = Stats(waiting);
    *q->mutable_handling() = Stats(handling);
    *q->mutable_total() = Stats(total);
  }
  server::SetTimestamp(Now(), resp->mutable_generated_at());
  return absl::OkStatus();
}

absl::StatusOr<int> ReferralImpl::RunDueDeadlines(RedisConnection& redis, const std::string& worker, int limit) {
  const Identity scheduler = SchedulerIdentity(host.config().trust_domain);
  int handled = 0;
  for (; handled < limit; ++handled) {
    auto claimed = deadlines.Claim(redis, worker, absl::ToUnixMillis(Now()));
    if (!claimed.ok()) return claimed.status();
    if (!claimed->has_value()) break;
    const queue::QueueItem& item = **claimed;
    auto payload = WorkPayload::Decode(item.payload);
    absl::Status s = absl::OkStatus();
    // The request id is the schedule's id: a redelivered deadline (a replica died mid-way) repeats
    // the same request and gets the first answer, so it acts once.
    const std::string request_id = "sched-" + (item.delayed_id.empty() ? item.id : item.delayed_id);
    if (payload && payload->kind == "CHOICE") {
      v1::AssignDefaultProviderRequest req;
      req.set_request_id(request_id);
      req.set_case_id(payload->case_id);
      v1::AssignDefaultProviderResponse resp;
      s = AssignDefaultProvider(scheduler, redis, req, &resp);
    } else if (payload && payload->kind == "VERIFY") {
      s = CheckResultInRegister(redis, payload->case_id, request_id);
    } else if (payload && payload->kind == "MAX") {
      auto cases = store.GetMany(redis, {payload->case_id});
      if (!cases.ok()) return cases.status();
      if (!cases->empty()) {
        auto domain = ToDomainCase((*cases)[0]);
        if (!domain.ok()) return domain.status();
        const absl::CivilDay today = server::SwedishDay(Now());
        if (MaximumTimeDue(*domain, config.rules, today)) {
          auto clock = ComputeServiceClock(*domain, config.rules, today);
          if (!clock.ok()) return clock.status();
          v1::EndRequest req;
          req.set_request_id(request_id);
          req.set_case_id(payload->case_id);
          req.set_reason(v1::END_REASON_MAXIMUM_TIME);
          *req.mutable_end_date() = server::FromCivilDay(clock->last_day);
          req.set_note("maximum time reached");
          v1::EndResponse resp;
          s = End(scheduler, redis, req, &resp);
        }
      }
    }
    // Done, or no longer applicable (the case moved on): the deadline leaves the queue. A
    // failure of Redis or the registry: it comes back after the visibility timeout.
    const bool settled = s.ok() || s.code() == absl::StatusCode::kFailedPrecondition ||
                         s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kPermissionDenied ||
                         s.code() == absl::StatusCode::kInvalidArgument;
    if (settled) {
      auto done = deadlines.Complete(redis, item.id, worker);
      if (!done.ok()) return done.status();
    } else {
      RETURN_IF_ERROR(deadlines.Fail(redis, item.id, worker));
      return s;
    }
  }
  return handled;
}

}  // namespace rusta::referral
