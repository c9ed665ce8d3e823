#pragma once
// One consumer of a Redis stream through a consumer group (the events stream "events:referral" and
// its groups "compensation", "ratings", ...), so that every consumer gets the same delivery rules:
//
//  - The group is created once (XGROUP CREATE ... MKSTREAM from "0", an existing group is fine and
//    silent), and again only when Redis says it is missing (NOGROUP: a Redis restart without
//    persistence, the stream or the group deleted), then the read is retried.
//  - The consumer has a stable name per replica (configuration, default the host name), so a
//    replica that restarts finds its own pending entries again; each run re-delivers those first.
//  - Entries left pending by a consumer that went away (idle longer than min_idle_ms) are taken
//    over with XAUTOCLAIM and handled here.
//  - An entry is acknowledged only after its handler returned OK (at-least-once: handlers are
//    idempotent). A failed entry stops the run and stays pending; it is tried again next run.
//  - Poison entries go to the dead-letter stream "<stream>:dead:<group>" with their fields, the
//    reason, the failures and the time, and are acknowledged: an entry the handler calls
//    undecodable (DATA_LOSS or INVALID_ARGUMENT) at once, any other entry after max_failures failed
//    attempts. UNAVAILABLE (a dependency or Redis down) is not the entry's fault and is not
//    counted. Failures are counted in the hash "<stream>:failures:<group>" (entry id → count).
//
// Reads never block server-side (no BLOCK: nothing we send blocks); the batch size is configurable.
// Not thread-safe: one run at a time per consumer (RunOnce takes a lock).
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"

namespace rusta::stream {

struct ConsumerOptions {
  std::string stream;    // e.g. "events:referral"
  std::string group;     // e.g. "compensation"
  std::string consumer;  // stable per replica, e.g. the replica id
  int batch_size = 100;  // entries per read
  // Pending entries of any consumer idle this long are taken over (one that died).
  int64_t min_idle_ms = 10 * 60 * 1000;
  // Failed attempts after which an entry is dead-lettered.
  int max_failures = 5;
};

struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;  // empty: trimmed from the stream
  // The value of a field, "" when absent.
  const std::string& Field(const std::string& name) const;
};

class StreamConsumer {
 public:
  // OK: done, acknowledge. DATA_LOSS / INVALID_ARGUMENT: the entry can never be handled (dead
  // letter now). UNAVAILABLE: try again later, not counted. Anything else: a failed attempt.
  using Handler = std::function<absl::Status(redis::RedisConnection&, const StreamEntry&)>;

  StreamConsumer(ConsumerOptions options, Handler handler);

  const ConsumerOptions& options() const { return options_; }
  std::string dead_key() const;      // "<stream>:dead:<group>"
  std::string failures_key() const;  // "<stream>:failures:<group>"

  // Handles up to `limit` entries: this consumer's pending ones, then idle ones of others, then
  // new ones. Returns how many were acknowledged (dead letters included). A failed entry ends the
  // run with its status (after the entries before it were acknowledged).
  absl::StatusOr<int> RunOnce(redis::RedisConnection& redis, int limit);

 private:
  using Entries = std::vector<StreamEntry>;
  absl::Status EnsureGroup(redis::RedisConnection& redis);
  // One read command (XREADGROUP or XAUTOCLAIM), recreating the group once on NOGROUP.
  absl::StatusOr<redis::RedisValue> Read(redis::RedisConnection& redis, const std::vector<std::string>& command);
  absl::StatusOr<Entries> ReadGroup(redis::RedisConnection& redis, const std::string& from, int count);
  absl::StatusOr<Entries> AutoClaim(redis::RedisConnection& redis, int count);
  // Handles `entries` in order; `acked` counts the acknowledged ones.
  absl::Status HandleAll(redis::RedisConnection& redis, const Entries& entries, int* acked);
  absl::Status Ack(redis::RedisConnection& redis, const std::vector<std::string>& ids);
  absl::Status DeadLetter(redis::RedisConnection& redis, const StreamEntry& entry, const absl::Status& reason,
                          int64_t failures);

  ConsumerOptions options_;
  Handler handler_;
  std::mutex mu_;
  bool group_ready_ = false;              // created (or found) since the last NOGROUP
  std::string autoclaim_cursor_ = "0-0";  // where the take-over of idle entries continues
};

}  // namespace rusta::stream
