#include "common/audit/audit_log.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rusta::audit {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string LinkHash(std::string_view prev, std::string_view chain, int64_t seq, std::string_view body) {
  return Sha256Hex(absl::StrCat(std::string(prev), ":", std::string(chain), ":", seq, ":", Sha256Hex(body)));
}

std::string SubjectChain(std::string_view kind, std::string_view id) {
  return absl::StrCat(std::string(kind), "/", std::string(id));
}

std::string ActorChain(std::string_view actor_uri) {
  return absl::StrCat("actor/", Sha256Hex(actor_uri).substr(0, 16));
}

AuditLog::AuditLog(std::string chain_set) : chain_set_(std::move(chain_set)) {}

std::string AuditLog::events_key() const { return absl::StrCat("audit:{", chain_set_, "}:events"); }
std::string AuditLog::heads_key() const { return absl::StrCat("audit:{", chain_set_, "}:heads"); }

std::vector<std::string> AuditLog::HeadCommand(const std::string& chain) const {
  return {"HGET", heads_key(), chain};
}

PreparedEvent AuditLog::Prepare(const std::string& chain, const redis::RedisValue& head_reply,
                                const rusta::v1::AuditEvent& event) {
  std::string expected;  // "" when the chain is new
  int64_t last_seq = 0;
  std::string prev = kGenesisHash;
  if (head_reply.is_string()) {
    expected = head_reply.str;
    const size_t colon = expected.find(':');
    if (colon != std::string::npos && absl::SimpleAtoi(expected.substr(0, colon), &last_seq)) {
      prev = expected.substr(colon + 1);
    }
  }
  std::string body;
  event.SerializeToString(&body);
  PreparedEvent out;
  out.seq = last_seq + 1;
  out.hash = LinkHash(prev, chain, out.seq, body);
  out.args = {chain, expected, absl::StrCat(out.seq), prev, out.hash, std::move(body)};
  return out;
}

bool AuditLog::IsChainConflict(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         absl::StartsWith(status.message(), "audit.chain");
}

void AuditLog::PauseBeforeRetry(int attempt) {
  if (attempt < 3) return;
  thread_local std::mt19937 rng(std::random_device{}());
  const int64_t ceiling_us = std::min<int64_t>(5000, int64_t{20} << std::min(attempt - 3, 8));
  std::uniform_int_distribution<int64_t> pause(0, ceiling_us);
  std::this_thread::sleep_for(std::chrono::microseconds(pause(rng)));
}

absl::StatusOr<redis::RedisValue> AuditLog::AppendWith(redis::RedisConnection& redis, const std::string& chain,
                                                       const rusta::v1::AuditEvent& event,
                                                       const redis::RedisValue* head,
                                                       const ChainWrite& write) const {
  redis::RedisValue current;
  if (head != nullptr) current = *head;
  for (int attempt = 0;; ++attempt) {
    PauseBeforeRetry(attempt);
    if (head == nullptr || attempt > 0) {
      auto fresh = redis.Command(HeadCommand(chain));
      if (!fresh.ok()) return fresh.status();
      current = std::move(*fresh);
    }
    auto reply = write(Prepare(chain, current, event));
    if (IsChainConflict(reply.status()) && attempt + 1 < kMaxAttempts) continue;
    return reply;
  }
}

absl::StatusOr<AppendedEvent> AuditLog::Append(redis::RedisConnection& redis, const std::string& chain,
                                               const rusta::v1::AuditEvent& event,
                                               const redis::RedisValue* head) const {
  AppendedEvent appended;
  auto reply = AppendWith(redis, chain, event, head, [&](const PreparedEvent& prepared) {
    appended.seq = prepared.seq;
    appended.hash = prepared.hash;
    return redis.Call("rusta_audit_append", {events_key(), heads_key()}, prepared.args);
  });
  if (!reply.ok()) return reply.status();
  appended.stream_id = reply->str;
  return appended;
}

}  // namespace rusta::audit
