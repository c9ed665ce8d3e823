#pragma once
// The register a reported result is checked against at its 4-month mark (domain.md section 3,
// step 6: "proven by a verification"). An interface, so that a real register (employment records,
// study registers) can replace the file-based one used in tests and demonstrations.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace rusta::referral {

// One employment or study period of a person, as the register knows it.
struct RegisterRecord {
  std::string person_id;            // 12 digits
  std::string organisation_number;  // employer or school, may be empty
  std::string organisation_name;
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;  // unset: ongoing
  int extent_percent = 100;
  bool subsidised = false;
  std::string reference;  // where the record came from, e.g. "results.csv:12"
};

class ResultRegister {
 public:
  virtual ~ResultRegister() = default;
  // Every record of the person (empty when none). UNAVAILABLE when the register cannot answer.
  virtual absl::StatusOr<std::vector<RegisterRecord>> Records(const std::string& person_id) const = 0;
};

// A CSV file with the header
//   person_id,organisation_number,organisation_name,start_date,end_date,extent_percent,subsidised
// (dates YYYY-MM-DD, end_date empty when ongoing, subsidised yes/no). Loading refuses a malformed
// line with INVALID_ARGUMENT "<path>:<line>: <reason>".
absl::StatusOr<std::unique_ptr<ResultRegister>> LoadCsvResultRegister(const std::string& path);

}  // namespace rusta::referral
