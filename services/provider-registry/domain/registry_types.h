#pragma once
// The provider registry's vocabulary in plain C++ (no protobuf, gRPC or Redis types). The gRPC
// adapter converts the stored protos into a RegistrySnapshot and calls the pure functions of
// choice.h, ratings.h and lifecycle.h on it.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"

namespace rusta::registry {

struct GeoPoint {
  double latitude = 0;
  double longitude = 0;
};

enum class ProviderStatus { kApplied, kApproved, kRejected, kSuspended, kTerminated };
enum class Level { kA, kB, kC };

struct MunicipalityInfo {
  std::string code;        // kommunkod
  std::string name;
  std::string county_code;
  GeoPoint location;
};

struct ProviderInfo {
  std::string organisation_number;
  std::string name;
  ProviderStatus status = ProviderStatus::kApplied;
  std::set<std::string> languages;  // as given, e.g. "sv", "ar", "en"
  bool remote_delivery = false;
  std::optional<absl::CivilDay> approved_since;
  std::optional<int> stars;          // from the latest rating run, when rated
};

struct AreaInfo {
  std::string area_id;
  std::string name;
  std::set<std::string> municipality_codes;
};

struct ContractInfo {
  std::string contract_id;
  std::string organisation_number;
  std::string area_id;
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;  // inclusive; open-ended when unset
  int capacity = 0;                   // default assignments per area; 0 = no limit

  bool ActiveOn(absl::CivilDay day) const { return start <= day && (!end || day <= *end); }
};

struct OfficeInfo {
  std::string office_id;
  std::string organisation_number;
  GeoPoint location;
};

// Lookups the choice search and the proximity rule need on every call, built once per snapshot
// (IndexSnapshot in choice.h) so that a call costs in proportion to the providers that serve a
// municipality, not to the whole registry.
struct SnapshotIndex {
  std::map<std::string, std::vector<size_t>> offices_by_provider;       // org → positions in offices
  std::map<std::string, std::vector<size_t>> contracts_by_municipality;  // code → positions in contracts
};

// Everything the choice search and the proximity rule look at.
struct RegistrySnapshot {
  std::map<std::string, MunicipalityInfo> municipalities;  // by code
  std::map<std::string, ProviderInfo> providers;           // by organisation number
  std::map<std::string, AreaInfo> areas;                   // by area id
  std::vector<ContractInfo> contracts;
  std::vector<OfficeInfo> offices;
  // Default assignments made so far, by "<organisation number>|<area id>" (capacity).
  std::map<std::string, int> assignments;
  // Built by IndexSnapshot; when null, each call builds what it needs (tests, small snapshots).
  std::shared_ptr<const SnapshotIndex> index;
};

}  // namespace rusta::registry
