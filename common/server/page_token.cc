#include "common/server/page_token.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_log.h"

namespace rusta::server {
namespace {

constexpr char kVersion[] = "p1";

// sha256 of the request's deterministic serialisation without its paging fields, shortened.
std::string FilterDigest(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> filters(request.New());
  filters->CopyFrom(request);
  const google::protobuf::Descriptor* d = filters->GetDescriptor();
  for (const char* paging : {"page_token", "page_size"}) {
    if (const google::protobuf::FieldDescriptor* f = d->FindFieldByName(paging)) {
      filters->GetReflection()->ClearField(filters.get(), f);
    }
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    filters->SerializeToCodedStream(&coded);
  }
  return audit::Sha256Hex(bytes).substr(0, 16);
}

}  // namespace

std::string EncodePageToken(const google::protobuf::Message& request, std::string_view cursor) {
  std::string encoded;
  absl::WebSafeBase64Escape(
      absl::StrCat(kVersion, ".", FilterDigest(request), ".", absl::string_view(cursor.data(), cursor.size())),
      &encoded);
  return encoded;
}

absl::StatusOr<std::string> DecodePageToken(std::string_view token, const google::protobuf::Message& request) {
  if (token.empty()) return std::string();
  std::string plain;
  const std::string prefix = absl::StrCat(kVersion, ".", FilterDigest(request), ".");
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &plain) ||
      plain.rfind(kVersion, 0) != 0) {
    return absl::InvalidArgumentError("page_token: not a token this service issued");
  }
  if (plain.rfind(prefix, 0) != 0) {
    return absl::InvalidArgumentError("page_token: issued for other filters; start again without it");
  }
  return plain.substr(prefix.size());
}

}  // namespace rusta::server
