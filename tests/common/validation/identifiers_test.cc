#include "common/validation/identifiers.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/validation/municipality_codes.h"
#include "gtest/gtest.h"

namespace rusta::validation {
namespace {

constexpr char kField[] = "person.personnummer";
const absl::CivilDay kToday(2024, 6, 15);

// Independent Luhn, written right to left as usually published: the rightmost
// payload digit is doubled, then every second one going left. Returns the
// payload with its check digit appended.
std::string WithCheckDigit(const std::string& payload) {
  int sum = 0;
  bool dbl = true;
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    int d = *it - '0';
    if (dbl) d = (d * 2) / 10 + (d * 2) % 10;
    sum += d;
    dbl = !dbl;
  }
  return payload + static_cast<char>('0' + (10 - sum % 10) % 10);
}

// The same number with a wrong check digit.
std::string WithWrongCheckDigit(const std::string& payload) {
  std::string good = WithCheckDigit(payload);
  good.back() = static_cast<char>('0' + (good.back() - '0' + 1) % 10);
  return good;
}

void ExpectInvalid(const absl::Status& st, const std::string& field,
                   const std::string& reason_part) {
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(std::string(st.message().substr(0, field.size() + 2)), field + ": ")
      << st;
  EXPECT_NE(st.message().find(reason_part), std::string::npos) << st;
}

TEST(IndependentLuhnTest, MatchesPublishedNumbers) {
  // Published valid numbers: Tolvan Tolvansson and Volvo AB.
  EXPECT_EQ(WithCheckDigit("121212121"), "1212121212");
  EXPECT_EQ(WithCheckDigit("556012579"), "5560125790");
}

TEST(LuhnValidTest, Basics) {
  EXPECT_TRUE(LuhnValid("1212121212"));
  EXPECT_TRUE(LuhnValid("5560125790"));
  EXPECT_TRUE(LuhnValid(WithCheckDigit("811218987")));
  EXPECT_FALSE(LuhnValid(WithWrongCheckDigit("811218987")));
  EXPECT_FALSE(LuhnValid("1212121213"));
  EXPECT_FALSE(LuhnValid("121212121"));
  EXPECT_FALSE(LuhnValid("12121212121"));
  EXPECT_FALSE(LuhnValid("12121212a2"));
  EXPECT_FALSE(LuhnValid(""));
}

// ---- personnummer ----------------------------------------------------------

TEST(PersonNumberTest, TolvanTwelveDigitsWithDash) {
  auto p = ParsePersonNumber("19121212-1212", kField, kToday);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->normalized, "191212121212");
  EXPECT_FALSE(p->coordination_number);
  EXPECT_EQ(p->birth_date, absl::CivilDay(1912, 12, 12));
  EXPECT_EQ(p->sex, Sex::kMale);  // 9th digit 1
}

TEST(PersonNumberTest, TwelveDigitsNoSeparator) {
  auto p = ParsePersonNumber("191212121212", kField, kToday);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->normalized, "191212121212");
}

TEST(PersonNumberTest, TenDigitsCenturyFromToday) {
  // Dash or no separator: under 100 years old, so 2012.
  for (const char* text : {"121212-1212", "1212121212"}) {
    auto p = ParsePersonNumber(text, kField, kToday);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->normalized, "201212121212");
    EXPECT_EQ(p->birth_date, absl::CivilDay(2012, 12, 12));
  }
}

TEST(PersonNumberTest, PlusMeansHundredOrOlder) {
  auto p = ParsePersonNumber("121212+1212", kField, kToday);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->normalized, "191212121212");
  EXPECT_EQ(p->birth_date, absl::CivilDay(1912, 12, 12));
  EXPECT_GE(AgeOn(*p, kToday), 100);
}

TEST(PersonNumberTest, CenturyBoundaryAroundToday) {
  // Born today: this century.
  auto today = ParsePersonNumber(WithCheckDigit("240615123"), kField, kToday);
  ASSERT_TRUE(today.ok()) << today.status();
  EXPECT_EQ(today->birth_date, absl::CivilDay(2024, 6, 15));
  EXPECT_EQ(AgeOn(*today, kToday), 0);
  // Birthday tomorrow: cannot be 2024, so 1924 (aged 99).
  auto tomorrow =
      ParsePersonNumber(WithCheckDigit("240616123"), kField, kToday);
  ASSERT_TRUE(tomorrow.ok()) << tomorrow.status();
  EXPECT_EQ(tomorrow->birth_date, absl::CivilDay(1924, 6, 16));
  EXPECT_EQ(AgeOn(*tomorrow, kToday), 99);
  // With '+': 1824.
  std::string plus = WithCheckDigit("240616123");
  plus.insert(6, "+");
  auto old = ParsePersonNumber(plus, kField, kToday);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->birth_date, absl::CivilDay(1824, 6, 16));
  // Year 99 in 2024: 1999.
  auto y99 = ParsePersonNumber(WithCheckDigit("991231999"), kField, kToday);
  ASSERT_TRUE(y99.ok()) << y99.status();
  EXPECT_EQ(y99->birth_date, absl::CivilDay(1999, 12, 31));
  EXPECT_EQ(y99->normalized, "19" + WithCheckDigit("991231999"));
}

TEST(PersonNumberTest, SexFromNinthDigit) {
  auto female = ParsePersonNumber(WithCheckDigit("811218982"), kField, kToday);
  ASSERT_TRUE(female.ok()) << female.status();
  EXPECT_EQ(female->sex, Sex::kFemale);
  auto male = ParsePersonNumber(WithCheckDigit("811218987"), kField, kToday);
  ASSERT_TRUE(male.ok()) << male.status();
  EXPECT_EQ(male->sex, Sex::kMale);
}

TEST(PersonNumberTest, Samordningsnummer) {
  // Day 12 + 60 = 72.
  const std::string ten = WithCheckDigit("701272238");
  auto p = ParsePersonNumber(ten.substr(0, 6) + "-" + ten.substr(6), kField,
                             kToday);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->coordination_number);
  EXPECT_EQ(p->birth_date, absl::CivilDay(1970, 12, 12));
  EXPECT_EQ(p->normalized, "19" + ten);  // day stays 72
  // Twelve-digit form, day 91 (= 31).
  auto p12 = ParsePersonNumber("1999" + WithCheckDigit("991291999").substr(2),
                               kField, kToday);
  ASSERT_TRUE(p12.ok()) << p12.status();
  EXPECT_TRUE(p12->coordination_number);
  EXPECT_EQ(p12->birth_date, absl::CivilDay(1999, 12, 31));
}

TEST(PersonNumberTest, LeapDays) {
  // 2000-02-29 exists (divisible by 400).
  auto y2000 =
      ParsePersonNumber("20" + WithCheckDigit("000229000"), kField, kToday);
  ASSERT_TRUE(y2000.ok()) << y2000.status();
  EXPECT_EQ(y2000->birth_date, absl::CivilDay(2000, 2, 29));
  // 10-digit: inferred as 2000.
  EXPECT_TRUE(ParsePersonNumber(WithCheckDigit("000229000"), kField, kToday).ok());
  // With '+' it is 1900-02-29, which does not exist.
  std::string plus = WithCheckDigit("000229000");
  plus.insert(6, "+");
  ExpectInvalid(ParsePersonNumber(plus, kField, kToday).status(), kField,
                "no such date");
  // 1900-02-29 in the 12-digit form.
  ExpectInvalid(
      ParsePersonNumber("19" + WithCheckDigit("000229000"), kField, kToday)
          .status(),
      kField, "no such date");
  // 2023-02-29.
  ExpectInvalid(
      ParsePersonNumber("20" + WithCheckDigit("230229000"), kField, kToday)
          .status(),
      kField, "no such date");
  // 1968-02-29 exists; coordination day 89 = 29 too.
  EXPECT_TRUE(ParsePersonNumber(WithCheckDigit("680229000"), kField, kToday).ok());
  EXPECT_TRUE(ParsePersonNumber(WithCheckDigit("680289000"), kField, kToday).ok());
  // Coordination 2023-02-(89-60=29) does not exist.
  ExpectInvalid(
      ParsePersonNumber("20" + WithCheckDigit("230289000"), kField, kToday)
          .status(),
      kField, "no such date");
}

TEST(PersonNumberTest, ImpossibleDates) {
  struct Case {
    const char* payload;  // 9 digits YYMMDDNNN
    const char* reason;
  };
  for (const Case& c : {
           Case{"000230123", "no such date"},      // Feb 30
           Case{"800431123", "no such date"},      // Apr 31
           Case{"801301123", "no such month"},     // month 13
           Case{"800001123", "no such month"},     // month 00
           Case{"800100123", "no such day"},       // day 00
           Case{"800132123", "no such day"},       // day 32
           Case{"800160123", "no such day"},       // day 60
           Case{"800192123", "no such day"},       // day 92
           Case{"800291123", "no such date"},      // coordination Feb 31
       }) {
    SCOPED_TRACE(c.payload);
    ExpectInvalid(
        ParsePersonNumber(WithCheckDigit(c.payload), kField, kToday).status(),
        kField, c.reason);
    ExpectInvalid(
        ParsePersonNumber("19" + WithCheckDigit(c.payload), kField, kToday)
            .status(),
        kField, c.reason);
  }
}

TEST(PersonNumberTest, FutureBirthDate) {
  ExpectInvalid(
      ParsePersonNumber("20" + WithCheckDigit("240616123"), kField, kToday)
          .status(),
      kField, "future");
  ExpectInvalid(
      ParsePersonNumber("21" + WithCheckDigit("000101123"), kField, kToday)
          .status(),
      kField, "future");
}

TEST(PersonNumberTest, BadCheckDigit) {
  ExpectInvalid(ParsePersonNumber("19121212-1213", kField, kToday).status(),
                kField, "check digit does not match");
  ExpectInvalid(
      ParsePersonNumber(WithWrongCheckDigit("811218987"), kField, kToday)
          .status(),
      kField, "check digit does not match");
  // Coordination numbers are checked over the day as written (+60).
  ExpectInvalid(
      ParsePersonNumber(WithWrongCheckDigit("701272238"), kField, kToday)
          .status(),
      kField, "check digit does not match");
}

TEST(PersonNumberTest, FormatErrors) {
  ExpectInvalid(ParsePersonNumber("", kField, kToday).status(), kField,
                "must not be empty");
  ExpectInvalid(ParsePersonNumber("12121A-1212", kField, kToday).status(),
                kField, "only digits");
  ExpectInvalid(ParsePersonNumber("121212 1212", kField, kToday).status(),
                kField, "only digits");
  ExpectInvalid(ParsePersonNumber("abc", kField, kToday).status(), kField,
                "only digits");
  ExpectInvalid(ParsePersonNumber("121212121", kField, kToday).status(),
                kField, "10 or 12 digits");
  ExpectInvalid(ParsePersonNumber("12121212121", kField, kToday).status(),
                kField, "10 or 12 digits");
  ExpectInvalid(ParsePersonNumber("1912121212121", kField, kToday).status(),
                kField, "10 or 12 digits");
  ExpectInvalid(ParsePersonNumber("12121-21212", kField, kToday).status(),
                kField, "separator");
  ExpectInvalid(ParsePersonNumber("1912-12121212", kField, kToday).status(),
                kField, "separator");
  ExpectInvalid(ParsePersonNumber("12-1212-1212", kField, kToday).status(),
                kField, "at most one separator");
  ExpectInvalid(ParsePersonNumber("19121212+1212", kField, kToday).status(),
                kField, "'+'");
}

TEST(PersonNumberTest, SurroundingWhitespaceIgnored) {
  auto p = ParsePersonNumber("  19121212-1212\n", kField, kToday);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->normalized, "191212121212");
}

TEST(PersonNumberTest, MessageDoesNotEchoTheNumber) {
  for (const char* text :
       {"19121212-1213", "121212-1213", "19121312-1212", "20991212-1212"}) {
    absl::Status st = ParsePersonNumber(text, kField, kToday).status();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.message().find("1212"), std::string::npos) << st;
    EXPECT_EQ(st.message().find(text), std::string::npos) << st;
  }
}

TEST(AgeOnTest, Birthdays) {
  auto tolvan = ParsePersonNumber("19121212-1212", kField, kToday);
  ASSERT_TRUE(tolvan.ok());
  EXPECT_EQ(AgeOn(*tolvan, absl::CivilDay(2024, 12, 11)), 111);
  EXPECT_EQ(AgeOn(*tolvan, absl::CivilDay(2024, 12, 12)), 112);
  EXPECT_EQ(AgeOn(*tolvan, absl::CivilDay(1912, 12, 12)), 0);

  auto leap = ParsePersonNumber("20" + WithCheckDigit("000229000"), kField,
                                kToday);
  ASSERT_TRUE(leap.ok());
  EXPECT_EQ(AgeOn(*leap, absl::CivilDay(2023, 2, 28)), 22);
  EXPECT_EQ(AgeOn(*leap, absl::CivilDay(2023, 3, 1)), 23);
  EXPECT_EQ(AgeOn(*leap, absl::CivilDay(2024, 2, 29)), 24);
}

// ---- organisationsnummer ---------------------------------------------------

constexpr char kOrgField[] = "provider.organisation_number";

TEST(OrganisationNumberTest, Valid) {
  // Volvo AB (published), IKEA AB, and computed ones.
  EXPECT_EQ(WithCheckDigit("556074756"), "5560747569");
  for (const char* text : {"556012-5790", "5560125790", "165560125790",
                           "16556012-5790", " 556012-5790 "}) {
    auto org = ParseOrganisationNumber(text, kOrgField);
    ASSERT_TRUE(org.ok()) << text << ": " << org.status();
    EXPECT_EQ(*org, "5560125790");
  }
  auto ikea = ParseOrganisationNumber("556074-7569", kOrgField);
  ASSERT_TRUE(ikea.ok()) << ikea.status();
  EXPECT_EQ(*ikea, "5560747569");
  for (const char* payload : {"202100000", "802000123", "969999999"}) {
    const std::string ten = WithCheckDigit(payload);
    auto org = ParseOrganisationNumber(ten, kOrgField);
    ASSERT_TRUE(org.ok()) << org.status();
    EXPECT_EQ(*org, ten);
  }
}

TEST(OrganisationNumberTest, Invalid) {
  ExpectInvalid(ParseOrganisationNumber("556012-5791", kOrgField).status(),
                kOrgField, "check digit does not match");
  ExpectInvalid(
      ParseOrganisationNumber(WithWrongCheckDigit("202100000"), kOrgField)
          .status(),
      kOrgField, "check digit does not match");
  // A personnummer (sole trader) is not an organisationsnummer.
  ExpectInvalid(ParseOrganisationNumber("121212-1212", kOrgField).status(),
                kOrgField, "third digit");
  ExpectInvalid(ParseOrganisationNumber("191212121212", kOrgField).status(),
                kOrgField, "start with 16");
  ExpectInvalid(ParseOrganisationNumber("", kOrgField).status(), kOrgField,
                "must not be empty");
  ExpectInvalid(ParseOrganisationNumber("55601A-5790", kOrgField).status(),
                kOrgField, "only digits");
  ExpectInvalid(ParseOrganisationNumber("556012+5790", kOrgField).status(),
                kOrgField, "only digits");
  ExpectInvalid(ParseOrganisationNumber("556012-579", kOrgField).status(),
                kOrgField, "10 digits");
  ExpectInvalid(ParseOrganisationNumber("55601257901", kOrgField).status(),
                kOrgField, "10 digits");
  ExpectInvalid(ParseOrganisationNumber("5560-125790", kOrgField).status(),
                kOrgField, "separator");
}

// ---- postal code -----------------------------------------------------------

constexpr char kPostalField[] = "address.postal_code";

TEST(PostalCodeTest, Valid) {
  EXPECT_EQ(*ParsePostalCode("41301", kPostalField), "41301");
  EXPECT_EQ(*ParsePostalCode("413 01", kPostalField), "41301");
  EXPECT_EQ(*ParsePostalCode("10004", kPostalField), "10004");
  EXPECT_EQ(*ParsePostalCode(" 981 99 ", kPostalField), "98199");
}

TEST(PostalCodeTest, Invalid) {
  ExpectInvalid(ParsePostalCode("", kPostalField).status(), kPostalField,
                "must not be empty");
  ExpectInvalid(ParsePostalCode("01234", kPostalField).status(), kPostalField,
                "start with 0");
  for (const char* bad : {"4130", "413010", "413-01", "41 301", "4130a",
                          "abcde", "413  01"}) {
    ExpectInvalid(ParsePostalCode(bad, kPostalField).status(), kPostalField,
                  "5 digits");
  }
}

// ---- kommunkod -------------------------------------------------------------

constexpr char kMunField[] = "case.municipality_code";

TEST(MunicipalityCodeTest, Format) {
  EXPECT_TRUE(ValidateMunicipalityCode("1480", kMunField, nullptr).ok());
  EXPECT_TRUE(ValidateMunicipalityCode("0114", kMunField, nullptr).ok());
  EXPECT_TRUE(ValidateMunicipalityCode("2584", kMunField, nullptr).ok());
  ExpectInvalid(ValidateMunicipalityCode("", kMunField, nullptr), kMunField,
                "must not be empty");
  for (const char* bad : {"148", "14800", "14a0", " 1480", "1480 "}) {
    ExpectInvalid(ValidateMunicipalityCode(bad, kMunField, nullptr), kMunField,
                  "4 digits");
  }
  for (const char* bad : {"0000", "0214", "1180", "1580", "1680", "2680",
                          "9999"}) {
    ExpectInvalid(ValidateMunicipalityCode(bad, kMunField, nullptr), kMunField,
                  "county code");
  }
}

TEST(MunicipalityCodeTest, AllTwentyOneCounties) {
  int count = 0;
  for (int i = 0; i < 100; ++i) {
    std::string cc = std::to_string(100 + i).substr(1);
    if (IsCountyCode(cc)) ++count;
  }
  EXPECT_EQ(count, 21);
}

TEST(MunicipalityCodeTest, AgainstKnownSet) {
  MunicipalityCodes known;
  known.Add("1480");
  known.Add("2506");
  EXPECT_TRUE(ValidateMunicipalityCode("1480", kMunField, &known).ok());
  ExpectInvalid(ValidateMunicipalityCode("1481", kMunField, &known), kMunField,
                "unknown municipality");
  // Format errors come before the lookup.
  ExpectInvalid(ValidateMunicipalityCode("1180", kMunField, &known), kMunField,
                "county code");
  // An empty set checks the format only.
  MunicipalityCodes empty;
  EXPECT_TRUE(ValidateMunicipalityCode("1481", kMunField, &empty).ok());
}

// ---- generic helpers -------------------------------------------------------

TEST(GenericTest, RequireNonEmpty) {
  EXPECT_TRUE(RequireNonEmpty("x", "a.b").ok());
  ExpectInvalid(RequireNonEmpty("", "a.b"), "a.b", "must not be empty");
}

TEST(GenericTest, RequireRange) {
  EXPECT_TRUE(RequireRange(0, 0, 10, "n").ok());
  EXPECT_TRUE(RequireRange(10, 0, 10, "n").ok());
  EXPECT_TRUE(RequireRange(-5, -10, 10, "n").ok());
  ExpectInvalid(RequireRange(-1, 0, 10, "n"), "n", "between 0 and 10");
  ExpectInvalid(RequireRange(11, 0, 10, "n"), "n", "between 0 and 10");
  EXPECT_TRUE(RequireRange(INT64_MAX, INT64_MIN, INT64_MAX, "n").ok());
}

TEST(GenericTest, RequireMaxLength) {
  EXPECT_TRUE(RequireMaxLength("", 0, "s").ok());
  EXPECT_TRUE(RequireMaxLength("abc", 3, "s").ok());
  ExpectInvalid(RequireMaxLength("abcd", 3, "s"), "s", "at most 3");
  // Bytes, not characters: "ö" is two bytes in UTF-8.
  ExpectInvalid(RequireMaxLength("\xC3\xB6", 1, "s"), "s", "at most 1");
}

}  // namespace
}  // namespace rusta::validation
