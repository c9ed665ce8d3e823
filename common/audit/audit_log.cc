#include "common/audit/audit_log.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rusta::audit {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

AuditLog::AuditLog(std::string chain) : chain_(std::move(chain)) {}

std::string AuditLog::events_key() const { return absl::StrCat("audit:{", chain_, "}:events"); }
std::string AuditLog::head_key() const { return absl::StrCat("audit:{", chain_, "}:head"); }

std::vector<std::string> AuditLog::EncodeForAppend(const rusta::v1::AuditEvent& event) {
  std::string body;
  event.SerializeToString(&body);
  std::string digest = Sha256Hex(body);
  return {std::move(body), std::move(digest)};
}

absl::StatusOr<AppendedEvent> AuditLog::Append(redis::RedisConnection& redis,
                                               const rusta::v1::AuditEvent& event) const {
  auto reply = redis.Call("rusta_audit_append", {events_key(), head_key()}, EncodeForAppend(event));
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->size() != 3) return absl::InternalError("malformed audit reply");
  AppendedEvent out;
  out.seq = (*reply)[0].integer;
  out.stream_id = (*reply)[1].str;
  out.hash = (*reply)[2].str;
  return out;
}

}  // namespace rusta::audit
