#pragma once
// The server runner every rusta service is built on. It owns:
//  - the gRPC server: mutual TLS (client certificates required and verified against the CA), the
//    standard health service, reflection, one log line per RPC, SO_REUSEPORT off;
//  - the Redis worker pool (RedisExecutor) that handlers hand their work to, so gRPC's threads
//    never wait on Redis;
//  - a health monitor that pings Redis and reports NOT_SERVING while it is unreachable (and
//    reloads the Redis function libraries when it comes back);
//  - graceful shutdown: NOT_SERVING first, then in-flight calls get the grace period.
// Service-specific code only implements handlers (see Handle) and wiring in main.cc.
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/audit/audit_log.h"
#include "common/identity/identity.h"
#include "common/identity/policy.h"
#include "common/redis/function_library.h"
#include "common/redis/redis_executor.h"
#include "common/server/clock.h"
#include "common/server/server_config.h"

namespace rusta::server {

class ServiceHost {
 public:
  using Work = std::function<absl::Status(const identity::Identity& caller,
                                          redis::RedisConnection& redis)>;

  ServiceHost(ServerConfig config, redis::FunctionRegistry functions);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Before Start. full_name is the proto service name, e.g. "rusta.v1.AssessmentService"; the
  // health service reports it (and "") as SERVING or NOT_SERVING.
  void AddService(grpc::Service* service, std::string full_name);

  // Binds and starts serving. Errors: unreadable TLS files, address in use. Redis being down is
  // not an error: the service starts NOT_SERVING and recovers when Redis comes.
  absl::Status Start();
  int port() const { return port_; }
  void Shutdown();
  void Wait();

  // A unary handler's body: identifies the caller from its certificate, checks the policy for
  // `method`, applies the request limits (ApplyRequestLimits: unknown fields dropped, sizes
  // checked), then runs `work` on a Redis worker and finishes the call with its status. Returns at
  // once; the response must be filled by `work` before it returns OK.
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context, std::string_view method,
                                   const identity::Policy& policy,
                                   const google::protobuf::Message* request, Work work);

  const ServerConfig& config() const { return config_; }
  redis::RedisExecutor& executor() { return *executor_; }
  const audit::AuditLog& audit() const { return audit_; }
  bool redis_healthy() const { return redis_healthy_.load(); }
  // The service's clock: the system clock unless a test sets another (before Start).
  const Clock& clock() const { return *clock_; }
  void SetClock(const Clock* clock) { clock_ = clock; }

 private:
  void HealthLoop();
  void SetServing(bool serving);

  ServerConfig config_;
  redis::FunctionRegistry functions_;
  audit::AuditLog audit_;
  SystemClock system_clock_;
  const Clock* clock_ = &system_clock_;
  std::unique_ptr<redis::RedisExecutor> executor_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::atomic<bool> redis_healthy_{false};
  std::atomic<bool> shutting_down_{false};
  std::mutex health_mu_;
  std::condition_variable health_cv_;
  std::thread health_thread_;
};

// Prints usage or configuration problems; returns false when the process should exit (with the
// exit code in *exit_code). Logs the effective configuration (secrets masked) otherwise.
bool FinishConfig(config::ConfigParser& parser, const ServerConfig& config, const char* program,
                  int* exit_code);

// Starts the host, waits for SIGTERM/SIGINT (block them first with BlockTerminationSignals at the
// top of main), shuts down gracefully. Returns the process exit code.
int RunUntilSignalled(ServiceHost& host);

}  // namespace rusta::server
