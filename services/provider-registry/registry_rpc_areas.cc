// Delivery areas, contracts and offices.
#include <set>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/server/ids.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/provider-registry/domain/geo.h"
#include "services/provider-registry/registry_rpcs.h"

namespace rusta::registry {
namespace {

absl::Status ValidateCodes(const google::protobuf::RepeatedPtrField<std::string>& codes, const RegistryView& view) {
  if (codes.empty()) return absl::InvalidArgumentError("municipality_codes: at least one");
  std::set<std::string> seen;
  for (const std::string& code : codes) {
    RETURN_IF_ERROR(validation::ValidateMunicipalityCode(code, "municipality_codes", nullptr));
    if (!view.municipalities.empty() && view.municipalities.count(code) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("municipality_codes: unknown municipality ", code));
    }
    if (!seen.insert(code).second) return absl::InvalidArgumentError(absl::StrCat("municipality_codes: ", code, " twice"));
  }
  return absl::OkStatus();
}

struct Period {
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;
};

absl::StatusOr<Period> ParsePeriod(const v1::DateRange& range, const char* start_field, const char* end_field) {
  auto start = server::ToCivilDay(range.start(), start_field);
  if (!start.ok()) return start.status();
  Period p{*start, std::nullopt};
  if (range.has_end()) {
    auto end = server::ToCivilDay(range.end(), end_field);
    if (!end.ok()) return end.status();
    if (*end < *start) return absl::InvalidArgumentError(absl::StrCat(end_field, ": before the start"));
    p.end = *end;
  }
  return p;
}

bool Overlap(const Period& a, const Period& b) {
  const bool a_before_b = a.end.has_value() && *a.end < b.start;
  const bool b_before_a = b.end.has_value() && *b.end < a.start;
  return !a_before_b && !b_before_a;
}

// Refuses a contract period that overlaps another of the same provider and area.
absl::Status CheckNoOverlap(const RegistryView& view, const std::string& org, const std::string& area,
                            const Period& period, const std::string& except_id) {
  for (const auto& [id, c] : view.contracts) {
    if (id == except_id || c.organisation_number() != org || c.area_id() != area) continue;
    auto other = ParsePeriod(c.period(), "start", "end");
    if (other.ok() && Overlap(period, *other)) {
      return absl::FailedPreconditionError(
          absl::StrCat("contract.no_overlap: overlaps contract ", id, " of the same provider and area"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOffice(const v1::Address& address, bool has_location, const v1::GeoPoint& location,
                            const RegistryImpl& impl, v1::Address* normalised) {
  *normalised = address;
  RETURN_IF_ERROR(RequireText(address.street(), "address.street", 200));
  auto postal = validation::ParsePostalCode(address.postal_code(), "address.postal_code");
  if (!postal.ok()) return postal.status();
  normalised->set_postal_code(*postal);
  auto known = impl.reference.postal_codes.find(*postal);
  if (!impl.reference.postal_codes.empty() && known == impl.reference.postal_codes.end()) {
    return absl::InvalidArgumentError("address.postal_code: unknown postal code");
  }
  if (known != impl.reference.postal_codes.end()) {
    if (normalised->municipality_code().empty()) normalised->set_municipality_code(known->second.municipality_code);
    if (normalised->locality().empty()) normalised->set_locality(known->second.locality);
  }
  if (!has_location) return absl::InvalidArgumentError("location: required (offices need coordinates)");
  if (!InSweden(GeoPoint{location.latitude(), location.longitude()})) {
    return absl::InvalidArgumentError("location: outside Sweden");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DoCreateDeliveryArea(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                  const v1::CreateDeliveryAreaRequest& req, v1::CreateDeliveryAreaResponse* resp) {
  RETURN_IF_ERROR(RequireText(req.name(), "name", 200));
  auto result = impl.Mutate(redis, caller, "CreateDeliveryArea", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    RETURN_IF_ERROR(ValidateCodes(req.municipality_codes(), view));
    for (const auto& [id, a] : view.areas) {
      if (a.name() == req.name()) return absl::AlreadyExistsError("name: a delivery area with this name exists");
    }
    v1::DeliveryArea area;
    area.set_area_id(server::NewId("area"));
    area.set_version(1);
    area.set_name(req.name());
    *area.mutable_municipality_codes() = req.municipality_codes();
    Change c;
    c.ops.push_back({Table::kAreas, area.area_id(), Serialize(area)});
    v1::CreateDeliveryAreaResponse out;
    *out.mutable_area() = area;
    c.result = Serialize(out);
    c.chain = "registry/areas";
    c.event = impl.Audit(caller, "CreateDeliveryArea", req.request_id());
    c.event.set_detail(absl::StrCat(area.area_id(), " ", req.name()));
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoUpdateDeliveryArea(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                  const v1::UpdateDeliveryAreaRequest& req, v1::UpdateDeliveryAreaResponse* resp) {
  if (req.area_id().empty()) return absl::InvalidArgumentError("area_id: required");
  if (req.name().size() > 200) return absl::InvalidArgumentError("name: at most 200 characters");
  auto result = impl.Mutate(redis, caller, "UpdateDeliveryArea", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto it = view.areas.find(req.area_id());
    if (it == view.areas.end()) return absl::NotFoundError("area_id: no such delivery area");
    RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version(), it->second.version()));
    v1::DeliveryArea area = it->second;
    // Empty means unchanged (the proto): a rename keeps the municipalities, and the other way.
    if (!req.name().empty()) {
      for (const auto& [id, other] : view.areas) {
        if (id != area.area_id() && other.name() == req.name()) {
          return absl::AlreadyExistsError("name: a delivery area with this name exists");
        }
      }
      area.set_name(req.name());
    }
    if (req.municipality_codes_size() > 0) {
      RETURN_IF_ERROR(ValidateCodes(req.municipality_codes(), view));
      *area.mutable_municipality_codes() = req.municipality_codes();
    }
    area.set_version(area.version() + 1);
    Change c;
    c.ops.push_back({Table::kAreas, area.area_id(), Serialize(area)});
    v1::UpdateDeliveryAreaResponse out;
    *out.mutable_area() = area;
    c.result = Serialize(out);
    c.chain = "registry/areas";
    c.event = impl.Audit(caller, "UpdateDeliveryArea", req.request_id());
    c.event.set_detail(area.area_id());
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoGetDeliveryArea(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                               const v1::GetDeliveryAreaRequest& req, v1::GetDeliveryAreaResponse* resp) {
  if (req.area_id().empty()) return absl::InvalidArgumentError("area_id: required");
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  auto it = current->view->areas.find(req.area_id());
  if (it == current->view->areas.end()) return absl::NotFoundError("area_id: no such delivery area");
  *resp->mutable_area() = it->second;
  return absl::OkStatus();
}

absl::Status DoListDeliveryAreas(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                                 const v1::ListDeliveryAreasRequest& req, v1::ListDeliveryAreasResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  AddPage(Values(current->view->areas), *paging,
       [&](const v1::DeliveryArea& a) {
         return req.municipality_code().empty() ||
                std::find(a.municipality_codes().begin(), a.municipality_codes().end(), req.municipality_code()) !=
                    a.municipality_codes().end();
       },
       [&](const v1::DeliveryArea& a) { *resp->add_areas() = a; }, resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoCreateContract(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                              const v1::CreateContractRequest& req, v1::CreateContractResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  if (req.area_id().empty()) return absl::InvalidArgumentError("area_id: required");
  auto period = ParsePeriod(req.period(), "period.start", "period.end");
  if (!period.ok()) return period.status();
  if (req.default_assignment_capacity() < 0) {
    return absl::InvalidArgumentError("default_assignment_capacity: must not be negative");
  }
  auto result = impl.Mutate(redis, caller, "CreateContract", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto p = view.providers.find(*org);
    if (p == view.providers.end()) return absl::NotFoundError("organisation_number: no such provider");
    if (p->second.status() == v1::PROVIDER_STATUS_REJECTED || p->second.status() == v1::PROVIDER_STATUS_TERMINATED) {
      return absl::FailedPreconditionError("contract.provider_status: the provider is rejected or terminated");
    }
    if (view.areas.count(req.area_id()) == 0) return absl::NotFoundError("area_id: no such delivery area");
    RETURN_IF_ERROR(CheckNoOverlap(view, *org, req.area_id(), *period, ""));
    v1::Contract contract;
    contract.set_contract_id(server::NewId("contract"));
    contract.set_version(1);
    contract.set_organisation_number(*org);
    contract.set_area_id(req.area_id());
    *contract.mutable_period() = req.period();
    contract.set_default_assignment_capacity(req.default_assignment_capacity());
    Change c;
    c.ops.push_back({Table::kContracts, contract.contract_id(), Serialize(contract)});
    v1::CreateContractResponse out;
    *out.mutable_contract() = contract;
    impl.DescribeProviderChange(c, caller, "CreateContract", req.request_id(), *org, out);
    c.event.set_detail(absl::StrCat(contract.contract_id(), " area ", req.area_id()));
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoUpdateContract(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                              const v1::UpdateContractRequest& req, v1::UpdateContractResponse* resp) {
  if (req.contract_id().empty()) return absl::InvalidArgumentError("contract_id: required");
  if (req.has_default_assignment_capacity() && req.default_assignment_capacity() < 0) {
    return absl::InvalidArgumentError("default_assignment_capacity: must not be negative");
  }
  auto result = impl.Mutate(redis, caller, "UpdateContract", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto it = view.contracts.find(req.contract_id());
    if (it == view.contracts.end()) return absl::NotFoundError("contract_id: no such contract");
    RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version(), it->second.version()));
    v1::Contract contract = it->second;
    if (req.has_end()) *contract.mutable_period()->mutable_end() = req.end();
    if (req.has_default_assignment_capacity()) contract.set_default_assignment_capacity(req.default_assignment_capacity());
    auto period = ParsePeriod(contract.period(), "period.start", "end");
    if (!period.ok()) return period.status();
    RETURN_IF_ERROR(CheckNoOverlap(view, contract.organisation_number(), contract.area_id(), *period, contract.contract_id()));
    contract.set_version(contract.version() + 1);
    Change c;
    c.ops.push_back({Table::kContracts, contract.contract_id(), Serialize(contract)});
    v1::UpdateContractResponse out;
    *out.mutable_contract() = contract;
    impl.DescribeProviderChange(c, caller, "UpdateContract", req.request_id(), contract.organisation_number(), out);
    c.event.set_detail(contract.contract_id());
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoListContracts(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                             const v1::ListContractsRequest& req, v1::ListContractsResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  std::optional<absl::CivilDay> active_on;
  if (req.has_active_on()) {
    auto day = server::ToCivilDay(req.active_on(), "active_on");
    if (!day.ok()) return day.status();
    active_on = *day;
  }
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  AddPage(Values(current->view->contracts), *paging,
       [&](const v1::Contract& c) {
         if (!req.organisation_number().empty() && c.organisation_number() != req.organisation_number()) return false;
         if (!req.area_id().empty() && c.area_id() != req.area_id()) return false;
         if (active_on.has_value()) {
           auto p = ParsePeriod(c.period(), "start", "end");
           if (!p.ok() || p->start > *active_on || (p->end && *p->end < *active_on)) return false;
         }
         return true;
       },
       [&](const v1::Contract& c) { *resp->add_contracts() = c; }, resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoAddOffice(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                         const v1::AddOfficeRequest& req, v1::AddOfficeResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  RETURN_IF_ERROR(RegistryImpl::RequireOwn(caller, *org));
  RETURN_IF_ERROR(RequireText(req.name(), "name", 200));
  v1::Address address;
  RETURN_IF_ERROR(ValidateOffice(req.address(), req.has_location(), req.location(), impl, &address));
  auto result = impl.Mutate(redis, caller, "AddOffice", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    if (view.providers.count(*org) == 0) return absl::NotFoundError("organisation_number: no such provider");
    v1::Office office;
    office.set_office_id(server::NewId("office"));
    office.set_version(1);
    office.set_organisation_number(*org);
    office.set_name(req.name());
    *office.mutable_address() = address;
    *office.mutable_location() = req.location();
    Change c;
    c.ops.push_back({Table::kOffices, office.office_id(), Serialize(office)});
    v1::AddOfficeResponse out;
    *out.mutable_office() = office;
    impl.DescribeProviderChange(c, caller, "AddOffice", req.request_id(), *org, out);
    c.event.set_detail(office.office_id());
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoUpdateOffice(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                            const v1::UpdateOfficeRequest& req, v1::UpdateOfficeResponse* resp) {
  if (req.office_id().empty()) return absl::InvalidArgumentError("office_id: required");
  RETURN_IF_ERROR(RequireText(req.name(), "name", 200));
  v1::Address address;
  RETURN_IF_ERROR(ValidateOffice(req.address(), req.has_location(), req.location(), impl, &address));
  auto result = impl.Mutate(redis, caller, "UpdateOffice", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto it = view.offices.find(req.office_id());
    if (it == view.offices.end()) return absl::NotFoundError("office_id: no such office");
    // A provider that asks about another's office learns nothing: the same answer as "no such".
    if (caller.role == Role::kProvider && it->second.organisation_number() != caller.id) {
      return absl::NotFoundError("office_id: no such office");
    }
    RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version(), it->second.version()));
    v1::Office office = it->second;
    office.set_name(req.name());
    *office.mutable_address() = address;
    *office.mutable_location() = req.location();
    office.set_version(office.version() + 1);
    Change c;
    c.ops.push_back({Table::kOffices, office.office_id(), Serialize(office)});
    v1::UpdateOfficeResponse out;
    *out.mutable_office() = office;
    impl.DescribeProviderChange(c, caller, "UpdateOffice", req.request_id(), office.organisation_number(), out);
    c.event.set_detail(office.office_id());
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoRemoveOffice(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                            const v1::RemoveOfficeRequest& req, v1::RemoveOfficeResponse*) {
  if (req.office_id().empty()) return absl::InvalidArgumentError("office_id: required");
  return impl.Mutate(redis, caller, "RemoveOffice", req, req.request_id(),
                     [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto it = view.offices.find(req.office_id());
    if (it == view.offices.end()) return absl::NotFoundError("office_id: no such office");
    if (caller.role == Role::kProvider && it->second.organisation_number() != caller.id) {
      return absl::NotFoundError("office_id: no such office");
    }
    RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version(), it->second.version()));
    Change c;
    c.ops.push_back({Table::kOffices, req.office_id(), ""});
    impl.DescribeProviderChange(c, caller, "RemoveOffice", req.request_id(), it->second.organisation_number(),
                                v1::RemoveOfficeResponse());
    c.event.set_detail(req.office_id());
    return c;
  }).status();
}

absl::Status DoListOffices(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                           const v1::ListOfficesRequest& req, v1::ListOfficesResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  AddPage(Values(current->view->offices), *paging,
       [&](const v1::Office& o) { return req.organisation_number().empty() || o.organisation_number() == req.organisation_number(); },
       [&](const v1::Office& o) { *resp->add_offices() = o; }, resp->mutable_next_page_token());
  return absl::OkStatus();
}

}  // namespace rusta::registry
