#pragma once
// The one place where absl::Status becomes grpc::Status and back. Domain and storage code speak
// absl::Status; only the gRPC edge converts.
#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace rusta {

// Codes map one to one (gRPC and Abseil share the numbering). INTERNAL, UNKNOWN and DATA_LOSS
// messages are replaced by a generic text (the original is logged) so that no internal detail,
// exception text or Redis reply ever reaches a caller.
grpc::Status ToGrpcStatus(const absl::Status& status);

absl::Status FromGrpcStatus(const grpc::Status& status);

// "OK", "INVALID_ARGUMENT", ... (for logs and reports).
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace rusta
