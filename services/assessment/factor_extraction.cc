#include "services/assessment/factor_extraction.h"
#include "common/status/status_macros.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"

namespace rusta::assessment {
namespace {

using rusta::v1::AssessmentFactors;

absl::Status Bad(const std::string& field, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat("factors.", field, ": ", reason));
}

bool Digits(const std::string& s, size_t min_len, size_t max_len) {
  if (s.size() < min_len || s.size() > max_len) return false;
  for (char c : s) if (!absl::ascii_isdigit(c)) return false;
  return true;
}

absl::Status Share(double v, const std::string& field) {
  if (!(v >= 0.0 && v <= 1.0)) return Bad(field, "must be a share between 0 and 1");
  return absl::OkStatus();
}

absl::Status NonNegative(bool present, int32_t v, const std::string& field, bool required = true) {
  if (!present) return required ? Bad(field, "required") : absl::OkStatus();
  if (v < 0) return Bad(field, "must not be negative");
  if (v > 36500) return Bad(field, "is out of range");
  return absl::OkStatus();
}

std::string EducationName(rusta::v1::EducationLevel level) {
  std::string name = rusta::v1::EducationLevel_Name(level);
  return name.substr(std::string("EDUCATION_LEVEL_").size());
}


absl::Status Validate(AssessmentFactors& f, absl::CivilDay today, const ExtractionLimits& limits,
                      const ReferenceData& reference) {
  // Country of birth: ISO 3166-1 alpha-2.
  std::string country = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(f.country_of_birth()));
  if (country.empty()) return Bad("country_of_birth", "required");
  if (country.size() != 2 || !absl::ascii_isalpha(country[0]) || !absl::ascii_isalpha(country[1])) {
    return Bad("country_of_birth", "must be an ISO 3166-1 alpha-2 code such as SE");
  }
  f.set_country_of_birth(country);

  auto postal = validation::ParsePostalCode(f.postal_code(), "factors.postal_code");
  if (!postal.ok()) return postal.status();
  f.set_postal_code(*postal);
  if (reference.postal_codes != nullptr && reference.postal_codes->size() > 0 &&
      !reference.postal_codes->MunicipalityOf(*postal).has_value()) {
    return Bad("postal_code", "unknown postal code");
  }
  RETURN_IF_ERROR(validation::ValidateMunicipalityCode(f.municipality_code(), "factors.municipality_code",
                                                       reference.municipalities));
  if (f.county_code().empty()) return Bad("county_code", "required");
  if (!validation::IsCountyCode(f.county_code())) return Bad("county_code", "not a Swedish county code");
  if (f.municipality_code().substr(0, 2) != f.county_code()) {
    return Bad("county_code", "does not match the municipality's county");
  }

  if (f.education_level() == rusta::v1::EDUCATION_LEVEL_UNSPECIFIED) return Bad("education_level", "required");
  if (!rusta::v1::EducationLevel_IsValid(f.education_level())) return Bad("education_level", "unknown value");
  if (!f.education_orientation().empty() && !Digits(f.education_orientation(), 1, 3)) {
    return Bad("education_orientation", "must be a SUN 2020 orientation code of 1 to 3 digits");
  }
  if (f.occupation_groups_sought_size() > 4) return Bad("occupation_groups_sought", "at most 4");
  for (int i = 0; i < f.occupation_groups_sought_size(); ++i) {
    if (!Digits(f.occupation_groups_sought(i), 4, 4)) {
      return Bad(absl::StrCat("occupation_groups_sought[", i, "]"), "must be a 4-digit SSYK 2012 code");
    }
  }
  if (!f.has_age()) return Bad("age", "required");
  if (f.age() < limits.min_age || f.age() > limits.max_age) {
    return Bad("age", absl::StrCat("must be between ", limits.min_age, " and ", limits.max_age));
  }
  if (f.sex() == rusta::v1::SEX_UNSPECIFIED || !rusta::v1::Sex_IsValid(f.sex())) return Bad("sex", "required");
  if (f.fund_membership() == rusta::v1::FUND_MEMBERSHIP_UNSPECIFIED ||
      !rusta::v1::FundMembership_IsValid(f.fund_membership())) {
    return Bad("fund_membership", "required");
  }
  if (!f.has_registration_date()) return Bad("registration_date", "required");
  auto registered = server::ToCivilDay(f.registration_date(), "factors.registration_date");
  if (!registered.ok()) return registered.status();
  if (*registered > today) return Bad("registration_date", "is in the future");

  RETURN_IF_ERROR(NonNegative(f.has_days_registered_previous_period(), f.days_registered_previous_period(),
                              "days_registered_previous_period"));
  RETURN_IF_ERROR(NonNegative(f.has_previous_period_count(), f.previous_period_count(), "previous_period_count"));
  RETURN_IF_ERROR(NonNegative(f.has_days_since_previous_period(), f.days_since_previous_period(),
                              "days_since_previous_period", /*required=*/false));
  if (f.previous_period_count() > 0 && !f.has_days_since_previous_period()) {
    return Bad("days_since_previous_period", "required when there was a previous period");
  }
  RETURN_IF_ERROR(NonNegative(f.has_days_in_programmes_previous_periods(),
                              f.days_in_programmes_previous_periods(), "days_in_programmes_previous_periods"));
  for (int i = 0; i < f.previous_programmes_size(); ++i) {
    const auto& p = f.previous_programmes(i);
    const std::string field = absl::StrCat("previous_programmes[", i, "]");
    if (p.programme_code().empty() || p.programme_code().size() > 16) {
      return Bad(field + ".programme_code", "required, at most 16 characters");
    }
    if (p.days() < 0) return Bad(field + ".days", "must not be negative");
  }
  if (f.disability_status() == rusta::v1::DISABILITY_STATUS_UNSPECIFIED ||
      !rusta::v1::DisabilityStatus_IsValid(f.disability_status())) {
    return Bad("disability_status", "required");
  }
  const bool registered_code = f.disability_status() == rusta::v1::DISABILITY_STATUS_REGISTERED;
  if (registered_code && f.disability_code().empty()) return Bad("disability_code", "required when a code is registered");
  if (!registered_code && !f.disability_code().empty()) return Bad("disability_code", "only with a registered code");
  if (f.disability_code().size() > 16) return Bad("disability_code", "at most 16 characters");

  if (!f.has_area_statistics()) return Bad("area_statistics", "required");
  const auto& a = f.area_statistics();
  RETURN_IF_ERROR(Share(a.unemployment_share(), "area_statistics.unemployment_share"));
  RETURN_IF_ERROR(Share(a.post_secondary_education_share(), "area_statistics.post_secondary_education_share"));
  RETURN_IF_ERROR(Share(a.foreign_citizen_share(), "area_statistics.foreign_citizen_share"));
  RETURN_IF_ERROR(Share(a.single_household_share(), "area_statistics.single_household_share"));
  if (!a.has_median_annual_income() || a.median_annual_income().ore() <= 0) {
    return Bad("area_statistics.median_annual_income", "required and positive");
  }
  if (a.statistics_version().empty()) return Bad("area_statistics.statistics_version", "required");

  if (limits.require_current_period_days || f.has_days_registered_current_period()) {
    RETURN_IF_ERROR(NonNegative(f.has_days_registered_current_period(), f.days_registered_current_period(),
                                "days_registered_current_period"));
  }
  return absl::OkStatus();
}

}  // namespace

Features FeaturesOf(const AssessmentFactors& f) {
  Features x;
  auto num = [&x](const char* name, double v) { x[name] = FeatureValue::Number(v); };
  auto cat = [&x](const char* name, std::string v) { x[name] = FeatureValue::Category(std::move(v)); };
  num("age", f.age());
  num("days_registered_previous_period", f.days_registered_previous_period());
  num("days_since_previous_period", f.has_days_since_previous_period() ? f.days_since_previous_period() : 0);
  num("previous_period_count", f.previous_period_count());
  num("days_in_programmes_previous_periods", f.days_in_programmes_previous_periods());
  num("previous_programme_count", f.previous_programmes_size());
  num("occupation_groups_sought_count", f.occupation_groups_sought_size());
  if (f.has_days_registered_current_period()) {
    num("days_registered_current_period", f.days_registered_current_period());
  }
  const auto& a = f.area_statistics();
  num("area.unemployment_share", a.unemployment_share());
  num("area.median_annual_income_ksek", static_cast<double>(a.median_annual_income().ore()) / 100000.0);
  num("area.post_secondary_education_share", a.post_secondary_education_share());
  num("area.foreign_citizen_share", a.foreign_citizen_share());
  num("area.single_household_share", a.single_household_share());

  cat("born_in_sweden", f.country_of_birth() == "SE" ? "true" : "false");
  cat("country_of_birth", f.country_of_birth());
  cat("county_code", f.county_code());
  cat("municipality_code", f.municipality_code());
  cat("education_level", EducationName(f.education_level()));
  cat("education_orientation", f.education_orientation().empty() ? "NONE" : f.education_orientation().substr(0, 1));
  cat("first_occupation_major_group",
      f.occupation_groups_sought_size() == 0 ? "NONE" : f.occupation_groups_sought(0).substr(0, 1));
  cat("sex", f.sex() == rusta::v1::SEX_FEMALE ? "FEMALE" : "MALE");
  cat("fund_membership", f.fund_membership() == rusta::v1::FUND_MEMBERSHIP_MEMBER ? "MEMBER" : "NOT_MEMBER");
  cat("registration_month", absl::StrCat(f.registration_date().month()));
  cat("has_previous_period", f.previous_period_count() > 0 ? "true" : "false");
  cat("disability", f.disability_status() == rusta::v1::DISABILITY_STATUS_REGISTERED ? "true" : "false");
  return x;
}

absl::StatusOr<Features> ExtractFeatures(AssessmentFactors& factors, absl::CivilDay today,
                                         const ExtractionLimits& limits, const ReferenceData& reference) {
  RETURN_IF_ERROR(Validate(factors, today, limits, reference));
  return FeaturesOf(factors);
}

}  // namespace rusta::assessment
