#include "tests/bench/support/echo_service.h"

#include <utility>

#include "common/lua/common_library.h"
#include "tests/support/test_host.h"

namespace rusta::bench {

grpc::ServerUnaryReactor* EchoServiceImpl::Echo(grpc::CallbackServerContext* context,
                                                const EchoRequest* request,
                                                EchoResponse* response) {
  response->set_payload(request->payload());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

EchoHost::EchoHost(server::ServerConfig config) {
  // The same function libraries every service registers (ServiceMain): the health monitor loads
  // them when Redis appears.
  redis::FunctionRegistry functions;
  functions.Add(lua::CommonLibrary());
  host_ = std::make_unique<server::ServiceHost>(std::move(config), std::move(functions));
  host_->AddService(&service_, "rusta.bench.EchoService");
}

EchoHost::~EchoHost() { host_->Shutdown(); }

absl::Status EchoHost::Start() { return host_->Start(); }

server::ServerConfig BenchServerConfig(const testing::Pki& pki, const testing::RedisServer& redis,
                                       const std::string& service) {
  server::ServerConfig config = testing::TestServerConfig(pki, redis, service);
  const server::ServerConfig defaults;
  config.health_interval_ms = defaults.health_interval_ms;
  config.workers = defaults.workers;
  return config;
}

absl::StatusOr<std::unique_ptr<EchoHost>> StartEchoHost(server::ServerConfig config) {
  auto host = std::make_unique<EchoHost>(std::move(config));
  if (absl::Status s = host->Start(); !s.ok()) return s;
  return host;
}

}  // namespace rusta::bench
