#include "common/server/idempotency.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_log.h"

namespace rusta::server {

absl::Status ValidateRequestId(std::string_view request_id) {
  if (request_id.empty()) return absl::InvalidArgumentError("request_id: required");
  if (request_id.size() > 128) return absl::InvalidArgumentError("request_id: at most 128 characters");
  for (char c : request_id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-') {
      return absl::InvalidArgumentError("request_id: only letters, digits and . _ : - are allowed");
    }
  }
  return absl::OkStatus();
}

std::string IdempotencyKey(std::string_view hash_tag, const identity::Identity& caller,
                           std::string_view method, std::string_view request_id) {
  return absl::StrCat("idem:{", std::string(hash_tag), "}:", audit::Sha256Hex(caller.uri), ":",
                      std::string(method), ":", std::string(request_id));
}

std::string RequestFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  if (const auto* field = copy->GetDescriptor()->FindFieldByName("request_id")) {
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  return audit::Sha256Hex(bytes);
}

std::vector<std::string> EarlierResultCommand(const std::string& idem_key) {
  return {"HMGET", idem_key.empty() ? "-" : idem_key, "fingerprint", "result"};
}

absl::StatusOr<std::optional<std::string>> EarlierResult(const redis::RedisValue& reply,
                                                         std::string_view fingerprint) {
  if (!reply.is_array() || reply.size() != 2 || !reply[0].is_string()) return std::optional<std::string>();
  if (reply[0].str != fingerprint) {
    return absl::InvalidArgumentError("request_id: already used for a different request");
  }
  // A record begun but not answered yet (a settlement over several calls keeps its parts there
  // first): the call is not done, it goes on.
  if (!reply[1].is_string()) return std::optional<std::string>();
  return std::optional<std::string>(reply[1].str);
}

std::vector<std::vector<std::string>> RememberResultCommands(const std::string& idem_key,
                                                             const std::string& fingerprint,
                                                             const std::string& result) {
  return {{"HSET", idem_key, "fingerprint", fingerprint, "result", result},
          {"EXPIRE", idem_key, absl::StrCat(kIdempotencyTtlSeconds)}};
}

}  // namespace rusta::server
