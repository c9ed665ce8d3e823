#pragma once
// The C++ half of idempotent mutations (the Lua half is common/lua/idempotency.lua): checks a
// request_id, and names the key and the fingerprint a service's atomic function receives.
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "common/identity/identity.h"

namespace rusta::server {

// 1–128 characters of [A-Za-z0-9._:-]. INVALID_ARGUMENT "request_id: ..." otherwise.
absl::Status ValidateRequestId(std::string_view request_id);

// The key under which a mutation's result is kept: per caller, method and request_id. hash_tag
// is the tag of the keys the mutation changes (e.g. the case id), so that the key lives in the same
// Redis Cluster slot as the data.
std::string IdempotencyKey(std::string_view hash_tag, const identity::Identity& caller,
                           std::string_view method, std::string_view request_id);

// sha256 of the request's deterministic serialisation with its request_id field cleared, so that
// the same request under the same id matches and a different one does not.
std::string RequestFingerprint(const google::protobuf::Message& request);

// How long request ids are remembered (docs/api.md: at least 24 hours).
inline constexpr int kIdempotencyTtlSeconds = 48 * 3600;

}  // namespace rusta::server
