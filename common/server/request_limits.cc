#include "common/server/request_limits.h"

namespace rusta::server {

absl::Status ApplyRequestLimits(google::protobuf::Message& request) {
  request.DiscardUnknownFields();
  return absl::OkStatus();
}

}  // namespace rusta::server
