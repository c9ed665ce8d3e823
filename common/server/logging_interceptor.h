#pragma once
// One log line per RPC: method, caller, status code, latency. An interceptor sees every call,
// including the health service and RPCs answered UNIMPLEMENTED, so no handler can forget to log.
#include <grpcpp/support/server_interceptor.h>

namespace rusta::server {

class LoggingInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit LoggingInterceptorFactory(bool insecure_dev_mode) : insecure_dev_mode_(insecure_dev_mode) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  bool insecure_dev_mode_;
};

}  // namespace rusta::server
