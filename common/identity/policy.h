#pragma once
// Which roles may call which RPC: one table per service, one check per call. Fails closed: a
// method missing from the table is denied to everyone (a test per service checks that every RPC
// of its proto service is in the table).
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/identity/identity.h"

namespace rusta::identity {

class Policy {
 public:
  // method: the RPC's short name ("Assess"); roles: who may call it.
  Policy& Allow(std::string_view method, std::initializer_list<Role> roles);
  // PERMISSION_DENIED naming the method and role when not allowed.
  absl::Status Check(std::string_view method, const Identity& caller) const;
  bool Covers(std::string_view method) const { return rules_.count(method) > 0; }

 private:
  std::map<std::string, std::set<Role>, std::less<>> rules_;
};

}  // namespace rusta::identity
