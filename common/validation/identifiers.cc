#include "common/validation/identifiers.h"

#include <array>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/validation/municipality_codes.h"

namespace rusta::validation {
namespace {

// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so convert explicitly at the boundary.
absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
std::string_view SV(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}
std::string_view Strip(std::string_view s) {
  return SV(absl::StripAsciiWhitespace(AV(s)));
}

absl::Status Invalid(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(AV(field), ": ", AV(reason)));
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int DigitsToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Rounds the civil fields through CivilDay: a date exists iff nothing moved.
bool DateExists(int64_t year, int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  absl::CivilDay d(year, month, day);
  return d.year() == year && d.month() == month && d.day() == day;
}

// Format of a personnummer after whitespace stripping.
struct PersonDigits {
  std::string digits;  // 10 or 12 digits, separator removed
  char separator = 0;  // 0, '-' or '+'
};

absl::StatusOr<PersonDigits> SplitPersonNumber(std::string_view s,
                                               std::string_view field) {
  if (s.empty()) return Invalid(field, "must not be empty");
  PersonDigits out;
  size_t sep_pos = std::string_view::npos;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      out.digits.push_back(c);
    } else if (c == '-' || c == '+') {
      if (sep_pos != std::string_view::npos) {
        return Invalid(field, "must contain at most one separator");
      }
      sep_pos = i;
      out.separator = c;
    } else {
      return Invalid(field,
                     "must contain only digits and an optional '-' or '+' "
                     "separator");
    }
  }
  if (out.digits.size() != 10 && out.digits.size() != 12) {
    return Invalid(field, "must have 10 or 12 digits");
  }
  if (sep_pos != std::string_view::npos) {
    // The separator stands before the last four digits.
    if (sep_pos != s.size() - 5) {
      return Invalid(field, "separator must stand before the last four digits");
    }
    if (out.separator == '+' && out.digits.size() == 12) {
      return Invalid(field, "'+' separator is only allowed in the 10-digit form");
    }
  }
  return out;
}

constexpr std::array<std::string_view, 21> kCountyCodes = {
    "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13",
    "14", "17", "18", "19", "20", "21", "22", "23", "24", "25"};

}  // namespace

bool LuhnValid(std::string_view ten_digits) {
  if (ten_digits.size() != 10 || !AllDigits(ten_digits)) return false;
  int sum = 0;
  for (size_t i = 0; i < ten_digits.size(); ++i) {
    int d = ten_digits[i] - '0';
    if (i % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

absl::StatusOr<PersonNumber> ParsePersonNumber(std::string_view text,
                                               std::string_view field,
                                               absl::CivilDay today) {
  absl::StatusOr<PersonDigits> split =
      SplitPersonNumber(Strip(text), field);
  if (!split.ok()) return split.status();
  const std::string& digits = split->digits;
  const bool twelve = digits.size() == 12;
  // 10-digit form YYMMDDNNNC.
  const std::string_view ten = std::string_view(digits).substr(twelve ? 2 : 0);

  const int month = DigitsToInt(ten.substr(2, 2));
  const int written_day = DigitsToInt(ten.substr(4, 2));
  if (month < 1 || month > 12) return Invalid(field, "no such month");
  bool coordination = false;
  int day = written_day;
  if (written_day >= 61 && written_day <= 91) {
    coordination = true;
    day = written_day - 60;
  } else if (written_day < 1 || written_day > 31) {
    return Invalid(field, "no such day of month");
  }

  int64_t year;
  if (twelve) {
    year = DigitsToInt(std::string_view(digits).substr(0, 4));
  } else {
    const int yy = DigitsToInt(ten.substr(0, 2));
    // Most recent year ending in yy that is not after today's year...
    year = today.year() - ((today.year() - yy) % 100 + 100) % 100;
    // ...moved back a century if that birthday is still to come this year.
    if (year == today.year() &&
        (month > today.month() ||
         (month == today.month() && day > today.day()))) {
      year -= 100;
    }
    if (split->separator == '+') year -= 100;
  }
  if (!DateExists(year, month, day)) return Invalid(field, "no such date");
  const absl::CivilDay birth(year, month, day);
  if (birth > today) return Invalid(field, "birth date is in the future");
  if (!LuhnValid(ten)) return Invalid(field, "check digit does not match");

  PersonNumber out;
  if (twelve) {
    out.normalized = digits;
  } else {
    // year is within 199 years before today, so it has four digits.
    out.normalized = absl::StrCat(year / 100, AV(ten));
  }
  out.coordination_number = coordination;
  out.birth_date = birth;
  out.sex = ((ten[8] - '0') % 2 == 1) ? Sex::kMale : Sex::kFemale;
  return out;
}

int AgeOn(const PersonNumber& person, absl::CivilDay day) {
  const absl::CivilDay& b = person.birth_date;
  int64_t age = day.year() - b.year();
  if (day.month() < b.month() ||
      (day.month() == b.month() && day.day() < b.day())) {
    --age;
  }
  return static_cast<int>(age);
}

absl::StatusOr<std::string> ParseOrganisationNumber(std::string_view text,
                                                    std::string_view field) {
  std::string_view s = Strip(text);
  if (s.empty()) return Invalid(field, "must not be empty");
  std::string digits;
  size_t sep_pos = std::string_view::npos;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c == '-' && sep_pos == std::string_view::npos) {
      sep_pos = i;
    } else {
      return Invalid(field,
                     "must contain only digits and an optional '-' separator");
    }
  }
  if (digits.size() != 10 && digits.size() != 12) {
    return Invalid(field, "must have 10 digits (or 12 with prefix 16)");
  }
  if (sep_pos != std::string_view::npos && sep_pos != s.size() - 5) {
    return Invalid(field, "separator must stand before the last four digits");
  }
  if (digits.size() == 12) {
    if (digits.compare(0, 2, "16") != 0) {
      return Invalid(field, "12-digit form must start with 16");
    }
    digits.erase(0, 2);
  }
  // The third digit of an organisationsnummer is >= 2 ("month" 20-99), which
  // keeps it apart from personnummer, whose third digit is the first digit of
  // a month (0 or 1). Sole traders (enskild näringsidkare) have no
  // organisationsnummer: they use their personnummer, which is rejected here.
  if (digits[2] < '2') {
    return Invalid(field,
                   "third digit must be 2 or higher (a personnummer is not an "
                   "organisationsnummer)");
  }
  if (!LuhnValid(digits)) return Invalid(field, "check digit does not match");
  return digits;
}

absl::StatusOr<std::string> ParsePostalCode(std::string_view text,
                                            std::string_view field) {
  std::string_view s = Strip(text);
  if (s.empty()) return Invalid(field, "must not be empty");
  std::string digits;
  if (s.size() == 5 && AllDigits(s)) {
    digits = std::string(s);
  } else if (s.size() == 6 && s[3] == ' ' && AllDigits(s.substr(0, 3)) &&
             AllDigits(s.substr(4))) {
    digits = absl::StrCat(AV(s.substr(0, 3)), AV(s.substr(4)));
  } else {
    return Invalid(field, "must be 5 digits, written NNNNN or NNN NN");
  }
  if (digits[0] == '0') return Invalid(field, "must not start with 0");
  return digits;
}

bool IsCountyCode(std::string_view code) {
  for (std::string_view c : kCountyCodes) {
    if (c == code) return true;
  }
  return false;
}

absl::Status ValidateMunicipalityCode(std::string_view code,
                                      std::string_view field,
                                      const MunicipalityCodes* known) {
  if (code.empty()) return Invalid(field, "must not be empty");
  if (code.size() != 4 || !AllDigits(code)) {
    return Invalid(field, "must be 4 digits");
  }
  if (!IsCountyCode(code.substr(0, 2))) {
    return Invalid(field, "first two digits are not a Swedish county code");
  }
  if (known != nullptr && known->size() > 0 && !known->Contains(code)) {
    return Invalid(field, "unknown municipality");
  }
  return absl::OkStatus();
}

absl::Status RequireText(std::string_view text, std::string_view field, size_t max) {
  bool blank = true;
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
      blank = false;
      break;
    }
  }
  if (blank) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
  if (text.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": at most ", max, " characters"));
  }
  return absl::OkStatus();
}

absl::Status RequireId(std::string_view id, std::string_view field, size_t max_length) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": required"));
  if (id.size() > max_length) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": at most ", max_length, " characters"));
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != ':') {
      return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": not an id this suite issues"));
    }
  }
  return absl::OkStatus();
}

absl::Status RequireNonEmpty(std::string_view value, std::string_view field) {
  if (value.empty()) return Invalid(field, "must not be empty");
  return absl::OkStatus();
}

absl::Status RequireRange(int64_t v, int64_t lo, int64_t hi,
                          std::string_view field) {
  if (v < lo || v > hi) {
    return Invalid(field, absl::StrCat("must be between ", lo, " and ", hi));
  }
  return absl::OkStatus();
}

absl::Status RequireMaxLength(std::string_view v, size_t max,
                              std::string_view field) {
  if (v.size() > max) {
    return Invalid(field, absl::StrCat("must be at most ", max, " bytes long"));
  }
  return absl::OkStatus();
}

}  // namespace rusta::validation
