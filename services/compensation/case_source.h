#pragma once
// What compensation needs to know about cases, and all it may know: a participation's facts. The
// case flow owns cases; compensation reads them only through this interface (and the events on
// events:referral that tell it which case changed). Today the referral process implements it in
// process over its case store (services/referral/compensation_case_source.h); a separate
// compensation binary would implement it with gRPC calls to the referral service.
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/redis/redis_connection.h"
#include "services/compensation/domain/engine.h"

namespace rusta::compensation {

// One case as the engine sees it.
struct CaseFacts {
  std::string case_id;
  std::string person_id;  // written on the payment lines
  // What the lines are computed from; nullopt for a case that never started (it earns nothing).
  std::optional<Participation> participation;
  int64_t events = 0;  // history entries the facts rest on (ReplayPayments reports the count)
};

class CaseSource {
 public:
  virtual ~CaseSource() = default;
  // `redis`: the calling worker's connection, for a source in the same process and Redis; a
  // remote source ignores it. Facts: nullopt when there is no such case.
  virtual absl::StatusOr<std::optional<CaseFacts>> Facts(redis::RedisConnection& redis,
                                                         const std::string& case_id) const = 0;
  // The ids of every case that started (settlement's catch-up, replay).
  virtual absl::StatusOr<std::vector<std::string>> StartedCases(redis::RedisConnection& redis) const = 0;
};

}  // namespace rusta::compensation
