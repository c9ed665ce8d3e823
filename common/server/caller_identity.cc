#include "common/server/caller_identity.h"

#include <grpcpp/security/auth_context.h>

#include <string>
#include <vector>

namespace rusta::server {
namespace {

// URI SANs of the peer's verified certificate. gRPC exposes them as "x509_uri"; older builds only
// as part of "x509_subject_alternative_name" (the peer identity), which also holds DNS names.
std::vector<std::string> PeerUris(const grpc::ServerContextBase& context) {
  std::vector<std::string> uris;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return uris;
  for (const auto& v : auth->FindPropertyValues("x509_uri")) uris.emplace_back(v.data(), v.size());
  if (uris.empty()) {
    for (const auto& v : auth->GetPeerIdentity()) {
      std::string s(v.data(), v.size());
      if (s.rfind("spiffe://", 0) == 0) uris.push_back(s);
    }
  }
  return uris;
}

std::string DevHeader(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kDevIdentityHeader);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

absl::StatusOr<identity::Identity> CallerIdentity(const grpc::ServerContextBase& context,
                                                  std::string_view trust_domain,
                                                  bool insecure_dev_mode) {
  if (insecure_dev_mode) {
    const std::string uri = DevHeader(context);
    if (uri.empty()) return absl::UnauthenticatedError("no x-rusta-dev-identity header");
    return identity::ParseIdentityUri(uri, trust_domain);
  }
  const std::vector<std::string> uris = PeerUris(context);
  if (uris.empty()) return absl::UnauthenticatedError("no verified client certificate identity");
  if (uris.size() > 1) return absl::UnauthenticatedError("client certificate has several URI identities");
  return identity::ParseIdentityUri(uris.front(), trust_domain);
}

std::string CallerForLog(const grpc::ServerContextBase& context, bool insecure_dev_mode) {
  if (insecure_dev_mode) {
    std::string uri = DevHeader(context);
    return uri.empty() ? "-" : uri;
  }
  const std::vector<std::string> uris = PeerUris(context);
  return uris.empty() ? "-" : uris.front();
}

}  // namespace rusta::server
