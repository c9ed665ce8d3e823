#pragma once
// The choice search (the providers a participant chooses among), white spots (vita fläckar), and
// the proximity rule (närhetsprincip) for default assignment. Pure functions over a snapshot.
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/provider-registry/domain/registry_types.h"

namespace rusta::registry {

// The rule version recorded with every default assignment.
inline constexpr char kProximityRuleVersion[] = "proximity/1";

// Builds snapshot.index from the offices, contracts and areas (call after filling them).
void IndexSnapshot(RegistrySnapshot& snapshot);

// Providers that may be chosen by someone living in `municipality_code` on `day`: approved, with a
// contract active on that day for an area that contains the municipality.
std::vector<std::string> ProvidersServing(const RegistrySnapshot& snapshot,
                                          const std::string& municipality_code, absl::CivilDay day);

enum class ChoiceOrder { kRating, kDistance };

struct ChoiceFilter {
  std::vector<std::string> languages;  // the provider must offer every one (empty: any)
  std::optional<bool> remote_delivery;
};

struct ChoiceRow {
  std::string organisation_number;
  std::optional<std::string> nearest_office_id;  // none when the provider has no office
  double nearest_office_distance_m = -1;         // -1 without an office
};

// ProvidersServing, filtered, ordered by rating (stars descending, unrated last, then distance,
// then organisation number) or by distance (nearest office ascending, providers without an office
// last, then organisation number). `home` is the participant's home point.
std::vector<ChoiceRow> SearchForChoice(const RegistrySnapshot& snapshot,
                                       const std::string& municipality_code, const GeoPoint& home,
                                       absl::CivilDay day, const ChoiceFilter& filter,
                                       ChoiceOrder order);

// Municipalities (codes, ascending) that no approved provider serves on `day`; optionally only one
// county.
std::vector<std::string> WhiteSpots(const RegistrySnapshot& snapshot, absl::CivilDay day,
                                    const std::string& county_code = "");

enum class TieBreak { kNone, kFewestAssignments, kOrganisationNumber };

struct NearestResult {
  std::string organisation_number;
  std::string area_id;             // the area whose contract covers the home
  std::string office_id;
  double distance_m = 0;
  TieBreak tie_break = TieBreak::kNone;
  std::vector<std::string> tied_with;             // other providers at the same distance
  std::vector<std::string> skipped_for_capacity;  // nearer ones that were full
};

// The approved provider with an active contract covering the home municipality whose nearest office
// is closest to `home`. Distances within 1 metre count as a tie, broken first by the fewest default
// assignments in the area, then by the lowest organisation number; the tie-break used is reported.
// A provider whose contract's capacity (>0) is reached in that area is skipped (and reported).
// Providers without any office are never chosen (they cannot be "nearest"). NOT_FOUND when no
// provider qualifies (a white spot, or all full); `excluded` are left out (e.g. the participant's
// previous provider).
absl::StatusOr<NearestResult> FindNearest(const RegistrySnapshot& snapshot,
                                          const std::string& municipality_code,
                                          const GeoPoint& home, absl::CivilDay day,
                                          const std::vector<std::string>& excluded);

}  // namespace rusta::registry
