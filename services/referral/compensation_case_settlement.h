#pragma once
// The case flow's side of a settlement, in process: the CaseSettlement
// (services/compensation/case_settlement.h) the referral process gives the compensation module,
// marking a case PAID through the referral handler (rpc_results.cc, MarkPaid).
#include <string>
#include <vector>

#include "services/compensation/case_settlement.h"
#include "services/referral/referral_handler.h"

namespace rusta::referral {

class InProcessCaseSettlement final : public compensation::CaseSettlement {
 public:
  // `referral` must outlive this.
  explicit InProcessCaseSettlement(ReferralHandler& referral) : referral_(referral) {}

  absl::Status MarkPaid(redis::RedisConnection& redis, const std::string& case_id,
                        const std::vector<std::string>& line_ids, const std::string& request_id) override {
    return referral_.MarkPaid(redis, case_id, line_ids, request_id);
  }

 private:
  ReferralHandler& referral_;
};

}  // namespace rusta::referral
