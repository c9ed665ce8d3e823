#pragma once
// The gRPC adapter of common/identity: the caller's identity from the verified client certificate
// of the call (its URI SAN), or, in insecure development mode only, from the x-rusta-dev-identity
// request header.
#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"
#include "common/identity/identity.h"

namespace rusta::server {

inline constexpr char kDevIdentityHeader[] = "x-rusta-dev-identity";

absl::StatusOr<identity::Identity> CallerIdentity(const grpc::ServerContextBase& context,
                                                  std::string_view trust_domain,
                                                  bool insecure_dev_mode);

// The identity URI for logs ("-" when there is none).
std::string CallerForLog(const grpc::ServerContextBase& context, bool insecure_dev_mode);

}  // namespace rusta::server
