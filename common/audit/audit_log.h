#pragma once
// The append-only, tamper-evident audit trail: events (rusta.v1.AuditEvent, serialised) in one
// Redis stream, each in a SHA-256 hash chain. A chain is the history of one subject: an
// assessment ("assessment/<id>"), a case ("case/<id>"), or, for events about no single record,
// the acting identity ("actor/<hash of its URI>"). Each stream entry holds
//   chain  the chain's name
//   seq    1, 2, 3, ... within the chain, without gaps
//   prev   the hash of the chain's previous event (64 zeros for the first)
//   hash   sha256_hex(prev ":" chain ":" seq ":" sha256_hex(body))
//   body   the serialised AuditEvent
// and the heads hash holds every chain's last "<seq>:<hash>". The hash is computed here, from the
// head the caller read; the Redis side only checks that the head has not moved (common/lua/
// audit.lua), so a service's own function appends its event in the same atomic call as the
// change it records, replicas appending at once never fork a chain, and an append costs Redis a
// few microseconds. Chains per subject also mean that unrelated work never contends.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"
#include "rusta/v1/audit.pb.h"

namespace rusta::audit {

std::string Sha256Hex(std::string_view data);
// HMAC-SHA256, hex. Used for pseudonyms of person ids in Redis key names, so that a key listing
// or a slow log shows no personnummer.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// The hash of one chain link (the formula above).
std::string LinkHash(std::string_view prev, std::string_view chain, int64_t seq, std::string_view body);

inline constexpr char kGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

// Chain names.
std::string SubjectChain(std::string_view kind, std::string_view id);  // "assessment/as-..."
std::string ActorChain(std::string_view actor_uri);                   // "actor/<16 hex>"

struct AppendedEvent {
  int64_t seq = 0;
  std::string stream_id;
  std::string hash;
};

// One event ready to append: the six arguments a Lua function hands to rusta_audit_check and
// rusta_audit_write (chain, expected head, seq, prev, hash, body).
struct PreparedEvent {
  std::vector<std::string> args;
  int64_t seq = 0;
  std::string hash;
};

class AuditLog {
 public:
  // chain_set names the trail; every service of one deployment uses the same ("rusta").
  explicit AuditLog(std::string chain_set = "rusta");

  std::string events_key() const;
  std::string heads_key() const;

  // The command that reads a chain's head; its reply goes to Prepare. Services pipeline it with
  // their own reads so that an append costs no extra round trip.
  std::vector<std::string> HeadCommand(const std::string& chain) const;
  static PreparedEvent Prepare(const std::string& chain, const redis::RedisValue& head_reply,
                               const rusta::v1::AuditEvent& event);

  // The append loop every writer shares: prepares `event` on the chain's head (`head`, the reply
  // the caller read together with its data, saving a round trip; read here when null), runs
  // `write` (one atomic Redis call that checks the head, makes its change and appends), and when
  // another writer moved the head reads it again and retries. Returns `write`'s reply.
  using ChainWrite = std::function<absl::StatusOr<redis::RedisValue>(const PreparedEvent&)>;
  absl::StatusOr<redis::RedisValue> AppendWith(redis::RedisConnection& redis, const std::string& chain,
                                               const rusta::v1::AuditEvent& event, const redis::RedisValue* head,
                                               const ChainWrite& write) const;

  // Appends on its own (rusta_audit_append through AppendWith), from `head` when the caller has
  // read it.
  absl::StatusOr<AppendedEvent> Append(redis::RedisConnection& redis, const std::string& chain,
                                       const rusta::v1::AuditEvent& event,
                                       const redis::RedisValue* head = nullptr) const;

  // True for the status a function returns when the chain's head moved under it: the caller
  // rereads and tries again (it is never a client's error).
  static bool IsChainConflict(const absl::Status& status);
  // How often a writer tries again after a conflict before giving up (ABORTED), and the pause
  // before attempt `attempt`: nothing for the first few, then a random, growing one (up to 5 ms)
  // so that writers crowding one chain spread out instead of colliding again.
  static constexpr int kMaxAttempts = 200;
  static void PauseBeforeRetry(int attempt);

 private:
  std::string chain_set_;
};

}  // namespace rusta::audit
