#pragma once
// rusta.v1.CompensationService: the payment ledger's read side, settlement, reports and replay
// (issue 6), hosted by the referral process. Only the engine (payment_engine.h) writes lines; it
// runs on this handler's own thread, consuming the case events, unless the interval is 0.
#include <atomic>
#include <functional>
#include <string>
#include <vector>
#include <memory>

#include "common/identity/policy.h"
#include "common/server/periodic_task.h"
#include "common/server/service_host.h"
#include "rusta/v1/compensation.grpc.pb.h"
#include "services/referral/compensation/tariff.h"
#include "services/referral/referral_config.h"

namespace rusta::referral {

struct CompensationImpl;

class CompensationHandler final : public rusta::v1::CompensationService::CallbackService {
 public:
  // `tariffs` must outlive the handler.
  CompensationHandler(server::ServiceHost& host, const ReferralConfig& config, const compensation::TariffSet& tariffs);
  ~CompensationHandler() override;

  static identity::Policy MakePolicy();
  // Called after a settlement for each case whose result lines it settled (RESULT_VERIFIED →
  // PAID in the referral service). Set before serving; unset: the cases stay RESULT_VERIFIED.
  using PaidHook = std::function<absl::Status(redis::RedisConnection&, const std::string& case_id,
                                              const std::vector<std::string>& line_ids, const std::string& request_id)>;
  void SetPaidHook(PaidHook hook);
  // One run of the engine over new case events (tests; the thread calls it every interval).
  absl::StatusOr<int> RunEngine();

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* ListPaymentLines(Ctx*, const rusta::v1::ListPaymentLinesRequest*, rusta::v1::ListPaymentLinesResponse*) override;
  Reactor* GetStatement(Ctx*, const rusta::v1::GetStatementRequest*, rusta::v1::GetStatementResponse*) override;
  Reactor* ListStatements(Ctx*, const rusta::v1::ListStatementsRequest*, rusta::v1::ListStatementsResponse*) override;
  Reactor* SettleMonth(Ctx*, const rusta::v1::SettleMonthRequest*, rusta::v1::SettleMonthResponse*) override;
  Reactor* GetPaymentReport(Ctx*, const rusta::v1::GetPaymentReportRequest*, rusta::v1::GetPaymentReportResponse*) override;
  Reactor* ReplayPayments(Ctx*, const rusta::v1::ReplayPaymentsRequest*, rusta::v1::ReplayPaymentsResponse*) override;
  Reactor* ListTariffs(Ctx*, const rusta::v1::ListTariffsRequest*, rusta::v1::ListTariffsResponse*) override;

 private:
  std::shared_ptr<CompensationImpl> impl_;
  identity::Policy policy_;
  std::unique_ptr<server::PeriodicTask> engine_;  // the engine every interval; last: stopped first
};

}  // namespace rusta::referral
