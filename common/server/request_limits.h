#pragma once
// The checks every request gets before its handler runs (ServiceHost::Handle): unknown fields are
// dropped (never stored), and every string, bytes and repeated field is held to its maximum.
#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace rusta::server {

// INVALID_ARGUMENT naming the field's full path (e.g. "report.activities[3].note: at most 4000
// characters") when a field is over its maximum. Drops unknown fields, recursively.
absl::Status ApplyRequestLimits(google::protobuf::Message& request);

}  // namespace rusta::server
