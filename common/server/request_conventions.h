#pragma once
// The contract conventions of docs/api.md that hold for every request of every service, checked once
// in ServiceHost::Handle before any work: a negative `expected_version` is INVALID_ARGUMENT
// everywhere (0 means "no check", > 0 must match), so that no handler can act on one by mistake.
#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace rusta::server {

absl::Status CheckRequestConventions(const google::protobuf::Message& request);

}  // namespace rusta::server
