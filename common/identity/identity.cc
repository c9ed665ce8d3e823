#include "common/identity/identity.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rusta::identity {
namespace {

constexpr std::array<std::pair<std::string_view, Role>, 9> kRoles = {{
    {"caseworker", Role::kCaseworker},
    {"employment-officer", Role::kEmploymentOfficer},
    {"support-group", Role::kSupportGroup},
    {"provider-follow-up", Role::kProviderFollowUp},
    {"provider", Role::kProvider},
    {"municipality", Role::kMunicipality},
    {"auditor", Role::kAuditor},
    {"admin", Role::kAdmin},
    {"service", Role::kService},
}};

bool AllDigits(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) if (!absl::ascii_isdigit(c)) return false;
  return true;
}

bool PlainId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::string_view RoleSegment(Role role) {
  for (const auto& [segment, r] : kRoles) if (r == role) return segment;
  return "unknown";
}

int RoleProtoNumber(Role role) {
  // rusta.v1.Role: CASEWORKER = 1 ... SERVICE = 9, in the order of the enum above.
  return static_cast<int>(role) + 1;
}

absl::StatusOr<Identity> ParseIdentityUri(std::string_view uri, std::string_view trust_domain) {
  const std::string prefix = absl::StrCat("spiffe://", std::string(trust_domain), "/");
  if (uri.substr(0, prefix.size()) != prefix) {
    return absl::UnauthenticatedError("certificate identity is not in this trust domain");
  }
  std::string_view path = uri.substr(prefix.size());
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) {
    return absl::UnauthenticatedError("certificate identity has no id");
  }
  std::string_view segment = path.substr(0, slash);
  std::string_view id = path.substr(slash + 1);
  for (const auto& [name, role] : kRoles) {
    if (name != segment) continue;
    bool valid = false;
    switch (role) {
      case Role::kProvider: valid = AllDigits(id, 10); break;
      case Role::kMunicipality: valid = AllDigits(id, 4); break;
      default: valid = PlainId(id);
    }
    if (!valid) return absl::UnauthenticatedError("certificate identity has a malformed id");
    return Identity{std::string(uri), role, std::string(id)};
  }
  return absl::UnauthenticatedError("certificate identity has an unknown role");
}

Identity ServiceIdentity(std::string_view trust_domain, std::string_view service_name) {
  return Identity{absl::StrCat("spiffe://", absl::string_view(trust_domain.data(), trust_domain.size()), "/service/",
                               absl::string_view(service_name.data(), service_name.size())),
                  Role::kService, std::string(service_name)};
}

}  // namespace rusta::identity
