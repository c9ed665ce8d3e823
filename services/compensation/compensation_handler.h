#pragma once
// rusta.v1.CompensationService: the payment ledger's read side, settlement, reports and replay
// (issue 6), hosted today by the referral process. Only the engine (payment_engine.h) writes
// lines; it runs on this handler's own thread, consuming the case events, unless the interval is
// 0. It knows cases only through the CaseSource and CaseSettlement it is given.
#include <atomic>
#include <functional>
#include <string>
#include <vector>
#include <memory>

#include "common/identity/policy.h"
#include "common/server/periodic_task.h"
#include "common/server/service_host.h"
#include "rusta/v1/compensation.grpc.pb.h"
#include "services/compensation/case_settlement.h"
#include "services/compensation/case_source.h"
#include "services/compensation/compensation_config.h"
#include "services/compensation/domain/tariff.h"

namespace rusta::compensation {

struct CompensationImpl;

class CompensationHandler final : public rusta::v1::CompensationService::CallbackService {
 public:
  // `tariffs`, `cases` and `settlement` must outlive the handler; `settlement` may be null (the
  // settled cases then stay RESULT_VERIFIED).
  CompensationHandler(server::ServiceHost& host, const CompensationConfig& config, const TariffSet& tariffs,
                      const CaseSource& cases, CaseSettlement* settlement);
  ~CompensationHandler() override;

  static identity::Policy MakePolicy();
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

}  // namespace rusta::compensation
