#include "services/referral/case_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/idempotency.h"

namespace rusta::referral {

// ---- CaseWrite ----

std::string CaseWrite::KeyRef(const std::string& key) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return absl::StrCat(i + 4);
  }
  keys_.push_back(key);
  return absl::StrCat(keys_.size() + 3);  // KEYS[1..3] are the idempotency and audit keys
}

void CaseWrite::Op(std::initializer_list<std::string> fields) {
  ops_.insert(ops_.end(), fields.begin(), fields.end());
}

void CaseWrite::CheckVersion(const std::string& key, int64_t expected) {
  Op({"V", KeyRef(key), absl::StrCat(expected)});
}
void CaseWrite::CompleteItem(const queue::WorkQueue& queue, const std::string& item_id,
                             const std::string& consumer) {
  Op({"O", KeyRef(queue.stream_key()), queue.options().group, item_id, consumer});
}
void CaseWrite::Put(const std::string& key, const std::string& data, int64_t version) {
  Op({"W", KeyRef(key), data, absl::StrCat(version)});
}
void CaseWrite::HashSet(const std::string& key, const std::string& field, const std::string& value) {
  Op({"H", KeyRef(key), field, value});
}
void CaseWrite::ZAdd(const std::string& key, int64_t score, const std::string& member) {
  Op({"Z", KeyRef(key), absl::StrCat(score), member});
}
void CaseWrite::ZRem(const std::string& key, const std::string& member) { Op({"ZR", KeyRef(key), member}); }
void CaseWrite::SAdd(const std::string& key, const std::string& member) { Op({"S", KeyRef(key), member}); }
void CaseWrite::SRem(const std::string& key, const std::string& member) { Op({"SR", KeyRef(key), member}); }
void CaseWrite::Enqueue(const queue::WorkQueue& queue, const std::string& payload, int64_t now_ms) {
  Op({"E", KeyRef(queue.stream_key()), payload, absl::StrCat(now_ms)});
}
void CaseWrite::Schedule(const queue::WorkQueue& queue, const std::string& schedule_id,
                         const std::string& payload, int64_t due_ms) {
  Op({"D", KeyRef(queue.delayed_key()), KeyRef(queue.delayed_items_key()), schedule_id, payload,
      absl::StrCat(due_ms)});
}
void CaseWrite::Cancel(const queue::WorkQueue& queue, const std::string& schedule_id) {
  Op({"C", KeyRef(queue.delayed_key()), KeyRef(queue.delayed_items_key()), schedule_id});
}
void CaseWrite::Publish(const std::string& stream, int64_t max_length, const std::string& type,
                        const std::string& data) {
  Op({"P", KeyRef(stream), absl::StrCat(max_length), type, data});
}

// ---- CaseStore ----

absl::StatusOr<std::optional<rusta::v1::Case>> ParseStoredCase(const redis::RedisValue& data) {
  if (data.is_nil()) return std::optional<rusta::v1::Case>();
  rusta::v1::Case c;
  if (!c.ParseFromString(data.str)) return absl::DataLossError("stored case does not parse");
  return std::optional<rusta::v1::Case>(std::move(c));
}

CaseStore::CaseStore(const audit::AuditLog& audit, std::string pseudonym_secret,
                     int64_t events_max_length)
    : audit_(audit), pseudonym_secret_(std::move(pseudonym_secret)), events_max_length_(events_max_length) {}

std::string CaseStore::CaseKey(const std::string& id) { return absl::StrCat("case:{", id, "}"); }
std::string CaseStore::ReportsKey(const std::string& id) { return absl::StrCat("case-reports:{", id, "}"); }
std::string CaseStore::MonthsKey(const std::string& id) { return absl::StrCat("case-months:{", id, "}"); }
std::string CaseStore::PersonIndexKey(const std::string& person_id) const {
  return absl::StrCat("case-person:{", audit::HmacSha256Hex(pseudonym_secret_, person_id).substr(0, 32), "}");
}
std::string CaseStore::ProviderCurrentKey(const std::string& org) { return absl::StrCat("case-provider:{", org, "}:participants"); }
std::string CaseStore::ProviderEverKey(const std::string& org) { return absl::StrCat("case-provider:{", org, "}:ever"); }
std::string CaseStore::AllCasesKey() { return "cases:by-time"; }
std::string CaseStore::DecidedKey() { return "cases:decided"; }
std::string CaseStore::DecisionClaimsKey() { return "referral:decision-claims"; }
std::string CaseStore::FirstClaimsKey() { return "referral:first-claims"; }
std::string CaseStore::HandledKey(const std::string& queue_name) {
  return absl::StrCat("referral:handled:{", queue_name, "}");
}
std::string CaseStore::EventsStream() { return "events:referral"; }
std::string CaseStore::Chain(const std::string& case_id) { return audit::SubjectChain("case", case_id); }

absl::StatusOr<CaseRead> CaseStore::Read(redis::RedisConnection& redis, const std::string& idem_key,
                                         const std::string& fingerprint, const std::string& case_id,
                                         const std::vector<std::vector<std::string>>& extra) const {
  std::vector<std::vector<std::string>> commands = {
      server::EarlierResultCommand(idem_key),
      {"HGET", CaseKey(case_id), "data"},
      audit_.HeadCommand(Chain(case_id))};
  commands.insert(commands.end(), extra.begin(), extra.end());
  auto replies = redis.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (const redis::RedisValue& r : *replies) {
    if (r.type == redis::RedisValue::Type::kError) return absl::InternalError("case read failed");
  }
  CaseRead out;
  auto earlier = server::EarlierResult((*replies)[0], fingerprint);
  if (!earlier.ok()) return earlier.status();
  out.earlier_result = std::move(*earlier);
  auto parsed = ParseStoredCase((*replies)[1]);
  if (!parsed.ok()) return parsed.status();
  out.case_record = std::move(*parsed);
  out.audit_head = std::move((*replies)[2]);
  out.extra.assign(std::make_move_iterator(replies->begin() + 3), std::make_move_iterator(replies->end()));
  return out;
}

absl::StatusOr<std::string> CaseStore::Apply(redis::RedisConnection& redis, const std::string& idem_key,
                                             const std::string& fingerprint, const std::string& response,
                                             const audit::PreparedEvent& audit,
                                             const CaseWrite& write) const {
  std::vector<std::string> keys = {idem_key, audit_.events_key(), audit_.heads_key()};
  keys.insert(keys.end(), write.keys().begin(), write.keys().end());
  std::vector<std::string> args = {fingerprint, absl::StrCat(server::kIdempotencyTtlSeconds), response};
  args.insert(args.end(), audit.args.begin(), audit.args.end());
  args.insert(args.end(), write.ops().begin(), write.ops().end());
  auto reply = redis.Call("referral_apply", keys, args);
  if (!reply.ok()) return reply.status();
  return std::move(reply->str);
}

absl::StatusOr<std::vector<CaseStore::IndexEntry>> CaseStore::CasesByTime(redis::RedisConnection& redis,
                                                                        const std::string& cursor,
                                                                        int64_t count) const {
  // The cursor is "<creation ms>:<case id>": the entries after it are those created later, and
  // those created in the same millisecond with a greater id (the set's order within one score).
  std::string score = "-inf", after_id;
  if (!cursor.empty()) {
    const size_t colon = cursor.find(':');
    int64_t ms = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(cursor.substr(0, colon), &ms)) {
      return absl::InvalidArgumentError("page_token: not a token this service issued");
    }
    score = absl::StrCat(ms);
    after_id = cursor.substr(colon + 1);
  }
  std::vector<std::vector<std::string>> reads;
  if (!cursor.empty()) reads.push_back({"ZRANGE", AllCasesKey(), score, score, "BYSCORE", "WITHSCORES"});
  reads.push_back({"ZRANGE", AllCasesKey(), cursor.empty() ? score : "(" + score, "+inf", "BYSCORE", "LIMIT", "0",
                   absl::StrCat(count), "WITHSCORES"});
  auto replies = redis.Pipeline(reads);
  if (!replies.ok()) return replies.status();
  std::vector<IndexEntry> out;
  for (size_t r = 0; r < replies->size(); ++r) {
    const redis::RedisValue& v = (*replies)[r];
    for (size_t i = 0; i + 1 < v.size() && static_cast<int64_t>(out.size()) < count; i += 2) {
      const std::string& id = v[i].str;
      if (r == 0 && !cursor.empty() && id <= after_id) continue;
      out.push_back({id, absl::StrCat(v[i + 1].str, ":", id)});
    }
  }
  return out;
}

absl::StatusOr<std::vector<CaseStore::IndexEntry>> CaseStore::ProviderParticipants(redis::RedisConnection& redis,
                                                                                 const std::string& org,
                                                                                 const std::string& cursor,
                                                                                 int64_t count) const {
  auto reply = redis.Command({"ZRANGE", ProviderCurrentKey(org), cursor.empty() ? "-" : "(" + cursor, "+", "BYLEX",
                              "LIMIT", "0", absl::StrCat(count)});
  if (!reply.ok()) return reply.status();
  std::vector<IndexEntry> out;
  for (const redis::RedisValue& m : reply->elements) out.push_back({m.str, m.str});
  return out;
}

absl::StatusOr<std::vector<CaseStore::IndexEntry>> CaseStore::PersonCases(redis::RedisConnection& redis,
                                                                        const std::string& person_id,
                                                                        const std::string& cursor,
                                                                        int64_t count) const {
  auto reply = redis.Command({"SMEMBERS", PersonIndexKey(person_id)});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const redis::RedisValue& m : reply->elements) {
    if (m.str > cursor) ids.push_back(m.str);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<IndexEntry> out;
  for (const std::string& id : ids) {
    if (static_cast<int64_t>(out.size()) >= count) break;
    out.push_back({id, id});
  }
  return out;
}

absl::StatusOr<std::optional<queue::QueueItem>> CaseStore::ClaimWork(
    redis::RedisConnection& redis, const queue::WorkQueue& queue, const std::string& queue_name, bool decisions,
    const std::string& idem_key, const std::string& fingerprint, const std::string& worker, int64_t now_ms,
    const std::string& stale_item) const {
  std::vector<std::string> keys = queue.ClaimKeys();
  keys.push_back(idem_key);
  keys.push_back(FirstClaimsKey());
  keys.push_back(DecisionClaimsKey());
  std::vector<std::string> args = {fingerprint, absl::StrCat(server::kIdempotencyTtlSeconds)};
  for (std::string& a : queue.ClaimArgs(worker, now_ms)) args.push_back(std::move(a));
  args.push_back(queue_name);
  args.push_back(decisions ? "1" : "0");
  args.push_back(stale_item);
  auto reply = redis.Call("referral_claim_work", keys, args);
  if (!reply.ok()) return reply.status();
  return queue::WorkQueue::ParseClaimRecord(reply->str);
}

absl::StatusOr<std::vector<rusta::v1::Case>> CaseStore::GetMany(redis::RedisConnection& redis,
                                                                const std::vector<std::string>& ids) const {
  std::vector<rusta::v1::Case> out;
  if (ids.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const std::string& id : ids) commands.push_back({"HGET", CaseKey(id), "data"});
  auto replies = redis.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (const redis::RedisValue& r : *replies) {
    if (r.type == redis::RedisValue::Type::kError) return absl::InternalError("case read failed");
    auto parsed = ParseStoredCase(r);
    if (!parsed.ok()) return parsed.status();
    if (parsed->has_value()) out.push_back(std::move(**parsed));
  }
  return out;
}

absl::StatusOr<std::vector<rusta::v1::CaseReport>> CaseStore::Reports(redis::RedisConnection& redis,
                                                                      const std::string& case_id) const {
  auto reply = redis.Command({"HVALS", ReportsKey(case_id)});
  if (!reply.ok()) return reply.status();
  std::vector<rusta::v1::CaseReport> out;
  for (const redis::RedisValue& v : reply->elements) {
    rusta::v1::CaseReport r;
    if (!r.ParseFromString(v.str)) return absl::DataLossError("stored report does not parse");
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::optional<CaseStore::CaseWithReports>> CaseStore::ReadWithCurrentReports(
    redis::RedisConnection& redis, const std::string& case_id) const {
  auto replies = redis.Pipeline({{"HGET", CaseKey(case_id), "data"},
                                 {"HGETALL", MonthsKey(case_id)},
                                 {"HGETALL", ReportsKey(case_id)}});
  if (!replies.ok()) return replies.status();
  for (const redis::RedisValue& r : *replies) {
    if (r.type == redis::RedisValue::Type::kError) return absl::InternalError("case read failed");
  }
  auto c = ParseStoredCase((*replies)[0]);
  if (!c.ok()) return c.status();
  if (!c->has_value()) return std::optional<CaseWithReports>();
  CaseWithReports out;
  out.case_record = std::move(**c);
  // The current revision of each reported month (the index points at it; "final" is not a month).
  std::set<std::string> current;
  const redis::RedisValue& index = (*replies)[1];
  for (size_t i = 0; i + 1 < index.size(); i += 2) {
    if (index[i].str == "final") continue;
    std::vector<std::string> parts = absl::StrSplit(index[i + 1].str, '|');
    current.insert(parts[0]);
  }
  const redis::RedisValue& reports = (*replies)[2];
  for (size_t i = 0; i + 1 < reports.size(); i += 2) {
    if (!current.count(reports[i].str)) continue;
    rusta::v1::CaseReport r;
    if (!r.ParseFromString(reports[i + 1].str)) return absl::DataLossError("stored report does not parse");
    out.current_monthly_reports.push_back(std::move(r));
  }
  return std::optional<CaseWithReports>(std::move(out));
}

absl::StatusOr<std::vector<std::string>> CaseStore::AllCaseIds(redis::RedisConnection& redis) const {
  auto all = redis.Command({"ZRANGE", AllCasesKey(), "0", "-1"});
  if (!all.ok()) return all.status();
  std::vector<std::string> ids;
  for (const auto& v : all->elements) ids.push_back(v.str);
  return ids;
}

}  // namespace rusta::referral
