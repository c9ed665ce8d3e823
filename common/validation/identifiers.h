// Validation of Swedish identifiers and generic request-field checks.
//
// Every error is an absl::Status with code INVALID_ARGUMENT and a message of
// the form "<field>: <reason>", where <field> is the request field path the
// caller passes in (e.g. "person.personnummer"). Messages never echo the
// input value: it may be a personal identity number.
#ifndef RUSTA_COMMON_VALIDATION_IDENTIFIERS_H_
#define RUSTA_COMMON_VALIDATION_IDENTIFIERS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace rusta::validation {

class MunicipalityCodes;

enum class Sex { kFemale, kMale };

// A validated personnummer or samordningsnummer.
struct PersonNumber {
  // Always 12 digits, YYYYMMDDNNNC, no separator. For a samordningsnummer
  // the day keeps its +60 offset, as written.
  std::string normalized;
  // True for a samordningsnummer (coordination number, day 61-91).
  bool coordination_number = false;
  // The real birth date (for a samordningsnummer the day minus 60).
  absl::CivilDay birth_date;
  // From the 9th digit of the 10-digit form: odd = male, even = female.
  Sex sex = Sex::kFemale;
};

// Parses a personnummer or samordningsnummer. Accepted forms:
//   YYMMDD-NNNC, YYMMDD+NNNC (+ : the person is 100 years or older),
//   YYMMDDNNNC, YYYYMMDDNNNC, YYYYMMDD-NNNC.
// Leading and trailing ASCII whitespace is ignored. The check digit C is
// the Luhn digit over the 10-digit form. For the 10-digit form the century
// is inferred from `today`: the most recent year such that the birth date is
// not after `today` ("-" or no separator, under 100 years old) or that year
// minus 100 ("+"). The birth date must exist and must not be after `today`.
absl::StatusOr<PersonNumber> ParsePersonNumber(std::string_view text,
                                               std::string_view field,
                                               absl::CivilDay today);

// Age in completed years on `day`. Someone born on 29 February turns a year
// older on 1 March in non-leap years. Negative if `day` is before birth.
int AgeOn(const PersonNumber& person, absl::CivilDay day);

// Parses an organisationsnummer of a legal person and returns it as 10
// digits. Accepted forms: NNNNNN-NNNN, NNNNNNNNNN, and the 12-digit form with
// prefix "16" (16NNNNNNNNNN or 16NNNNNN-NNNN). The last digit is the Luhn
// check digit over the 10 digits and the third digit must be >= 2.
// A sole trader (enskild firma) has no organisationsnummer of its own but
// uses the owner's personnummer, whose third digit (first month digit) is 0
// or 1: this function rejects it; use ParsePersonNumber for such parties.
absl::StatusOr<std::string> ParseOrganisationNumber(std::string_view text,
                                                    std::string_view field);

// Parses a Swedish postal code ("NNNNN" or "NNN NN", first digit 1-9) and
// returns it as 5 digits without space.
absl::StatusOr<std::string> ParsePostalCode(std::string_view text,
                                            std::string_view field);

// Validates a kommunkod: 4 digits whose first two are one of the 21 county
// codes. When `known` is non-null and non-empty, the code must also be in it.
absl::Status ValidateMunicipalityCode(std::string_view code,
                                      std::string_view field,
                                      const MunicipalityCodes* known);

// True if `code` is one of the 21 Swedish county codes (länskod), e.g. "01".
bool IsCountyCode(std::string_view code);

// Generic checks for RPC handlers.
absl::Status RequireNonEmpty(std::string_view value, std::string_view field);
// Inclusive range [lo, hi].
absl::Status RequireRange(int64_t v, int64_t lo, int64_t hi,
                          std::string_view field);
// Free text a person must write (a justification, a reason): INVALID_ARGUMENT "<field>: required"
// when empty or only whitespace, "<field>: at most <max> characters" when longer (bytes).
absl::Status RequireText(std::string_view text, std::string_view field, size_t max);
// An id this suite issued: 1..max_length of [A-Za-z0-9._:-]. INVALID_ARGUMENT "<field>: required",
// "<field>: at most <n> characters" or "<field>: not an id this suite issues".
absl::Status RequireId(std::string_view id, std::string_view field, size_t max_length);
// Length in bytes (UTF-8 code units) at most `max`.
absl::Status RequireMaxLength(std::string_view v, size_t max,
                              std::string_view field);

// Luhn (mod 10) check over exactly 10 ASCII digits, weights 2,1,2,1,...
// from the left. False for any other length or a non-digit.
bool LuhnValid(std::string_view ten_digits);

}  // namespace rusta::validation

#endif  // RUSTA_COMMON_VALIDATION_IDENTIFIERS_H_
