#pragma once
// One log line per RPC: method, caller, status code, latency. An interceptor sees every call,
// including the health service and RPCs answered UNIMPLEMENTED, so no handler can forget to log.
// It also gives a request that cannot be parsed its answer (UnparseableRequestStatus) in place of
// gRPC's empty UNIMPLEMENTED, since it is the one place that sees every call.
#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

namespace rusta::server {

// INVALID_ARGUMENT "request: cannot be parsed".
grpc::Status UnparseableRequestStatus();

class LoggingInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit LoggingInterceptorFactory(bool insecure_dev_mode) : insecure_dev_mode_(insecure_dev_mode) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  bool insecure_dev_mode_;
};

}  // namespace rusta::server
