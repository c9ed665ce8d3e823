#include "services/assessment/assessment_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/server/idempotency.h"

namespace rusta::assessment {
namespace {

std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

absl::StatusOr<std::optional<rusta::v1::Assessment>> ParseStored(const redis::RedisValue& data) {
  if (data.is_nil()) return std::optional<rusta::v1::Assessment>();
  rusta::v1::Assessment a;
  if (!a.ParseFromString(data.str)) return absl::DataLossError("stored assessment does not parse");
  return std::optional<rusta::v1::Assessment>(std::move(a));
}

}  // namespace

AssessmentStore::AssessmentStore(const audit::AuditLog& audit, std::string pseudonym_secret,
                                 const queue::WorkQueue& support_queue)
    : audit_(audit), pseudonym_secret_(std::move(pseudonym_secret)), support_queue_(support_queue) {}

std::string AssessmentStore::AssessmentKey(const std::string& id) { return absl::StrCat("assessment:{", id, "}"); }
std::string AssessmentStore::PersonIndexKey(const std::string& person_id) const {
  return absl::StrCat("assessment-person:{",
                      audit::HmacSha256Hex(pseudonym_secret_, person_id).substr(0, 32), "}");
}
std::string AssessmentStore::TimeIndexKey() { return "assessments:by-time"; }
std::string AssessmentStore::DecisionKey(const std::string& case_id) {
  return absl::StrCat("assessment-decision:{", case_id, "}");
}
std::string AssessmentStore::Chain(const std::string& id) { return audit::SubjectChain("assessment", id); }

absl::StatusOr<std::string> AssessmentStore::Create(redis::RedisConnection& redis,
                                                    const rusta::v1::Assessment& assessment,
                                                    int64_t assessed_ms, const std::string& idem_key,
                                                    const std::string& fingerprint,
                                                    const rusta::v1::AuditEvent& audit) const {
  std::vector<std::string> args = {fingerprint, absl::StrCat(server::kIdempotencyTtlSeconds),
                                   assessment.assessment_id(), Serialize(assessment)};
  // A new assessment starts a new chain: no head to read.
  audit::PreparedEvent event = audit::AuditLog::Prepare(Chain(assessment.assessment_id()), redis::RedisValue{}, audit);
  for (std::string& a : event.args) args.push_back(std::move(a));
  args.push_back(absl::StrCat(assessed_ms));
  auto reply = redis.Call("assessment_create",
                          {AssessmentKey(assessment.assessment_id()), idem_key, audit_.events_key(),
                           audit_.heads_key(), PersonIndexKey(assessment.person_id()), TimeIndexKey()},
                          args);
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::optional<rusta::v1::Assessment>> AssessmentStore::Get(
    redis::RedisConnection& redis, const std::string& id) const {
  auto reply = redis.Command({"HGET", AssessmentKey(id), "data"});
  if (!reply.ok()) return reply.status();
  return ParseStored(*reply);
}

absl::StatusOr<std::vector<rusta::v1::Assessment>> AssessmentStore::GetMany(
    redis::RedisConnection& redis, const std::vector<std::string>& ids) const {
  std::vector<rusta::v1::Assessment> out;
  if (ids.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const std::string& id : ids) commands.push_back({"HGET", AssessmentKey(id), "data"});
  auto replies = redis.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  out.reserve(ids.size());
  for (const redis::RedisValue& r : *replies) {
    if (r.type == redis::RedisValue::Type::kError) return absl::InternalError("assessment read failed");
    auto parsed = ParseStored(r);
    if (!parsed.ok()) return parsed.status();
    if (parsed->has_value()) out.push_back(std::move(**parsed));
  }
  return out;
}

absl::StatusOr<AssessmentStore::ReadForUpdate> AssessmentStore::Read(
    redis::RedisConnection& redis, const std::string& idem_key, const std::string& fingerprint,
    const std::string& id) const {
  auto replies = redis.Pipeline({server::EarlierResultCommand(idem_key),
                                 {"HGET", AssessmentKey(id), "data"},
                                 audit_.HeadCommand(Chain(id))});
  if (!replies.ok()) return replies.status();
  ReadForUpdate out;
  auto earlier = server::EarlierResult((*replies)[0], fingerprint);
  if (!earlier.ok()) return earlier.status();
  out.earlier_result = std::move(*earlier);
  auto parsed = ParseStored((*replies)[1]);
  if (!parsed.ok()) return parsed.status();
  out.assessment = std::move(*parsed);
  out.audit_head = (*replies)[2];
  return out;
}

std::vector<std::string> AssessmentStore::MutationArgs(const Mutation& m) const {
  std::vector<std::string> args = {m.fingerprint, absl::StrCat(server::kIdempotencyTtlSeconds),
                                   absl::StrCat(m.read_version), Serialize(*m.data)};
  args.insert(args.end(), m.audit->args.begin(), m.audit->args.end());
  return args;
}

absl::StatusOr<std::string> AssessmentStore::Update(redis::RedisConnection& redis, const Mutation& m) const {
  auto reply = redis.Call("assessment_update",
                          {AssessmentKey(m.data->assessment_id()), m.idem_key, audit_.events_key(),
                           audit_.heads_key()},
                          MutationArgs(m));
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::string> AssessmentStore::LinkDecision(redis::RedisConnection& redis,
                                                          const Mutation& m,
                                                          const std::string& case_id) const {
  std::vector<std::string> args = MutationArgs(m);
  args.push_back(m.data->assessment_id());
  auto reply = redis.Call("assessment_link_decision",
                          {AssessmentKey(m.data->assessment_id()), m.idem_key, audit_.events_key(),
                           audit_.heads_key(), DecisionKey(case_id)},
                          args);
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::string> AssessmentStore::SendToSupport(redis::RedisConnection& redis,
                                                           const Mutation& m, int64_t now_ms) const {
  std::vector<std::string> args = MutationArgs(m);
  args.push_back(m.data->assessment_id());
  args.push_back(absl::StrCat(now_ms));
  auto reply = redis.Call("assessment_send_to_support",
                          {AssessmentKey(m.data->assessment_id()), m.idem_key, audit_.events_key(),
                           audit_.heads_key(), support_queue_.stream_key()},
                          args);
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::string> AssessmentStore::CompleteReview(redis::RedisConnection& redis,
                                                            const Mutation& m,
                                                            const std::string& item_id,
                                                            const std::string& worker) const {
  std::vector<std::string> args = MutationArgs(m);
  args.push_back(support_queue_.options().group);
  args.push_back(item_id);
  args.push_back(worker);
  auto reply = redis.Call("assessment_complete_review",
                          {AssessmentKey(m.data->assessment_id()), m.idem_key, audit_.events_key(),
                           audit_.heads_key(), support_queue_.stream_key()},
                          args);
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::string> AssessmentStore::ClaimReview(redis::RedisConnection& redis,
                                                         const std::string& idem_key,
                                                         const std::string& fingerprint,
                                                         const std::string& worker,
                                                         int64_t now_ms) const {
  std::vector<std::string> keys = support_queue_.ClaimKeys();
  keys.push_back(idem_key);
  std::vector<std::string> args = {fingerprint, absl::StrCat(server::kIdempotencyTtlSeconds)};
  for (std::string& a : support_queue_.ClaimArgs(worker, now_ms)) args.push_back(std::move(a));
  auto reply = redis.Call("assessment_claim_review", keys, args);
  if (!reply.ok()) return reply.status();
  return reply->str;
}

absl::StatusOr<std::vector<std::string>> AssessmentStore::PersonAssessmentIds(
    redis::RedisConnection& redis, const std::string& person_id, int64_t offset, int64_t count) const {
  auto reply = redis.Command({"ZREVRANGE", PersonIndexKey(person_id), absl::StrCat(offset),
                              absl::StrCat(offset + count - 1)});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& v : reply->elements) ids.push_back(v.str);
  return ids;
}

absl::StatusOr<std::vector<std::string>> AssessmentStore::IdsInPeriod(redis::RedisConnection& redis,
                                                                      int64_t from_ms,
                                                                      int64_t to_ms) const {
  auto reply = redis.Command({"ZRANGEBYSCORE", TimeIndexKey(), absl::StrCat(from_ms), absl::StrCat(to_ms)});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  ids.reserve(reply->size());
  for (const auto& v : reply->elements) ids.push_back(v.str);
  return ids;
}

}  // namespace rusta::assessment
