#pragma once
// rusta.v1.AuditService, served by every service host over the shared audit chain.
#include "common/identity/policy.h"
#include "common/server/service_host.h"
#include "rusta/v1/audit_service.grpc.pb.h"

namespace rusta::server {

class AuditHandler final : public rusta::v1::AuditService::CallbackService {
 public:
  explicit AuditHandler(ServiceHost& host);

  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* context,
                                            const rusta::v1::ListAuditEventsRequest* request,
                                            rusta::v1::ListAuditEventsResponse* response) override;
  grpc::ServerUnaryReactor* VerifyAuditChain(grpc::CallbackServerContext* context,
                                             const rusta::v1::VerifyAuditChainRequest* request,
                                             rusta::v1::VerifyAuditChainResponse* response) override;

  static identity::Policy MakePolicy();

 private:
  ServiceHost& host_;
  identity::Policy policy_;
};

}  // namespace rusta::server
