#pragma once
// What compensation tells the case flow: a case's result payment was settled (RESULT_VERIFIED →
// PAID). The referral process implements it in process (ReferralHandler::MarkPaid, see
// services/referral/compensation_case_settlement.h); a separate compensation binary would call the
// referral service instead.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/redis/redis_connection.h"

namespace rusta::compensation {

class CaseSettlement {
 public:
  virtual ~CaseSettlement() = default;
  // Marks `case_id` paid for the settled result lines `line_ids`; idempotent per `request_id`.
  // FAILED_PRECONDITION when the case is not RESULT_VERIFIED (e.g. already PAID), NOT_FOUND when
  // there is no such case. `redis` as in CaseSource.
  virtual absl::Status MarkPaid(redis::RedisConnection& redis, const std::string& case_id,
                                const std::vector<std::string>& line_ids, const std::string& request_id) = 0;
};

}  // namespace rusta::compensation
