#include "common/server/request_conventions.h"

#include <google/protobuf/descriptor.h>

namespace rusta::server {

absl::Status CheckRequestConventions(const google::protobuf::Message& request) {
  const google::protobuf::FieldDescriptor* version =
      request.GetDescriptor()->FindFieldByName("expected_version");
  if (version != nullptr && version->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT64 &&
      !version->is_repeated() && request.GetReflection()->GetInt64(request, version) < 0) {
    return absl::InvalidArgumentError("expected_version: must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace rusta::server
