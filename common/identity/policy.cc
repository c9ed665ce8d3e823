#include "common/identity/policy.h"

#include "absl/strings/str_cat.h"

namespace rusta::identity {

Policy& Policy::Allow(std::string_view method, std::initializer_list<Role> roles) {
  rules_[std::string(method)].insert(roles.begin(), roles.end());
  return *this;
}

absl::Status Policy::Check(std::string_view method, const Identity& caller) const {
  auto it = rules_.find(method);
  if (it != rules_.end() && it->second.count(caller.role) > 0) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("role ", std::string(RoleSegment(caller.role)), " may not call ", std::string(method)));
}

}  // namespace rusta::identity
