// Municipalities, providers and their lifecycle, and the public lookup.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/server/ids.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/provider-registry/domain/geo.h"
#include "services/provider-registry/domain/lifecycle.h"
#include "services/provider-registry/domain/choice.h"
#include "services/provider-registry/registry_rpcs.h"

namespace rusta::registry {
namespace {

constexpr size_t kMaxText = 4000;

bool SeesAdmission(const Identity& caller, const std::string& org) {
  return caller.role == Role::kAdmin || caller.role == Role::kProviderFollowUp ||
         (caller.role == Role::kProvider && caller.id == org);
}

v1::Provider ForCaller(const Identity& caller, v1::Provider p) {
  if (!SeesAdmission(caller, p.organisation_number())) p.clear_admission();
  return p;
}

absl::Status ValidateLanguages(const google::protobuf::RepeatedPtrField<std::string>& languages, const char* field) {
  if (languages.size() > 30) return absl::InvalidArgumentError(absl::StrCat(field, ": at most 30"));
  for (const std::string& l : languages) {
    bool ok = l.size() >= 2 && l.size() <= 3;
    for (char c : l) ok = ok && absl::ascii_islower(c);
    if (!ok) return absl::InvalidArgumentError(absl::StrCat(field, ": use ISO 639 codes such as sv, en, ar"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMailbox(const std::string& mailbox, const char* field) {
  RETURN_IF_ERROR(RequireText(mailbox, field, 254));
  const size_t at = mailbox.find('@');
  if (at == std::string::npos || at == 0 || mailbox.find('.', at) == std::string::npos ||
      mailbox.find(' ') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not an e-mail address"));
  }
  return absl::OkStatus();
}

absl::Status ValidateProfile(const v1::ProviderProfile& p, bool full) {
  if (full) {
    RETURN_IF_ERROR(RequireText(p.name(), "profile.name", 200));
    if (p.sector() == v1::PROVIDER_SECTOR_UNSPECIFIED || !v1::ProviderSector_IsValid(p.sector())) {
      return absl::InvalidArgumentError("profile.sector: required");
    }
    RETURN_IF_ERROR(ValidateMailbox(p.contact_mailbox(), "profile.contact_mailbox"));
  }
  if (p.description().size() > kMaxText) return absl::InvalidArgumentError("profile.description: at most 4000 characters");
  if (p.website().size() > 200) return absl::InvalidArgumentError("profile.website: at most 200 characters");
  return ValidateLanguages(p.languages(), "profile.languages");
}

// A provider's next regular follow-up, from its risk (here: only what the snapshot knows).
FollowUpSchedule NextFollowUp(const RegistryImpl& impl, const std::string& org, absl::CivilDay from,
                              double risk) {
  const int days = std::max(1, impl.config.follow_up_interval_days - FollowUpDaysEarlier(risk));
  return FollowUpSchedule{"follow-up:" + org, org, absl::ToUnixMillis(impl.Schedule(from + days))};
}

// The lifecycle RPCs share everything but the target status.
// Approve starts from an application, Reinstate from a suspension: the two RPCs reach the same
// status but are different decisions with different roles.
template <typename Request, typename Response>
absl::Status Transition(RegistryImpl& impl, const Identity& caller, RedisConnection& redis, const Request& req,
                        Response* resp, const char* method, ProviderStatus to, bool reason_required,
                        std::optional<ProviderStatus> required_from = std::nullopt) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  if (reason_required) RETURN_IF_ERROR(RequireText(req.reason(), "reason", kMaxText));
  if (req.reason().size() > kMaxText) return absl::InvalidArgumentError("reason: at most 4000 characters");
  const bool terminating = to == ProviderStatus::kTerminated;
  if (terminating && !req.has_effective_date()) {
    return absl::InvalidArgumentError("effective_date: required (the date the contracts end)");
  }
  auto effective = DayOrToday(req.effective_date(), "effective_date", impl.Today());
  if (!effective.ok()) return effective.status();
  auto result = impl.Mutate(redis, caller, method, req, req.request_id(), [&](const RegistryView& view)
                                -> absl::StatusOr<Change> {
    auto it = view.providers.find(*org);
    if (it == view.providers.end()) return absl::NotFoundError("organisation_number: no such provider");
    v1::Provider p = it->second;
    RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version(), p.version()));
    const ProviderStatus from = FromProto(p.status());
    if (required_from.has_value() && from != *required_from) {
      return absl::FailedPreconditionError(absl::StrCat("provider.lifecycle: ", method, " needs ",
                                                        StatusName(*required_from), ", the provider is ",
                                                        StatusName(from)));
    }
    RETURN_IF_ERROR(CheckTransition(from, to));
    if (to == ProviderStatus::kApproved && from == ProviderStatus::kApplied) {
      const auto admission = p.admission().result();
      if (admission != v1::ADMISSION_CHECK_RESULT_PASSED) {
        return absl::FailedPreconditionError(
            "admission.passed: the admission checks have not passed (references, or an auditor's statement)");
      }
      *p.mutable_approved_since() = server::FromCivilDay(*effective);
    }
    if (to == ProviderStatus::kTerminated) *p.mutable_terminated_on() = server::FromCivilDay(*effective);
    v1::ProviderStatusChange* change = p.add_status_history();
    change->set_from_status(p.status());
    change->set_to_status(ToProto(to));
    change->set_reason(req.reason());
    *change->mutable_effective_date() = server::FromCivilDay(*effective);
    *change->mutable_actor() = server::ToActor(caller);
    server::SetTimestamp(impl.Now(), change->mutable_time());
    p.set_status(ToProto(to));
    p.set_version(p.version() + 1);
    server::SetTimestamp(impl.Now(), p.mutable_updated_at());
    Change c;
    c.ops.push_back({Table::kProviders, *org, Serialize(p)});
    if (terminating) {  // hävning: the contracts end on the date; ones not yet begun never start
      for (const auto& [id, contract] : view.contracts) {
        if (contract.organisation_number() != *org) continue;
        auto start = server::ToCivilDay(contract.period().start(), "start");
        auto end = contract.period().has_end() ? server::ToCivilDay(contract.period().end(), "end")
                                               : absl::StatusOr<absl::CivilDay>(absl::CivilDay(9999, 1, 1));
        if (!start.ok() || !end.ok() || *end <= *effective) continue;
        if (*start > *effective) {
          c.ops.push_back({Table::kContracts, id, ""});
          continue;
        }
        v1::Contract ended = contract;
        *ended.mutable_period()->mutable_end() = server::FromCivilDay(*effective);
        ended.set_version(ended.version() + 1);
        c.ops.push_back({Table::kContracts, id, Serialize(ended)});
      }
    }
    Response out;
    *out.mutable_provider() = ForCaller(caller, p);
    impl.DescribeProviderChange(c, caller, method, req.request_id(), *org, out);
    c.event.set_detail(absl::StrCat(StatusName(from), " -> ", StatusName(to), ": ", req.reason()));
    c.event.set_rule_version(kAdmissionRuleVersion);
    if (to == ProviderStatus::kApproved && from == ProviderStatus::kApplied) {
      c.schedule = NextFollowUp(impl, *org, *effective, 0);  // follow-up twice a year from approval
    }
    return c;
  });
  return ParseResult(result, resp);
}

}  // namespace

absl::Status DoListMunicipalities(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                                  const v1::ListMunicipalitiesRequest& req, v1::ListMunicipalitiesResponse* resp) {
  if (!req.county_code().empty() && !validation::IsCountyCode(req.county_code())) {
    return absl::InvalidArgumentError("county_code: not a Swedish county code");
  }
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  AddPage(Values(current->view->municipalities), *paging,
          [&](const v1::Municipality& m) { return req.county_code().empty() || m.county_code() == req.county_code(); },
          [&](const v1::Municipality& m) { *resp->add_municipalities() = m; }, resp->mutable_next_page_token());
  resp->set_total_loaded(static_cast<int32_t>(current->view->municipalities.size()));
  return absl::OkStatus();
}

absl::Status DoAddMunicipality(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                               const v1::AddMunicipalityRequest& req, v1::AddMunicipalityResponse* resp) {
  const v1::Municipality& m = req.municipality();
  if (!req.has_municipality()) return absl::InvalidArgumentError("municipality: required");
  RETURN_IF_ERROR(validation::ValidateMunicipalityCode(m.code(), "municipality.code", nullptr));
  RETURN_IF_ERROR(RequireText(m.name(), "municipality.name", 200));
  if (m.county_code() != m.code().substr(0, 2)) {
    return absl::InvalidArgumentError("municipality.county_code: does not match the code");
  }
  if (!m.has_location()) return absl::InvalidArgumentError("municipality.location: required");
  if (!InSweden(GeoPoint{m.location().latitude(), m.location().longitude()})) {
    return absl::InvalidArgumentError("municipality.location: outside Sweden");
  }
  auto result = impl.Mutate(redis, caller, "AddMunicipality", req, req.request_id(),
                            [&](const RegistryView&) -> absl::StatusOr<Change> {
    Change c;
    c.ops.push_back({Table::kMunicipalities, m.code(), Serialize(m)});
    v1::AddMunicipalityResponse out;
    *out.mutable_municipality() = m;
    c.result = Serialize(out);
    c.chain = "registry/municipalities";
    c.event = impl.Audit(caller, "AddMunicipality", req.request_id());
    audit::AddSubject(c.event, v1::SUBJECT_KIND_MUNICIPALITY, m.code());
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoLookupPostalCode(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                                const v1::LookupPostalCodeRequest& req, v1::LookupPostalCodeResponse* resp) {
  auto postal = validation::ParsePostalCode(req.postal_code(), "postal_code");
  if (!postal.ok()) return postal.status();
  auto it = impl.reference.postal_codes.find(*postal);
  if (it == impl.reference.postal_codes.end()) return absl::NotFoundError("postal_code: unknown postal code");
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  resp->set_postal_code(*postal);
  resp->set_locality(it->second.locality);
  auto m = current->view->municipalities.find(it->second.municipality_code);
  if (m != current->view->municipalities.end()) *resp->mutable_municipality() = m->second;
  else resp->mutable_municipality()->set_code(it->second.municipality_code);
  return absl::OkStatus();
}

absl::Status DoApplyProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                             const v1::ApplyProviderRequest& req, v1::ApplyProviderResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  RETURN_IF_ERROR(RegistryImpl::RequireOwn(caller, *org));
  if (!req.has_profile()) return absl::InvalidArgumentError("profile: required");
  RETURN_IF_ERROR(ValidateProfile(req.profile(), /*full=*/true));
  if (!req.has_admission()) return absl::InvalidArgumentError("admission: required");
  const v1::AdmissionCheck& a = req.admission();
  if (a.credit_rating() < 0 || a.credit_rating() > 100) {
    return absl::InvalidArgumentError("admission.credit_rating: must be between 0 and 100");
  }
  if (a.references_size() > 50) return absl::InvalidArgumentError("admission.references: at most 50");
  for (int i = 0; i < a.references_size(); ++i) {
    RETURN_IF_ERROR(RequireText(a.references(i).client_name(), "admission.references.client_name", 200));
  }
  if (a.auditor_statement_provided() && a.auditor_statement_ref().empty()) {
    return absl::InvalidArgumentError("admission.auditor_statement_ref: required with an auditor's statement");
  }
  auto result = impl.Mutate(redis, caller, "ApplyProvider", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    if (view.providers.count(*org) > 0) return absl::AlreadyExistsError("organisation_number: provider exists");
    v1::Provider p;
    p.set_organisation_number(*org);
    p.set_version(1);
    *p.mutable_profile() = req.profile();
    p.set_status(v1::PROVIDER_STATUS_APPLIED);
    *p.mutable_admission() = a;
    const AdmissionResult r = EvaluateAdmission(a.references_size(), a.credit_rating(), a.payment_remarks(),
                                                a.auditor_statement_provided(), impl.config.min_references);
    p.mutable_admission()->set_result(r == AdmissionResult::kPassed ? v1::ADMISSION_CHECK_RESULT_PASSED
                                      : r == AdmissionResult::kNeedsAuditorStatement
                                          ? v1::ADMISSION_CHECK_RESULT_NEEDS_AUDITOR_STATEMENT
                                          : v1::ADMISSION_CHECK_RESULT_INSUFFICIENT_REFERENCES);
    p.mutable_admission()->set_rule_version(kAdmissionRuleVersion);
    server::SetTimestamp(impl.Now(), p.mutable_admission()->mutable_checked_at());
    server::SetTimestamp(impl.Now(), p.mutable_created_at());
    server::SetTimestamp(impl.Now(), p.mutable_updated_at());
    Change c;
    c.ops.push_back({Table::kProviders, *org, Serialize(p)});
    v1::ApplyProviderResponse out;
    *out.mutable_provider() = ForCaller(caller, p);
    impl.DescribeProviderChange(c, caller, "ApplyProvider", req.request_id(), *org, out);
    c.event.set_rule_version(kAdmissionRuleVersion);
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoGetProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                           const v1::GetProviderRequest& req, v1::GetProviderResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  auto it = current->view->providers.find(*org);
  if (it == current->view->providers.end()) return absl::NotFoundError("organisation_number: no such provider");
  *resp->mutable_provider() = ForCaller(caller, it->second);
  return absl::OkStatus();
}

absl::Status DoListProviders(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                             const v1::ListProvidersRequest& req, v1::ListProvidersResponse* resp) {
  auto paging = ReadPaging(req.page_size(), req.page_token());
  if (!paging.ok()) return paging.status();
  if (!req.municipality_code().empty()) {
    RETURN_IF_ERROR(validation::ValidateMunicipalityCode(req.municipality_code(), "municipality_code", nullptr));
  }
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  const RegistryView& view = *current->view;
  std::set<std::string> serving;
  if (!req.municipality_code().empty()) {
    for (const std::string& org : ProvidersServing(view.domain, req.municipality_code(), impl.Today())) {
      serving.insert(org);
    }
  }
  AddPage(Values(view.providers), *paging,
          [&](const v1::Provider& p) {
            if (req.statuses_size() > 0 &&
                std::find(req.statuses().begin(), req.statuses().end(), p.status()) == req.statuses().end()) {
              return false;
            }
            if (req.sector() != v1::PROVIDER_SECTOR_UNSPECIFIED && p.profile().sector() != req.sector()) return false;
            return req.municipality_code().empty() || serving.count(p.organisation_number()) > 0;
          },
          [&](const v1::Provider& p) { *resp->add_providers() = ForCaller(caller, p); },
          resp->mutable_next_page_token());
  return absl::OkStatus();
}

absl::Status DoUpdateProviderProfile(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                     const v1::UpdateProviderProfileRequest& req,
                                     v1::UpdateProviderProfileResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  RETURN_IF_ERROR(RegistryImpl::RequireOwn(caller, *org));
  if (req.update_mask().paths_size() == 0) return absl::InvalidArgumentError("update_mask: name the fields to change");
  static const std::set<std::string> kProviderFields = {"description", "languages", "remote_delivery",
                                                        "contact_mailbox", "website"};
  static const std::set<std::string> kAdminFields = {"name", "sector", "description", "languages",
                                                     "remote_delivery", "contact_mailbox", "website"};
  for (const std::string& path : req.update_mask().paths()) {
    const auto& allowed = caller.role == Role::kProvider ? kProviderFields : kAdminFields;
    if (kAdminFields.count(path) == 0) return absl::InvalidArgumentError(absl::StrCat("update_mask: unknown field ", path));
    if (allowed.count(path) == 0) {
      return absl::PermissionDeniedError(absl::StrCat("a provider may not change ", path));
    }
  }
  RETURN_IF_ERROR(ValidateProfile(req.profile(), /*full=*/false));
  auto result = impl.Mutate(redis, caller, "UpdateProviderProfile", req, req.request_id(),
                            [&](const RegistryView& view) -> absl::StatusOr<Change> {
    auto it = view.providers.find(*org);
    if (it == view.providers.end()) return absl::NotFoundError("organisation_number: no such provider");
    v1::Provider p = it->second;
    RETURN_IF_ERROR(CheckExpectedVersion(req.expected_version(), p.version()));
    v1::ProviderProfile* profile = p.mutable_profile();
    for (const std::string& path : req.update_mask().paths()) {
      if (path == "name") profile->set_name(req.profile().name());
      else if (path == "sector") profile->set_sector(req.profile().sector());
      else if (path == "description") profile->set_description(req.profile().description());
      else if (path == "languages") *profile->mutable_languages() = req.profile().languages();
      else if (path == "remote_delivery") profile->set_remote_delivery(req.profile().remote_delivery());
      else if (path == "contact_mailbox") profile->set_contact_mailbox(req.profile().contact_mailbox());
      else if (path == "website") profile->set_website(req.profile().website());
    }
    RETURN_IF_ERROR(ValidateProfile(*profile, /*full=*/true));
    p.set_version(p.version() + 1);
    server::SetTimestamp(impl.Now(), p.mutable_updated_at());
    Change c;
    c.ops.push_back({Table::kProviders, *org, Serialize(p)});
    v1::UpdateProviderProfileResponse out;
    *out.mutable_provider() = ForCaller(caller, p);
    impl.DescribeProviderChange(c, caller, "UpdateProviderProfile", req.request_id(), *org, out);
    return c;
  });
  return ParseResult(result, resp);
}

absl::Status DoApproveProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                               const v1::ApproveProviderRequest& req, v1::ApproveProviderResponse* resp) {
  return Transition(impl, caller, redis, req, resp, "ApproveProvider", ProviderStatus::kApproved, false,
                    ProviderStatus::kApplied);
}
absl::Status DoRejectProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                              const v1::RejectProviderRequest& req, v1::RejectProviderResponse* resp) {
  return Transition(impl, caller, redis, req, resp, "RejectProvider", ProviderStatus::kRejected, true);
}
absl::Status DoSuspendProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                               const v1::SuspendProviderRequest& req, v1::SuspendProviderResponse* resp) {
  return Transition(impl, caller, redis, req, resp, "SuspendProvider", ProviderStatus::kSuspended, true);
}
absl::Status DoReinstateProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                 const v1::ReinstateProviderRequest& req, v1::ReinstateProviderResponse* resp) {
  return Transition(impl, caller, redis, req, resp, "ReinstateProvider", ProviderStatus::kApproved, true,
                    ProviderStatus::kSuspended);
}
absl::Status DoTerminateProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
                                 const v1::TerminateProviderRequest& req, v1::TerminateProviderResponse* resp) {
  return Transition(impl, caller, redis, req, resp, "TerminateProvider", ProviderStatus::kTerminated, true);
}

absl::Status DoLookupProvider(RegistryImpl& impl, const Identity&, RedisConnection& redis,
                              const v1::LookupProviderRequest& req, v1::LookupProviderResponse* resp) {
  auto org = OrgNumber(req.organisation_number(), "organisation_number");
  if (!org.ok()) return org.status();
  auto current = impl.Read(redis);
  if (!current.ok()) return current.status();
  const RegistryView& view = *current->view;
  auto it = view.providers.find(*org);
  if (it == view.providers.end()) return absl::NotFoundError("provider: not found");
  const v1::Provider& p = it->second;
  resp->set_organisation_number(*org);
  resp->set_name(p.profile().name());
  resp->set_status(p.status());
  if (p.has_approved_since()) *resp->mutable_approved_since() = p.approved_since();
  const absl::CivilDay today = impl.Today();
  // "In which areas": the contracts in force today; ended and not yet begun ones are not.
  for (const ContractInfo& info : view.domain.contracts) {
    if (info.organisation_number != *org || !info.ActiveOn(today)) continue;
    const v1::Contract& c = view.contracts.at(info.contract_id);
    v1::ContractedArea* area = resp->add_areas();
    area->set_area_id(c.area_id());
    auto a = view.areas.find(c.area_id());
    if (a != view.areas.end()) {
      area->set_area_name(a->second.name());
      *area->mutable_municipality_codes() = a->second.municipality_codes();
    }
    *area->mutable_period() = c.period();
  }
  // Genuine for an employer: approved and with a contract in force.
  resp->set_approved(p.status() == v1::PROVIDER_STATUS_APPROVED && resp->areas_size() > 0);
  return absl::OkStatus();
}

}  // namespace rusta::registry
