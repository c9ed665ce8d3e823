#pragma once
// Opaque page tokens tied to the request's filters. A token carries a cursor (where the next page
// starts in an index: a position that stays right when entries are added or removed, unlike an
// offset) and a digest of the request's filters (every field but page_token and page_size), so a
// token reused with other filters is refused instead of silently skipping or repeating entries.
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"

namespace rusta::server {

// The token for the page after `cursor` of `request`'s listing.
std::string EncodePageToken(const google::protobuf::Message& request, std::string_view cursor);

// The cursor in `token` ("" for an empty token: the first page). INVALID_ARGUMENT "page_token: ..."
// when the token is not one this service issued, or was issued for other filters.
absl::StatusOr<std::string> DecodePageToken(std::string_view token, const google::protobuf::Message& request);

}  // namespace rusta::server
