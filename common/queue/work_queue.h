#pragma once
// A reliable work queue on a Redis stream with a consumer group (see common/lua/queue.lua).
//
//  - Enqueue adds an item; Schedule adds one that becomes work at a given time (a sorted set),
//    exactly once even when several replicas claim at that moment.
//  - Claim gives the next item to a named worker (a caseworker, a service replica). The item stays
//    in the group's pending list until Complete; if the worker dies, or simply does not finish
//    within the visibility timeout, the item becomes claimable again. Nothing is lost between
//    claim and complete.
//  - Release gives an unfinished item back at once; Fail does the same but counts the delivery;
//    an item delivered max_deliveries times without completion goes to the dead-letter stream.
//
// Every operation is one Redis function call. Keys share the hash tag {name}.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"

namespace rusta::queue {

struct QueueOptions {
  std::string name;                       // e.g. "referral-decisions"
  std::string group = "workers";
  int64_t visibility_timeout_ms = 15 * 60 * 1000;
  int64_t max_deliveries = 5;
  int64_t promote_limit = 100;            // delayed items moved per claim at most
};

struct QueueItem {
  std::string id;           // stream entry id
  std::string payload;      // opaque bytes (usually a serialised protobuf)
  int64_t enqueued_ms = 0;  // when it became work (for a scheduled item: its due time)
  int64_t deliveries = 0;   // including this one
  std::string delayed_id;   // the schedule id, for items that were scheduled
};

struct QueueStats {
  int64_t waiting = 0;      // not claimed by anyone
  int64_t claimed = 0;      // claimed, not completed
  int64_t scheduled = 0;    // delayed, not yet due
  int64_t dead = 0;         // in the dead-letter stream
  int64_t oldest_enqueued_ms = -1;  // of the oldest item in the queue, -1 if empty
  int64_t next_due_ms = -1;         // of the next scheduled item, -1 if none
};

struct DeadLetter {
  std::string id, source_id, payload;
  int64_t deliveries = 0, enqueued_ms = 0, dead_ms = 0;
};

class WorkQueue {
 public:
  explicit WorkQueue(QueueOptions options);

  const QueueOptions& options() const { return options_; }
  // Keys, for services that enqueue from inside their own atomic function.
  std::string stream_key() const;
  std::string dead_key() const;
  std::string delayed_key() const;
  std::string delayed_items_key() const;

  // For service functions that claim inside their own atomic call (rusta_queue_claim_next in the
  // Lua prelude): its keys and arguments, and how to read its reply.
  std::vector<std::string> ClaimKeys() const;
  std::vector<std::string> ClaimArgs(const std::string& worker, int64_t now_ms) const;
  static absl::StatusOr<std::optional<QueueItem>> ParseClaimReply(const redis::RedisValue& reply);
  // The record of a claim made once per request_id (rusta_queue_claim_once): "" is nothing due.
  static absl::StatusOr<std::optional<QueueItem>> ParseClaimRecord(const std::string& record);

  absl::StatusOr<std::string> Enqueue(redis::RedisConnection& redis, const std::string& payload,
                                      int64_t now_ms) const;
  // Returns false if an item with this schedule id is already scheduled (the first one stays).
  absl::StatusOr<bool> Schedule(redis::RedisConnection& redis, const std::string& schedule_id,
                                const std::string& payload, int64_t due_ms) const;
  // Returns false if nothing with that id was scheduled (or it is already due and promoted).
  absl::StatusOr<bool> CancelScheduled(redis::RedisConnection& redis,
                                       const std::string& schedule_id) const;
  // nullopt when there is no work for now. now_ms decides which scheduled items are due.
  absl::StatusOr<std::optional<QueueItem>> Claim(redis::RedisConnection& redis,
                                                 const std::string& worker, int64_t now_ms) const;
  // NOT_FOUND if the item is not claimed, FAILED_PRECONDITION if another worker holds it.
  // Returns the completed item (its payload and enqueue time).
  // One claim per request_id, in one atomic call: a repeat (concurrent, or after a lost answer)
  // gets the item the first call claimed; `idem_key`/`fingerprint` as for every idempotent
  // mutation (common/server/idempotency.h), remembered for ttl_seconds. `stale_item`: the
  // remembered item was found to be work no longer needed; it is completed and the next claimed.
  absl::StatusOr<std::optional<QueueItem>> ClaimOnce(redis::RedisConnection& redis, const std::string& idem_key,
                                                     const std::string& fingerprint, int64_t ttl_seconds,
                                                     const std::string& worker, int64_t now_ms,
                                                     const std::string& stale_item = "") const;
  absl::StatusOr<QueueItem> Complete(redis::RedisConnection& redis, const std::string& id,
                                     const std::string& worker) const;
  absl::Status Release(redis::RedisConnection& redis, const std::string& id,
                       const std::string& worker) const;
  absl::Status Fail(redis::RedisConnection& redis, const std::string& id,
                    const std::string& worker) const;
  absl::Status Extend(redis::RedisConnection& redis, const std::string& id,
                      const std::string& worker) const;
  absl::StatusOr<QueueStats> Stats(redis::RedisConnection& redis) const;
  absl::StatusOr<std::vector<DeadLetter>> DeadLetters(redis::RedisConnection& redis,
                                                      int64_t limit) const;

 private:
  absl::Status GiveBack(redis::RedisConnection& redis, const std::string& id,
                        const std::string& worker, bool count_as_failure) const;
  QueueOptions options_;
};

}  // namespace rusta::queue
