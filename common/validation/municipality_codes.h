// Reference data loaders for municipality codes (kommunkoder) and the
// postal code -> municipality directory. The files live outside the
// repository (../shared/data/ by default); callers pass the path.
#ifndef RUSTA_COMMON_VALIDATION_MUNICIPALITY_CODES_H_
#define RUSTA_COMMON_VALIDATION_MUNICIPALITY_CODES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace rusta::validation {

// A set of known 4-digit municipality codes (leading zeros kept).
class MunicipalityCodes {
 public:
  MunicipalityCodes() = default;

  // Reads a CSV file with a header line containing a `municipality_code`
  // column (as municipalities.csv). Errors: NOT_FOUND if the file cannot be
  // opened; INVALID_ARGUMENT "<path>:<line>: <reason>" on a missing column,
  // a row with the wrong number of fields, a malformed code or a duplicate.
  static absl::StatusOr<MunicipalityCodes> LoadCsv(const std::string& path);

  bool Contains(std::string_view code) const;
  size_t size() const { return codes_.size(); }
  bool empty() const { return codes_.empty(); }
  // Adds a code as is (no validation); adding twice is harmless.
  void Add(std::string code);

 private:
  absl::flat_hash_set<std::string> codes_;
};

// Postal code -> municipality code, from postal_to_municipality.csv
// (columns postal_code and municipality_code, among others).
class PostalCodeDirectory {
 public:
  PostalCodeDirectory() = default;

  // Same error conventions as MunicipalityCodes::LoadCsv. A postal code
  // listed twice with different municipalities is an error.
  static absl::StatusOr<PostalCodeDirectory> LoadCsv(const std::string& path);

  // `postal` may be "NNNNN" or "NNN NN". nullopt if malformed or unknown.
  std::optional<std::string> MunicipalityOf(std::string_view postal) const;
  size_t size() const { return map_.size(); }

 private:
  absl::flat_hash_map<std::string, std::string> map_;
};

}  // namespace rusta::validation

#endif  // RUSTA_COMMON_VALIDATION_MUNICIPALITY_CODES_H_
