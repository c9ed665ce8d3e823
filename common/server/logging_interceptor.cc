#include "common/server/logging_interceptor.h"

#include <chrono>
#include <string>

#include "absl/strings/str_format.h"
#include "common/log/log.h"
#include "common/server/caller_identity.h"
#include "common/status/grpc_status.h"

namespace rusta::server {
namespace {

class LoggingInterceptor : public grpc::experimental::Interceptor {
 public:
  LoggingInterceptor(grpc::experimental::ServerRpcInfo* info, bool insecure_dev_mode)
      : info_(info), insecure_dev_mode_(insecure_dev_mode), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    // gRPC hands the interceptor no message when the request could not be deserialised (invalid
    // UTF-8 in a string, truncated bytes); its callback handler then answers UNIMPLEMENTED with
    // no message, which would tell the caller the RPC does not exist. (A stream's end also
    // arrives without a message: only the UNIMPLEMENTED-without-message answer is replaced.)
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparseable_request_ = true;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (unparseable_request_) {
        const grpc::Status sent = methods->GetSendStatus();
        if (sent.error_code() == grpc::StatusCode::UNIMPLEMENTED && sent.error_message().empty()) {
          methods->ModifySendStatus(UnparseableRequestStatus());
        }
      }
      const grpc::Status status = methods->GetSendStatus();
      const log::Level level = status.ok() ? log::Level::kInfo : log::Level::kWarning;
      if (!log::Enabled(level)) {  // nothing to build when the line would be dropped
        methods->Proceed();
        return;
      }
      const double ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start_).count();
      const std::string caller = info_->server_context() != nullptr
          ? CallerForLog(*info_->server_context(), insecure_dev_mode_) : "-";
      const std::string latency = absl::StrFormat("%.3f", ms);
      if (status.ok()) {
        log::Write(level, "rpc", {{"method", info_->method()}, {"caller", caller},
                                  {"status", StatusCodeName(status.error_code())}, {"latency_ms", latency}});
      } else {
        log::Write(level, "rpc", {{"method", info_->method()}, {"caller", caller},
                                  {"status", StatusCodeName(status.error_code())}, {"latency_ms", latency},
                                  {"message", status.error_message()}});
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  bool insecure_dev_mode_;
  bool unparseable_request_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

grpc::Status UnparseableRequestStatus() {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request: cannot be parsed");
}

grpc::experimental::Interceptor* LoggingInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new LoggingInterceptor(info, insecure_dev_mode_);
}

}  // namespace rusta::server
