#include "common/server/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log/log.h"
#include "common/server/call_deadline.h"
#include "common/server/caller_identity.h"
#include "common/server/health_descriptor.h"
#include "common/server/logging_interceptor.h"
#include "common/server/protobuf_log.h"
#include "common/server/request_conventions.h"
#include "common/server/request_limits.h"
#include "common/server/signals.h"
#include "common/status/grpc_status.h"

namespace rusta::server {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view setting) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(std::string(setting), ": cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

ServiceHost::ServiceHost(ServerConfig config, redis::FunctionRegistry functions)
    : config_(std::move(config)), functions_(std::move(functions)), audit_(config_.audit_chain) {
  executor_ = std::make_unique<redis::RedisExecutor>(config_.redis, &functions_, config_.workers,
                                                     config_.max_queued_tasks);
}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service, std::string full_name) {
  services_.emplace_back(service, std::move(full_name));
}

absl::Status ServiceHost::Start() {
  log::SetService(config_.service_name);
  // Debian's Abseil checks every absl::Mutex acquisition for deadlock cycles (gRPC takes many);
  // that bookkeeping cost a few per cent of an RPC's CPU in the benchmarks. Off: we do not
  // rely on it to find bugs in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  InstallProtobufLogHandler();
  LinkHealthDescriptor();  // so that reflection can describe the health service it lists
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (config_.insecure_dev_mode) {
    log::Warning("insecure_dev_mode",
                 {{"detail", "plaintext gRPC, caller identity taken from the x-rusta-dev-identity "
                             "header: for development only, never in production"}});
    credentials = grpc::InsecureServerCredentials();
  } else {
    auto cert = ReadFile(config_.tls_cert, "tls-cert");
    if (!cert.ok()) return cert.status();
    auto key = ReadFile(config_.tls_key, "tls-key");
    if (!key.ok()) return key.status();
    auto ca = ReadFile(config_.tls_ca, "tls-ca");
    if (!ca.ok()) return ca.status();
    grpc::SslServerCredentialsOptions options(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = *ca;
    options.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(options);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, credentials, &port_);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // A larger request is refused by gRPC (RESOURCE_EXHAUSTED) before it is parsed; the per-field
  // maxima (ApplyRequestLimits) then bound what a parsed request may hold.
  builder.SetMaxReceiveMessageSize(config_.max_request_bytes);
  for (auto& [service, name] : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<LoggingInterceptorFactory>(config_.insecure_dev_mode));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("listen: cannot bind ", config_.listen));
  }
  SetServing(false);
  health_thread_ = std::thread([this] { HealthLoop(); });
  log::Info("started", {{"listen", config_.listen}, {"port", absl::StrCat(port_)},
                        {"workers", absl::StrCat(config_.workers)}});
  return absl::OkStatus();
}

void ServiceHost::SetServing(bool serving) {
  if (!server_ || shutting_down_.load()) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  for (const auto& [service, name] : services_) health->SetServingStatus(name, serving);
}

void ServiceHost::HealthLoop() {
  redis::RedisConnection connection(config_.redis, &functions_);
  bool was_healthy = false;
  std::unique_lock<std::mutex> lock(health_mu_);
  while (!shutting_down_.load()) {
    lock.unlock();
    bool healthy = connection.Ping().ok();
    // (Re)load the function libraries whenever Redis (re)appears, so that a restarted Redis
    // without persistence has them before the first call needs them.
    if (healthy && !was_healthy) healthy = connection.LoadFunctions().ok();
    if (healthy != was_healthy) {
      // The workers' connections died with the old Redis and their backoff may still run: they
      // start afresh before SERVING is said, so the first calls after it do not fail.
      if (healthy) executor_->ResetConnections();
      redis_healthy_.store(healthy);
      SetServing(healthy);
      if (healthy) log::Info("redis_available", {{"address", config_.redis.address}});
      else log::Warning("redis_unavailable", {{"address", config_.redis.address}});
      was_healthy = healthy;
    }
    lock.lock();
    health_cv_.wait_for(lock, std::chrono::milliseconds(config_.health_interval_ms),
                        [this] { return shutting_down_.load(); });
  }
}

void ServiceHost::Shutdown() {
  if (!server_) return;
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();  // everything NOT_SERVING from now on
  }
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    shutting_down_.store(true);
  }
  health_cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(config_.shutdown_grace_ms));
  executor_->Shutdown();
  server_->Wait();
  server_.reset();
  log::Info("stopped");
}

void ServiceHost::Wait() {
  if (server_) server_->Wait();
}

grpc::ServerUnaryReactor* ServiceHost::Handle(grpc::CallbackServerContext* context,
                                              std::string_view method,
                                              const identity::Policy& policy,
                                              const google::protobuf::Message* request, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto caller = CallerIdentity(*context, config_.trust_domain, config_.insecure_dev_mode);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  if (absl::Status allowed = policy.Check(method, *caller); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  // gRPC hands the handler a const request it allocated for this call alone; dropping its unknown
  // fields in place is what keeps them out of everything stored from it.
  if (absl::Status limits = ApplyRequestLimits(const_cast<google::protobuf::Message&>(*request));
      !limits.ok()) {
    reactor->Finish(ToGrpcStatus(limits));
    return reactor;
  }
  if (absl::Status conventions = CheckRequestConventions(*request); !conventions.ok()) {
    reactor->Finish(ToGrpcStatus(conventions));
    return reactor;
  }
  // The client's deadline, capped: work still queued when it passes is dropped, not run (its
  // answer could no longer reach anyone, and running it would only delay the calls behind it).
  absl::Time deadline = absl::Now() + absl::Milliseconds(config_.max_call_ms);
  if (context->deadline() != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(context->deadline()));
  }
  const bool accepted = executor_->Submit(
      [reactor, deadline, work = std::move(work), caller = *std::move(caller)](redis::RedisConnection& redis) {
        if (absl::Now() >= deadline) {
          reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                       "deadline passed before the work started"));
          return;
        }
        ScopedCallDeadline scoped(deadline);
        reactor->Finish(ToGrpcStatus(work(caller, redis)));
      });
  if (!accepted) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy, try again"));
  }
  return reactor;
}

bool FinishConfig(config::ConfigParser& parser, const ServerConfig& config, const char* program,
                  int* exit_code) {
  absl::Status status = parser.Finish();
  if (parser.help_requested()) {
    std::fputs(parser.Usage(program).c_str(), stdout);
    *exit_code = 0;
    return false;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s: configuration problems:\n%s\n", program,
                 std::string(status.message()).c_str());
    *exit_code = 2;
    return false;
  }
  log::Level level = log::Level::kInfo;
  log::ParseLevel(config.log_level, &level);
  log::SetMinLevel(level);
  log::SetService(config.service_name);
  std::fprintf(stderr, "%s effective configuration:\n%s", config.service_name.c_str(),
               parser.Describe().c_str());
  return true;
}

int RunUntilSignalled(ServiceHost& host) {
  if (absl::Status s = host.Start(); !s.ok()) {
    log::Error("start_failed", {{"detail", s.message()}});
    return 1;
  }
  const int sig = WaitForTerminationSignal();
  log::Info("shutting_down", {{"signal", absl::StrCat(sig)}});
  host.Shutdown();
  return 0;
}

}  // namespace rusta::server
