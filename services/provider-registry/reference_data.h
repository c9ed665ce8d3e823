#pragma once
// The reference data the registry starts from (../shared/data in tests and scripts/run; the
// `reference-data-dir` setting): municipalities with county and coordinates, and postal codes with
// locality and municipality. Files without quoting, as published there.
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rusta/v1/provider_registry.pb.h"

namespace rusta::registry {

struct PostalEntry {
  std::string locality;
  std::string municipality_code;
};

struct ReferenceData {
  std::vector<rusta::v1::Municipality> municipalities;  // by code
  std::map<std::string, PostalEntry> postal_codes;      // by 5-digit postal code
};

// municipalities.csv + municipality_coordinates.csv + counties.csv + postal_to_municipality.csv.
// An empty directory name gives empty data. A malformed file is an error naming file and line.
absl::StatusOr<ReferenceData> LoadReferenceData(const std::string& directory);

}  // namespace rusta::registry
