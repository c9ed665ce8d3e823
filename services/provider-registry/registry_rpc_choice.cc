// The choice search, white spots and the proximity rule (närhetsprincip).
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/audit_event.h"
#include "common/server/idempotency.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/provider-registry/domain/choice.h"
#include "services/provider-registry/domain/geo.h"
#include "services/provider-registry/registry_rpcs.h"

namespace rusta::registry {
namespace {

struct Home {
  std::string municipality_code;
  GeoPoint point;
};

// The home municipality (given, or from the postal code) and point (given, or the municipality's).
absl::StatusOr<Home> ResolveHome(const RegistryImpl& impl, const RegistryView& view, const v1::HomeLocation& home) {
  Home out;
  switch (home.location_case()) {
    case v1::HomeLocation::kMunicipalityCode:
      RETURN_IF_ERROR(validation::ValidateMunicipalityCode(home.municipality_code(), "home.municipality_code", nullptr));
      out.municipality_code = home.municipality_code();
      break;
    case v1::HomeLocation::kPostalCode: {
      auto postal = validation::ParsePostalCode(home.postal_code(), "home.postal_code");
      if (!postal.ok()) return postal.status();
      auto it = impl.reference.postal_codes.find(*postal);
      if (it == impl.reference.postal_codes.end()) return absl::InvalidArgumentError("home.postal_code: unknown postal code");
      out.municipality_code = it->second.municipality_code;
      break;
    }
    default:
      return absl::InvalidArgumentError("home: municipality_code or postal_code required");
  }
  auto m = view.municipalities.find(out.municipality_code);
  if (m == view.municipalities.end()) return absl::InvalidArgumentError("home.municipality_code: unknown municipality");
  if (home.has_point()) {
    out.point = GeoPoint{home.point().latitude(), home.point().longitude()};
    if (!InSweden(out.point)) return absl::InvalidArgumentError("home.point: outside Sweden");
  } else {
    out.point = GeoPoint{m->second.location().latitude(), m->second.location().longitude()};
  }
  return out;
}

v1::ProviderSearchResult Row(const RegistryView& view, const std::string& org,
                             const std::optional<std::string>& office_id, double distance_m) {
  v1::ProviderSearchResult r;
  const v1::Provider& p = view.providers.at(org);
  r.set_organisation_number(org);
  r.set_name(p.profile().name());
  r.set_sector(p.profile().sector());
  r.set_description(p.profile().description());
  *r.mutable_rating() = p.rating();
  *r.mutable_languages() = p.profile().languages();
  r.set_remote_delivery(p.profile().remote_delivery());
  if (office_id.has_value()) {
    *r.mutable_nearest_office() = view.offices.at(*office_id);
    r.set_nearest_office_distance_m(std::llround(distance_m));
  }
  return r;
}

v1::TieBreak ToProto(TieBreak t) {
  switch (t) {
    case TieBreak::kNone: return v1::TIE_BREAK_NONE;
    case TieBreak::kFewestAssignments: return v1::TIE_BREAK_FEWEST_ASSIGNMENTS;
    case TieBreak::kOrganisationNumber: return v1::TIE_BREAK_ORGANISATION_NUMBER;
  }
  return v1::TIE_BREAK_UNSPECIFIED;
}

}  // namespace

absl::Status DoSearchProviders(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                               const v1::SearchProvidersRequest& req, v1::SearchProvidersResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  auto day = DayOrToday(req.as_of(), "as_of", impl.Today());
  if (!day.ok()) return day.status();
  if (!v1::SearchOrder_IsValid(req.order())) return absl::InvalidArgumentError("order: unknown value");
  for (const std::string& l : req.languages()) {
    if (l.size() < 2 || l.size() > 3) return absl::InvalidArgumentError("languages: use ISO 639 codes such as sv, en, ar");
  }
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  const RegistryView& view = *current->view;
  auto home = ResolveHome(impl, view, req.home());
  if (!home.ok()) return home.status();
  ChoiceFilter filter;
  filter.languages.assign(req.languages().begin(), req.languages().end());
  if (req.has_remote_delivery()) filter.remote_delivery = req.remote_delivery();
  const ChoiceOrder order = req.order() == v1::SEARCH_ORDER_DISTANCE ? ChoiceOrder::kDistance : ChoiceOrder::kRating;
  const std::vector<ChoiceRow> rows = SearchForChoice(view.domain, home->municipality_code, home->point, *day, filter, order);
  resp->set_municipality_code(home->municipality_code);
  resp->set_total(static_cast<int32_t>(rows.size()));
  AddPage(Values(rows), *paging, [](const ChoiceRow&) { return true; },
          [&](const ChoiceRow& r) {
            *resp->add_results() = Row(view, r.organisation_number, r.nearest_office_id, r.nearest_office_distance_m);
          },
          resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoListWhiteSpots(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                              const v1::ListWhiteSpotsRequest& req, v1::ListWhiteSpotsResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  auto day = DayOrToday(req.as_of(), "as_of", impl.Today());
  if (!day.ok()) return day.status();
  if (!req.county_code().empty() && !validation::IsCountyCode(req.county_code())) {
    return absl::InvalidArgumentError("county_code: not a Swedish county code");
  }
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  const std::vector<std::string> codes = WhiteSpots(current->view->domain, *day, req.county_code());
  AddPage(Values(codes), *paging, [](const std::string&) { return true; },
          [&](const std::string& code) { *resp->add_municipalities() = current->view->municipalities.at(code); },
          resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoFindNearestProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                   const v1::FindNearestProviderRequest& req, v1::FindNearestProviderResponse* resp) {
  if (req.reserve_capacity()) {
    if (caller.role == Role::kAdmin) {
      return absl::PermissionDeniedError("reserve_capacity: only the case flow reserves assignments");
    }
    RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
    if (req.case_id().empty()) return absl::InvalidArgumentError("case_id: required when reserving capacity");
  }
  auto day = DayOrToday(req.as_of(), "as_of", impl.Today());
  if (!day.ok()) return day.status();
  std::vector<std::string> excluded(req.exclude_organisation_numbers().begin(), req.exclude_organisation_numbers().end());
  const std::string idem_key =
      req.reserve_capacity() ? server::IdempotencyKey("registry", caller, "FindNearestProvider", req.request_id()) : "";
  const std::string fingerprint = req.reserve_capacity() ? server::RequestFingerprint(req) : "";
  for (int attempt = 0;; ++attempt) {
    audit::AuditLog::PauseBeforeRetry(attempt);
    auto current = impl.Read(redis, idem_key, fingerprint);
    if (!current.ok()) return current.status();
    const RegistryView& view = *current->view;
    auto home = ResolveHome(impl, view, req.home());
    if (!home.ok()) return home.status();
    if (current->earlier_result.has_value()) {  // a repeated reservation: the first answer
      return ParseResult(*current->earlier_result, resp);
    }
    auto nearest = FindNearest(view.domain, home->municipality_code, home->point, *day, excluded);
    if (!nearest.ok()) {
      if (nearest.status().code() == absl::StatusCode::kNotFound) {
        return absl::FailedPreconditionError(
            absl::StrCat("proximity.no_provider: no approved provider with capacity serves municipality ",
                         home->municipality_code));
      }
      return nearest.status();
    }
    *resp->mutable_provider() = Row(view, nearest->organisation_number, nearest->office_id, nearest->distance_m);
    resp->set_distance_m(std::llround(nearest->distance_m));
    resp->set_tie_break(ToProto(nearest->tie_break));
    *resp->mutable_tied_with() = {nearest->tied_with.begin(), nearest->tied_with.end()};
    *resp->mutable_skipped_for_capacity() = {nearest->skipped_for_capacity.begin(), nearest->skipped_for_capacity.end()};
    resp->set_rule_version(kProximityRuleVersion);
    resp->set_reason(absl::StrCat("nearest office ", std::llround(nearest->distance_m), " m from the home in ",
                                  home->municipality_code,
                                  nearest->tie_break == TieBreak::kNone ? "" : ", tie broken",
                                  nearest->skipped_for_capacity.empty() ? "" : ", nearer providers full"));
    if (!req.reserve_capacity()) return absl::OkStatus();
    int capacity = 0;
    for (const ContractInfo& c : view.domain.contracts) {
      if (c.organisation_number == nearest->organisation_number && c.area_id == nearest->area_id && c.ActiveOn(*day)) {
        capacity = c.capacity;
      }
    }
    v1::AuditEvent event = impl.Audit(caller, "FindNearestProvider", req.request_id());
    audit::AddSubject(event, v1::SUBJECT_KIND_PROVIDER, nearest->organisation_number);
    audit::AddSubject(event, v1::SUBJECT_KIND_CASE, req.case_id());
    event.set_rule_version(kProximityRuleVersion);
    event.set_detail(resp->reason());
    const std::string chain = audit::SubjectChain("provider", nearest->organisation_number);
    auto head = redis.Command(impl.host.audit().HeadCommand(chain));
    if (!head.ok()) return head.status();
    auto reserved = impl.store.Reserve(redis, nearest->organisation_number + "|" + nearest->area_id, capacity,
                                       Serialize(*resp), idem_key, fingerprint,
                                       audit::AuditLog::Prepare(chain, *head, event));
    // Full since we looked (another replica reserved the last place), or the chain moved: look again.
    if ((reserved.status().code() == absl::StatusCode::kResourceExhausted || IsRetryable(reserved.status())) &&
        attempt + 1 < audit::AuditLog::kMaxAttempts) {
      resp->Clear();
      continue;
    }
    return reserved.status();
  }
}

}  // namespace rusta::registry
