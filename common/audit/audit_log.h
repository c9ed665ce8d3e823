#pragma once
// The append-only, tamper-evident audit trail: events (rusta.v1.AuditEvent, serialised) in a Redis
// stream, chained by SHA-256. Each stream entry holds
//   seq   1, 2, 3, ... without gaps
//   prev  the hash of the previous event (64 zeros for the first)
//   hash  sha256_hex(prev ":" seq ":" sha256_hex(body))
//   body  the serialised AuditEvent
// and the head key holds the last seq, hash and entry id. The append runs inside Redis
// (common/lua/audit.lua), so services appending at once never fork the chain, and a service's own
// atomic function can append its event in the same call as the change it records.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"
#include "rusta/v1/audit.pb.h"

namespace rusta::audit {

std::string Sha256Hex(std::string_view data);
// HMAC-SHA256, hex. Used for pseudonyms of person ids in Redis key names, so that a key listing
// or a slow log shows no personnummer.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

struct AppendedEvent {
  int64_t seq = 0;
  std::string stream_id;
  std::string hash;
};

class AuditLog {
 public:
  // chain names the trail; every service of one deployment uses the same chain ("rusta").
  explicit AuditLog(std::string chain = "rusta");

  std::string events_key() const;
  std::string head_key() const;

  // The two arguments a Lua function passes to rusta_audit_append: body and its digest.
  static std::vector<std::string> EncodeForAppend(const rusta::v1::AuditEvent& event);

  absl::StatusOr<AppendedEvent> Append(redis::RedisConnection& redis,
                                       const rusta::v1::AuditEvent& event) const;

 private:
  std::string chain_;
};

}  // namespace rusta::audit
