#pragma once
// The baseline of the gRPC benchmarks: an echo service hosted exactly like every rusta service (a
// real ServiceHost: mutual TLS, the logging interceptor, health, reflection, the same threads),
// which answers inline on the gRPC thread without touching Redis. What a service costs beyond this
// is the service's own work.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/server/server_config.h"
#include "common/server/service_host.h"
#include "tests/bench/echo.grpc.pb.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"

namespace rusta::bench {

class EchoServiceImpl final : public EchoService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override;
};

// A running echo host; shuts the host down before the service it serves goes away.
class EchoHost {
 public:
  EchoHost(server::ServerConfig config);
  ~EchoHost();
  absl::Status Start();
  int port() const { return host_->port(); }
  server::ServiceHost& host() { return *host_; }

 private:
  EchoServiceImpl service_;
  std::unique_ptr<server::ServiceHost> host_;
};

// The server config a benchmark host gets: the test host's (127.0.0.1:0, the PKI's certificate of
// `service`, the given Redis), with the production worker count and health interval rather than the tests' ones.
server::ServerConfig BenchServerConfig(const testing::Pki& pki, const testing::RedisServer& redis,
                                       const std::string& service = "assessment");

// Starts an echo host on 127.0.0.1:0 with `config` (see BenchServerConfig).
absl::StatusOr<std::unique_ptr<EchoHost>> StartEchoHost(server::ServerConfig config);

}  // namespace rusta::bench
