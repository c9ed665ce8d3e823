#pragma once
// Who is calling: parsed from the URI SAN of the caller's verified client certificate,
// spiffe://<trust-domain>/<role>/<id>, e.g.
//   spiffe://rusta.local/caseworker/cw-0001
//   spiffe://rusta.local/provider/5560360793        (id: organisationsnummer)
//   spiffe://rusta.local/municipality/1480          (id: kommunkod)
//   spiffe://rusta.local/service/referral           (id: service name)
// Plain C++: no gRPC types here (see common/server/caller_identity.h for the adapter).
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rusta::identity {

enum class Role {
  kCaseworker,
  kEmploymentOfficer,
  kSupportGroup,
  kProviderFollowUp,
  kProvider,
  kMunicipality,
  kAuditor,
  kAdmin,
  kService,
};

// The path segment of the role in identity URIs ("caseworker", "employment-officer", ...).
std::string_view RoleSegment(Role role);
// The rusta.v1.Role enum number of the role (the proto's numbering).
int RoleProtoNumber(Role role);

struct Identity {
  std::string uri;  // the full SAN URI
  Role role;
  std::string id;   // the last path segment
};

// Checks the scheme, the trust domain, a known role and an id of the right form for the role
// (organisationsnummer for providers, kommunkod for municipalities, otherwise [A-Za-z0-9._-]{1,64}).
// UNAUTHENTICATED with the reason when it does not fit.
absl::StatusOr<Identity> ParseIdentityUri(std::string_view uri, std::string_view trust_domain);

// The identity a service acts as on its own (a scheduler, an engine): the one its certificate
// names, spiffe://<trust domain>/service/<name>, taken from the configured trust domain.
Identity ServiceIdentity(std::string_view trust_domain, std::string_view service_name);

}  // namespace rusta::identity
