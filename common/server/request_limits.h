#pragma once
// The checks every request gets before its handler runs (ServiceHost::Handle): unknown fields are
// dropped (never stored), and every string, bytes, repeated and map field is held to its maximum.
//
// A field's maximum is its (rusta.v1.max_length) / (rusta.v1.max_items) option
// (protos/rusta/v1/limits.proto), or else the default below. Strings are counted in Unicode
// characters, bytes fields in bytes; docs/api.md "Field limits" is the caller's view.
#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace rusta::server {

inline constexpr int kDefaultMaxLength = 4096;  // characters per string, bytes per bytes field
inline constexpr int kDefaultMaxItems = 1000;   // entries per repeated or map field

// INVALID_ARGUMENT naming the field's full path from the request root, e.g.
// "report.activities[3].note: at most 4000 characters" or "items: at most 1000 entries", for the
// first field over its maximum. Drops unknown fields, recursively, before checking.
absl::Status ApplyRequestLimits(google::protobuf::Message& request);

}  // namespace rusta::server
