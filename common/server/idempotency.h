#pragma once
// The C++ half of idempotent mutations (the Lua half is common/lua/idempotency.lua): checks a
// request_id, and names the key and the fingerprint a service's atomic function receives.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/identity/identity.h"
#include "common/redis/redis_value.h"

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

// The read of a remembered result, to pipeline with a mutation's own reads ("" = no key: the
// reply then says "first call").
std::vector<std::string> EarlierResultCommand(const std::string& idem_key);
// Its reply: the result remembered for the key, nullopt on a first call (or one whose record holds
// no result yet), INVALID_ARGUMENT
// "request_id: already used for a different request" when the fingerprint differs.
absl::StatusOr<std::optional<std::string>> EarlierResult(const redis::RedisValue& reply,
                                                         std::string_view fingerprint);
// For mutations whose own atomic call cannot remember the result (a queue claim): the commands
// that remember it afterwards, for kIdempotencyTtlSeconds.
std::vector<std::vector<std::string>> RememberResultCommands(const std::string& idem_key,
                                                             const std::string& fingerprint,
                                                             const std::string& result);

}  // namespace rusta::server
