#include "common/status/grpc_status.h"

#include <atomic>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

#include "common/log/log.h"

namespace rusta {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss: {
      // The caller gets a reference it can quote; the detail stays in our log under it.
      static std::atomic<uint64_t> counter{0};
      const std::string ref = absl::StrFormat(
          "%08x%04x", static_cast<uint32_t>(absl::ToUnixMicros(absl::Now())),
          static_cast<uint32_t>(counter.fetch_add(1) & 0xffff));
      log::Error("internal_error", {{"ref", ref}, {"detail", status.message()}});
      return grpc::Status(code, "internal error (ref " + ref + ")");
    }
    default:
      return grpc::Status(code, std::string(status.message()));
  }
}

const char* StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return (i >= 0 && i <= 16) ? kNames[i] : "UNKNOWN";
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(status.error_code())),
                      status.error_message());
}

}  // namespace rusta
