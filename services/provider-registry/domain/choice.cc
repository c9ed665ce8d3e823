// The choice search, white spots and the proximity rule (see choice.h).
//
// Decisions where the header leaves room:
// - A contract whose area id is not in the snapshot covers nothing. The municipality code is not
//   looked up in snapshot.municipalities: an unknown code simply has no provider (the adapter
//   validates codes before calling).
// - Languages are compared exactly as stored ("sv" does not match "SV").
// - A provider's nearest office is its nearest office anywhere (offices are not tied to areas);
//   equal distances go to the lowest office id. A provider without an office sorts after every
//   provider with one, in both orders.
// - FindNearest, several contracts of one provider covering the home (overlapping areas): the
//   provider is assigned through the first area (lowest area id) whose contract still has capacity;
//   it counts as full only when every covering contract is full.
// - The 1-metre tie is measured from the nearest provider that still has capacity: every provider
//   with capacity within 1 m of that distance is tied (no chaining through intermediate ones).
//   The tie is broken by the fewest default assignments in each one's area, then by the lowest
//   organisation number. tie_break is kNone when nobody is tied, kFewestAssignments when the counts
//   alone decided, kOrganisationNumber when the lowest count was itself shared. tied_with lists the
//   other tied providers by organisation number.
// - skipped_for_capacity lists the full providers that would otherwise have been in contention:
//   those whose nearest office is within the 1-metre tie margin of the nearest provider with
//   capacity, or nearer, nearest first (then organisation number). Excluded providers and providers
//   without an office are left out silently.
#include "services/provider-registry/domain/choice.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/provider-registry/domain/geo.h"

namespace rusta::registry {

namespace {

constexpr double kTieMarginMeters = 1.0;
constexpr double kNoDistance = std::numeric_limits<double>::infinity();

// The active contracts of approved providers whose area contains the municipality, by provider.
SnapshotIndex BuildIndex(const RegistrySnapshot& snapshot) {
  SnapshotIndex index;
  for (size_t i = 0; i < snapshot.offices.size(); ++i) {
    index.offices_by_provider[snapshot.offices[i].organisation_number].push_back(i);
  }
  for (size_t i = 0; i < snapshot.contracts.size(); ++i) {
    auto area = snapshot.areas.find(snapshot.contracts[i].area_id);
    if (area == snapshot.areas.end()) continue;  // a contract for an unknown area covers nothing
    for (const std::string& code : area->second.municipality_codes) {
      index.contracts_by_municipality[code].push_back(i);
    }
  }
  return index;
}

std::shared_ptr<const SnapshotIndex> IndexOf(const RegistrySnapshot& snapshot) {
  if (snapshot.index) return snapshot.index;
  return std::make_shared<const SnapshotIndex>(BuildIndex(snapshot));
}

std::map<std::string, std::vector<const ContractInfo*>> CoveringContracts(
    const RegistrySnapshot& snapshot, const std::string& municipality_code, absl::CivilDay day) {
  std::map<std::string, std::vector<const ContractInfo*>> covering;
  const std::shared_ptr<const SnapshotIndex> index = IndexOf(snapshot);
  auto positions = index->contracts_by_municipality.find(municipality_code);
  if (positions == index->contracts_by_municipality.end()) return covering;
  for (size_t position : positions->second) {
    const ContractInfo& contract = snapshot.contracts[position];
    if (!contract.ActiveOn(day)) continue;
    auto provider = snapshot.providers.find(contract.organisation_number);
    if (provider == snapshot.providers.end() ||
        provider->second.status != ProviderStatus::kApproved) {
      continue;
    }
    auto area = snapshot.areas.find(contract.area_id);
    if (area == snapshot.areas.end() ||
        area->second.municipality_codes.count(municipality_code) == 0) {
      continue;
    }
    covering[contract.organisation_number].push_back(&contract);
  }
  for (auto& [org, contracts] : covering) {
    std::sort(contracts.begin(), contracts.end(), [](const ContractInfo* a, const ContractInfo* b) {
      return std::tie(a->area_id, a->contract_id) < std::tie(b->area_id, b->contract_id);
    });
  }
  return covering;
}

struct NearestOffice {
  std::string office_id;
  double distance_m = kNoDistance;
};

// The organisation number of an entry of a set of them or of a map keyed by them.
inline const std::string& ProviderKey(const std::string& org) { return org; }
template <typename Value>
const std::string& ProviderKey(const std::pair<const std::string, Value>& entry) { return entry.first; }

// The nearest office to `home` of every provider in `providers` that has one.
template <typename ProviderMap>
std::map<std::string, NearestOffice> NearestOffices(const RegistrySnapshot& snapshot,
                                                    const ProviderMap& providers,
                                                    const GeoPoint& home) {
  std::map<std::string, NearestOffice> nearest;
  const std::shared_ptr<const SnapshotIndex> index = IndexOf(snapshot);
  for (const auto& entry : providers) {
    const std::string& org = ProviderKey(entry);
    auto positions = index->offices_by_provider.find(org);
    if (positions == index->offices_by_provider.end()) continue;
    for (size_t position : positions->second) {
      const OfficeInfo& office = snapshot.offices[position];
      const double distance = DistanceMeters(home, office.location);
      auto [it, inserted] = nearest.try_emplace(office.organisation_number);
      NearestOffice& best = it->second;
      if (inserted || distance < best.distance_m ||
          (distance == best.distance_m && office.office_id < best.office_id)) {
        best.office_id = office.office_id;
        best.distance_m = distance;
      }
    }
  }
  return nearest;
}

}  // namespace

void IndexSnapshot(RegistrySnapshot& snapshot) {
  snapshot.index = std::make_shared<const SnapshotIndex>(BuildIndex(snapshot));
}

namespace {

bool OffersAll(const ProviderInfo& provider, const std::vector<std::string>& languages) {
  return std::all_of(languages.begin(), languages.end(), [&](const std::string& language) {
    return provider.languages.count(language) > 0;
  });
}

int Assignments(const RegistrySnapshot& snapshot, const std::string& org,
                const std::string& area_id) {
  auto it = snapshot.assignments.find(absl::StrCat(org, "|", area_id));
  return it == snapshot.assignments.end() ? 0 : it->second;
}

bool HasCapacity(const RegistrySnapshot& snapshot, const ContractInfo& contract) {
  return contract.capacity <= 0 ||
         Assignments(snapshot, contract.organisation_number, contract.area_id) < contract.capacity;
}

}  // namespace

std::vector<std::string> ProvidersServing(const RegistrySnapshot& snapshot,
                                          const std::string& municipality_code,
                                          absl::CivilDay day) {
  std::vector<std::string> providers;
  for (const auto& [org, contracts] : CoveringContracts(snapshot, municipality_code, day)) {
    providers.push_back(org);
  }
  return providers;  // ascending: the map's order
}

std::vector<ChoiceRow> SearchForChoice(const RegistrySnapshot& snapshot,
                                       const std::string& municipality_code, const GeoPoint& home,
                                       absl::CivilDay day, const ChoiceFilter& filter,
                                       ChoiceOrder order) {
  std::set<std::string> candidates;
  for (const auto& [org, contracts] : CoveringContracts(snapshot, municipality_code, day)) {
    const ProviderInfo& provider = snapshot.providers.at(org);
    if (!OffersAll(provider, filter.languages)) continue;
    if (filter.remote_delivery && provider.remote_delivery != *filter.remote_delivery) continue;
    candidates.insert(org);
  }
  const std::map<std::string, NearestOffice> nearest = NearestOffices(snapshot, candidates, home);

  struct Keyed {
    ChoiceRow row;
    double distance = kNoDistance;  // infinity without an office, so those sort last
    std::optional<int> stars;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(candidates.size());
  for (const std::string& org : candidates) {
    Keyed k;
    k.row.organisation_number = org;
    k.stars = snapshot.providers.at(org).stars;
    if (auto it = nearest.find(org); it != nearest.end()) {
      k.row.nearest_office_id = it->second.office_id;
      k.row.nearest_office_distance_m = it->second.distance_m;
      k.distance = it->second.distance_m;
    }
    keyed.push_back(std::move(k));
  }

  auto by_distance = [](const Keyed& a, const Keyed& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    return a.row.organisation_number < b.row.organisation_number;
  };
  if (order == ChoiceOrder::kRating) {
    std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
      if (a.stars.has_value() != b.stars.has_value()) return a.stars.has_value();
      if (a.stars && *a.stars != *b.stars) return *a.stars > *b.stars;
      return by_distance(a, b);
    });
  } else {
    std::sort(keyed.begin(), keyed.end(), by_distance);
  }

  std::vector<ChoiceRow> rows;
  rows.reserve(keyed.size());
  for (Keyed& k : keyed) rows.push_back(std::move(k.row));
  return rows;
}

std::vector<std::string> WhiteSpots(const RegistrySnapshot& snapshot, absl::CivilDay day,
                                    const std::string& county_code) {
  std::set<std::string> served;
  for (const ContractInfo& contract : snapshot.contracts) {
    if (!contract.ActiveOn(day)) continue;
    auto provider = snapshot.providers.find(contract.organisation_number);
    if (provider == snapshot.providers.end() ||
        provider->second.status != ProviderStatus::kApproved) {
      continue;
    }
    auto area = snapshot.areas.find(contract.area_id);
    if (area == snapshot.areas.end()) continue;
    served.insert(area->second.municipality_codes.begin(), area->second.municipality_codes.end());
  }
  std::vector<std::string> white;
  for (const auto& [code, municipality] : snapshot.municipalities) {
    if (!county_code.empty() && municipality.county_code != county_code) continue;
    if (served.count(code) == 0) white.push_back(code);
  }
  return white;  // ascending: the map's order
}

absl::StatusOr<NearestResult> FindNearest(const RegistrySnapshot& snapshot,
                                          const std::string& municipality_code,
                                          const GeoPoint& home, absl::CivilDay day,
                                          const std::vector<std::string>& excluded) {
  const std::set<std::string> excluded_set(excluded.begin(), excluded.end());
  std::map<std::string, std::vector<const ContractInfo*>> covering =
      CoveringContracts(snapshot, municipality_code, day);
  for (const std::string& org : excluded_set) covering.erase(org);
  if (covering.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no approved provider (other than those excluded) has "
                     "an active contract covering municipality ",
                     municipality_code, " on ", absl::FormatCivilTime(day)));
  }
  const std::map<std::string, NearestOffice> nearest = NearestOffices(snapshot, covering, home);

  struct Candidate {
    std::string org;
    double distance = 0;
    std::string office_id;
    const ContractInfo* contract = nullptr;  // the first covering contract with capacity, if any
  };
  std::vector<Candidate> candidates;
  for (const auto& [org, contracts] : covering) {
    auto office = nearest.find(org);
    if (office == nearest.end()) continue;  // without an office a provider is never "nearest"
    Candidate c{org, office->second.distance_m, office->second.office_id, nullptr};
    for (const ContractInfo* contract : contracts) {
      if (HasCapacity(snapshot, *contract)) {
        c.contract = contract;
        break;
      }
    }
    candidates.push_back(std::move(c));
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.distance, a.org) < std::tie(b.distance, b.org);
  });

  auto first_open = std::find_if(candidates.begin(), candidates.end(),
                                 [](const Candidate& c) { return c.contract != nullptr; });
  if (first_open == candidates.end()) {
    return absl::NotFoundError(absl::StrCat("every provider with an office covering municipality ",
                                            municipality_code, " on ", absl::FormatCivilTime(day),
                                            " is at capacity or has no office (", covering.size(),
                                            " covering, ", candidates.size(), " with an office)"));
  }
  const double limit = first_open->distance + kTieMarginMeters;

  std::vector<const Candidate*> tied;
  for (auto it = first_open; it != candidates.end() && it->distance <= limit; ++it) {
    if (it->contract != nullptr) tied.push_back(&*it);
  }
  auto count_of = [&](const Candidate* c) {
    return Assignments(snapshot, c->org, c->contract->area_id);
  };

  NearestResult result;
  const Candidate* winner = tied.front();
  if (tied.size() > 1) {
    int fewest = std::numeric_limits<int>::max();
    for (const Candidate* c : tied) fewest = std::min(fewest, count_of(c));
    std::vector<const Candidate*> with_fewest;
    for (const Candidate* c : tied) {
      if (count_of(c) == fewest) with_fewest.push_back(c);
    }
    winner =
        *std::min_element(with_fewest.begin(), with_fewest.end(),
                          [](const Candidate* a, const Candidate* b) { return a->org < b->org; });
    result.tie_break =
        with_fewest.size() == 1 ? TieBreak::kFewestAssignments : TieBreak::kOrganisationNumber;
    for (const Candidate* c : tied) {
      if (c != winner) result.tied_with.push_back(c->org);
    }
    std::sort(result.tied_with.begin(), result.tied_with.end());
  }
  result.organisation_number = winner->org;
  result.area_id = winner->contract->area_id;
  result.office_id = winner->office_id;
  result.distance_m = winner->distance;

  for (const Candidate& c : candidates) {
    if (c.distance > limit) break;
    if (c.contract == nullptr) result.skipped_for_capacity.push_back(c.org);
  }
  return result;
}

}  // namespace rusta::registry
