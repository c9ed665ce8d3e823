#include "services/provider-registry/registry_view.h"

#include "common/server/proto_convert.h"
#include "services/provider-registry/domain/choice.h"

namespace rusta::registry {
namespace v1 = rusta::v1;

namespace {

template <typename Message>
absl::Status DecodeTable(const std::map<std::string, std::string>& table, std::map<std::string, Message>* out) {
  for (const auto& [key, bytes] : table) {
    Message m;
    if (!m.ParseFromString(bytes)) return absl::DataLossError("stored registry entry does not parse");
    out->emplace(key, std::move(m));
  }
  return absl::OkStatus();
}

std::optional<absl::CivilDay> Day(const v1::Date& d) {
  auto day = server::ToCivilDay(d, "date");
  if (!day.ok()) return std::nullopt;
  return *day;
}

}  // namespace

ProviderStatus FromProto(v1::ProviderStatus s) {
  switch (s) {
    case v1::PROVIDER_STATUS_APPROVED: return ProviderStatus::kApproved;
    case v1::PROVIDER_STATUS_REJECTED: return ProviderStatus::kRejected;
    case v1::PROVIDER_STATUS_SUSPENDED: return ProviderStatus::kSuspended;
    case v1::PROVIDER_STATUS_TERMINATED: return ProviderStatus::kTerminated;
    default: return ProviderStatus::kApplied;
  }
}

v1::ProviderStatus ToProto(ProviderStatus s) {
  switch (s) {
    case ProviderStatus::kApplied: return v1::PROVIDER_STATUS_APPLIED;
    case ProviderStatus::kApproved: return v1::PROVIDER_STATUS_APPROVED;
    case ProviderStatus::kRejected: return v1::PROVIDER_STATUS_REJECTED;
    case ProviderStatus::kSuspended: return v1::PROVIDER_STATUS_SUSPENDED;
    case ProviderStatus::kTerminated: return v1::PROVIDER_STATUS_TERMINATED;
  }
  return v1::PROVIDER_STATUS_UNSPECIFIED;
}

Level FromProto(v1::Level l) {
  switch (l) {
    case v1::LEVEL_B: return Level::kB;
    case v1::LEVEL_C: return Level::kC;
    default: return Level::kA;
  }
}

absl::StatusOr<std::shared_ptr<const RegistryView>> DecodeView(const RawRegistry& raw) {
  auto view = std::make_shared<RegistryView>();
  view->generation = raw.generation;
  auto table = [&raw](Table t) -> const std::map<std::string, std::string>& {
    static const std::map<std::string, std::string> kEmpty;
    auto it = raw.tables.find(t);
    return it == raw.tables.end() ? kEmpty : it->second;
  };
  for (absl::Status s : {DecodeTable(table(Table::kMunicipalities), &view->municipalities),
                         DecodeTable(table(Table::kProviders), &view->providers),
                         DecodeTable(table(Table::kAreas), &view->areas),
                         DecodeTable(table(Table::kContracts), &view->contracts),
                         DecodeTable(table(Table::kOffices), &view->offices)}) {
    if (!s.ok()) return s;
  }
  RegistrySnapshot& d = view->domain;
  for (const auto& [code, m] : view->municipalities) {
    d.municipalities[code] = MunicipalityInfo{code, m.name(), m.county_code(),
                                              GeoPoint{m.location().latitude(), m.location().longitude()}};
  }
  for (const auto& [org, p] : view->providers) {
    ProviderInfo info;
    info.organisation_number = org;
    info.name = p.profile().name();
    info.status = FromProto(p.status());
    info.languages.insert(p.profile().languages().begin(), p.profile().languages().end());
    info.remote_delivery = p.profile().remote_delivery();
    if (p.has_approved_since()) info.approved_since = Day(p.approved_since());
    if (p.rating().stars() > 0) info.stars = p.rating().stars();
    d.providers[org] = std::move(info);
  }
  for (const auto& [id, a] : view->areas) {
    d.areas[id] = AreaInfo{id, a.name(), {a.municipality_codes().begin(), a.municipality_codes().end()}};
  }
  for (const auto& [id, c] : view->contracts) {
    ContractInfo info;
    info.contract_id = id;
    info.organisation_number = c.organisation_number();
    info.area_id = c.area_id();
    info.start = Day(c.period().start()).value_or(absl::CivilDay(1900, 1, 1));
    if (c.period().has_end()) info.end = Day(c.period().end());
    info.capacity = c.default_assignment_capacity();
    d.contracts.push_back(std::move(info));
  }
  for (const auto& [id, o] : view->offices) {
    d.offices.push_back(OfficeInfo{id, o.organisation_number(),
                                   GeoPoint{o.location().latitude(), o.location().longitude()}});
  }
  d.assignments = raw.assignments;
  IndexSnapshot(d);
  return std::shared_ptr<const RegistryView>(std::move(view));
}

std::shared_ptr<const RegistryView> WithAssignments(const std::shared_ptr<const RegistryView>& view,
                                                    const std::map<std::string, int>& assignments) {
  if (view->domain.assignments == assignments) return view;
  // A copy (the index is shared, not rebuilt); the caller caches it, so this happens once per
  // reservation, not once per request.
  auto copy = std::make_shared<RegistryView>(*view);
  copy->domain.assignments = assignments;
  return copy;
}

}  // namespace rusta::registry
