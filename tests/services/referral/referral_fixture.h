#pragma once
// The referral process's test fixture (referral_service_test.cc, and the compensation module's
// tests/services/compensation/compensation_service_test.cc): REAL assessment, provider-registry
// and referral hosts in one process on one real Redis, over gRPC with mutual TLS (the referral service calls the other two
// with its own certificate), a controllable clock, and the deadline scheduler.
//
// Covered: the whole path with an active choice, the default assignment after the deadline
// (exactly once with two replicas running the scheduler), provider changes and the frequent-change
// flag, parallel measures, prolongation, maximum time, pause/resume, every report type, the
// caseworker queues, handling times, racing replicas, access per role, bad input, the events on
// "events:referral" and the audit chain of each case.
//
// Every expected value is computed here (own month arithmetic, own Luhn, own haversine, own
// capacity bookkeeping), never copied from the service's answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <array>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/lua/common_library.h"
#include "common/redis/redis_connection.h"
#include "common/server/audit_handler.h"
#include "common/server/clock.h"
#include "common/server/service_host.h"
#include "common/validation/municipality_codes.h"
#include "rusta/v1/assessment.grpc.pb.h"
#include "rusta/v1/audit_service.grpc.pb.h"
#include "rusta/v1/events.pb.h"
#include "rusta/v1/provider_registry.grpc.pb.h"
#include "rusta/v1/referral.grpc.pb.h"
#include "services/assessment/assessment_handler.h"
#include "services/provider-registry/reference_data.h"
#include "services/provider-registry/registry_handler.h"
#include "services/referral/referral_config.h"
#include "services/compensation/compensation_handler.h"
#include "services/compensation/domain/tariff.h"
#include "services/referral/compensation_case_settlement.h"
#include "services/referral/compensation_case_source.h"
#include "services/referral/referral_handler.h"
#include "rusta/v1/compensation.grpc.pb.h"
#include "services/referral/upstream_clients.h"
#include "tests/support/pki.h"
#include "tests/support/temp_dir.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_host.h"

namespace rusta::lua {
const redis::FunctionLibrary& AssessmentLibrary();
const redis::FunctionLibrary& RegistryLibrary();
const redis::FunctionLibrary& ReferralLibrary();
const redis::FunctionLibrary& CompensationLibrary();
}  // namespace rusta::lua

namespace rusta::referral {
namespace {

namespace v1 = rusta::v1;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using RStub = v1::ReferralService::Stub;
using RegStub = v1::ProviderRegistryService::Stub;
using AsStub = v1::AssessmentService::Stub;
using AuditStub = v1::AuditService::Stub;

// ---------------------------------------------------------------------------------------------
// Independent helpers.
// ---------------------------------------------------------------------------------------------

int LuhnDigit(const std::string& nine) {
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    int d = (nine[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return (10 - sum % 10) % 10;
}

std::string PersonNumber(int year, int month, int day, int serial) {
  std::string ten = absl::StrFormat("%02d%02d%02d%03d", year % 100, month, day, serial);
  return absl::StrFormat("%04d%02d%02d%03d%d", year, month, day, serial, LuhnDigit(ten));
}

std::string Org(const std::string& nine) { return absl::StrCat(nine, LuhnDigit(nine)); }

constexpr char kProviderOrg[] = "5560360793";  // the dev PKI's `provider` certificate
constexpr char kReferralUri[] = "spiffe://rusta.local/service/referral";
constexpr char kCaseworkerUri[] = "spiffe://rusta.local/caseworker/cw-0001";

struct Day3 {
  int y, m, d;
};

int DaysIn(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Own month arithmetic: the same day n months later, clamped to the month's last day.
absl::CivilDay PlusMonths(absl::CivilDay d, int n) {
  int y = static_cast<int>(d.year()), m = d.month() + n;
  while (m > 12) { m -= 12; ++y; }
  while (m < 1) { m += 12; --y; }
  return absl::CivilDay(y, m, std::min(d.day(), DaysIn(y, m)));
}

v1::Date D(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}
v1::Date D(absl::CivilDay d) { return D(static_cast<int>(d.year()), d.month(), d.day()); }
absl::CivilDay Civil(const v1::Date& d) { return absl::CivilDay(d.year(), d.month(), d.day()); }
std::string Str(const v1::Date& d) { return absl::FormatCivilTime(Civil(d)); }
std::string Str(absl::CivilDay d) { return absl::FormatCivilTime(d); }

absl::Time Stockholm(int y, int m, int d, int h = 9, int min = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), server::SwedishTimeZone());
}

double Haversine(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kR = 6371008.8;
  const double rad = M_PI / 180.0;
  const double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
  const double a = std::pow(std::sin(dlat / 2), 2) +
                   std::cos(lat1 * rad) * std::cos(lat2 * rad) * std::pow(std::sin(dlon / 2), 2);
  return kR * 2 * std::atan2(std::sqrt(a), std::sqrt(1 - a));
}

struct Point {
  double lat = 0, lon = 0;
};

// The municipality's representative point from the shared CSV (own reading).
Point MunicipalityPoint(const std::string& code) {
  std::ifstream in(std::string(RUSTA_SHARED_DATA_DIR) + "/municipality_coordinates.csv");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() >= 5 && f[0] == code) {
      Point p;
      EXPECT_TRUE(absl::SimpleAtod(f[3], &p.lat) && absl::SimpleAtod(f[4], &p.lon));
      return p;
    }
  }
  ADD_FAILURE() << "no coordinates for " << code;
  return {};
}

v1::AssessmentFactors TypicalFactors() {
  v1::AssessmentFactors f;
  f.set_country_of_birth("SE");
  f.set_county_code("14");
  f.set_postal_code("41301");
  f.set_municipality_code("1480");
  f.set_education_level(v1::EDUCATION_LEVEL_UPPER_SECONDARY);
  f.set_education_orientation("52");
  f.add_occupation_groups_sought("5120");
  f.set_age(35);
  f.set_sex(v1::SEX_FEMALE);
  f.set_fund_membership(v1::FUND_MEMBERSHIP_MEMBER);
  *f.mutable_registration_date() = D(2025, 11, 1);
  f.set_days_registered_previous_period(120);
  f.set_days_since_previous_period(400);
  f.set_previous_period_count(1);
  f.set_days_in_programmes_previous_periods(30);
  f.set_disability_status(v1::DISABILITY_STATUS_NONE);
  auto* a = f.mutable_area_statistics();
  a->set_unemployment_share(0.07);
  a->mutable_median_annual_income()->set_ore(32000000);
  a->set_post_secondary_education_share(0.35);
  a->set_foreign_citizen_share(0.12);
  a->set_single_household_share(0.4);
  a->set_statistics_version("scb-2024");
  return f;
}

std::vector<v1::CaseTransitionKind> Kinds(const v1::Case& c) {
  std::vector<v1::CaseTransitionKind> out;
  for (const auto& h : c.history()) out.push_back(h.kind());
  return out;
}

int CountKind(const v1::Case& c, v1::CaseTransitionKind k) {
  int n = 0;
  for (const auto& h : c.history()) n += h.kind() == k;
  return n;
}

v1::ActivityHours Hours(v1::ActivityCategory c, int h) {
  v1::ActivityHours a;
  a.set_category(c);
  a.set_hours(h);
  return a;
}

// Possible hours of a month (own computation): 40 h/week × days in the participation ÷ 7 × %,
// rounded up.
int PossibleHoursOf(absl::CivilDay start, std::optional<absl::CivilDay> end, int y, int m, int percent = 100) {
  const absl::CivilDay first = std::max(absl::CivilDay(y, m, 1), start);
  absl::CivilDay last(y, m, DaysIn(y, m));
  if (end && *end < last) last = *end;
  if (last < first) return 0;
  const int64_t days = (last - first) + 1;
  return static_cast<int>((40 * days * percent + 699) / 700);
}

// ---------------------------------------------------------------------------------------------
// The fixture.
// ---------------------------------------------------------------------------------------------

class ReferralServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::Pki();
    pki_->AddClient("eo", "spiffe://rusta.local/employment-officer/eo-1");
    pki_->AddClient("cw2", "spiffe://rusta.local/caseworker/cw-0002");
    pki_->AddClient("auditor", "spiffe://rusta.local/auditor/au-1");
    pki_->AddClient("provider2", "spiffe://rusta.local/provider/" + Org("556677881"));
    pki_->AddClient("provider3", "spiffe://rusta.local/provider/" + Org("556700003"));
    auto m = validation::MunicipalityCodes::LoadCsv(RUSTA_SHARED_DATA_DIR "/municipalities.csv");
    auto p = validation::PostalCodeDirectory::LoadCsv(RUSTA_SHARED_DATA_DIR "/postal_to_municipality.csv");
    ASSERT_TRUE(m.ok() && p.ok());
    municipalities_ = new validation::MunicipalityCodes(std::move(*m));
    postal_ = new validation::PostalCodeDirectory(std::move(*p));
    auto models = assessment::ModelRegistry::LoadDirectory(RUSTA_SOURCE_DIR "/services/assessment/models");
    ASSERT_TRUE(models.ok()) << models.status();
    models_ = new assessment::ModelRegistry(std::move(*models));
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete municipalities_;
    delete postal_;
    delete models_;
  }

  ReferralServiceTest() : clock_(Stockholm(2026, 3, 2, 9, 0)) {}

  ~ReferralServiceTest() override {
    // Stop the referral replicas (their schedulers) before the upstream hosts go away.
    for (auto& r : replicas_) {
      if (r.host) r.host->Shutdown();
    }
    replicas_.clear();
    if (registry_host_) registry_host_->Shutdown();
    if (assessment_host_) assessment_host_->Shutdown();
  }

  struct Replica {
    std::unique_ptr<server::ServiceHost> host;
    std::unique_ptr<AssessmentClient> assessment;
    std::unique_ptr<RegistryClient> registry;
    std::unique_ptr<ReferralHandler> handler;
    std::unique_ptr<server::AuditHandler> audit;
    // Compensation hosted as in services/referral/main.cc: its two views of the case flow in process.
    std::unique_ptr<InProcessCaseSource> case_source;
    std::unique_ptr<InProcessCaseSettlement> case_settlement;
    std::unique_ptr<compensation::CompensationHandler> compensation;
  };

  // The shipped (illustrative) tariff, loaded once.
  static const compensation::TariffSet& Tariffs() {
    static const compensation::TariffSet* tariffs = [] {
      auto t = compensation::LoadTariffDirectory(RUSTA_COMPENSATION_TARIFF_DIR);
      EXPECT_TRUE(t.ok()) << t.status();
      return new compensation::TariffSet(t.ok() ? std::move(*t) : compensation::TariffSet());
    }();
    return *tariffs;
  }

  // Starts the assessment service, the registry and `replicas` referral hosts.
  void Start(int replicas = 1, std::function<void(ReferralConfig&)> adjust = nullptr) {
    {
      config::ConfigParser parser({}, {});
      assessment::AssessmentConfig config = assessment::ReadAssessmentConfig(parser);
      config.model_dir = RUSTA_SOURCE_DIR "/services/assessment/models";
      config.pseudonym_secret = "test-secret";
      redis::FunctionRegistry functions;
      functions.Add(lua::CommonLibrary());
      functions.Add(lua::AssessmentLibrary());
      assessment_host_ = std::make_unique<server::ServiceHost>(testing::TestServerConfig(*pki_, redis_, "assessment"),
                                                               functions);
      assessment_host_->SetClock(&clock_);
      assessment_ = std::make_unique<assessment::AssessmentHandler>(*assessment_host_, config, *models_,
                                                                    municipalities_, postal_);
      assessment_host_->AddService(assessment_.get(), "rusta.v1.AssessmentService");
      ASSERT_TRUE(assessment_host_->Start().ok());
    }
    {
      config::ConfigParser parser({}, {});
      registry::RegistryConfig config = registry::ReadRegistryConfig(parser);
      auto reference = registry::LoadReferenceData(RUSTA_SHARED_DATA_DIR);
      ASSERT_TRUE(reference.ok()) << reference.status();
      redis::FunctionRegistry functions;
      functions.Add(lua::CommonLibrary());
      functions.Add(lua::RegistryLibrary());
      registry_host_ = std::make_unique<server::ServiceHost>(
          testing::TestServerConfig(*pki_, redis_, "provider-registry"), functions);
      registry_host_->SetClock(&clock_);
      registry_ = std::make_unique<registry::RegistryHandler>(*registry_host_, config, std::move(*reference));
      registry_host_->AddService(registry_.get(), "rusta.v1.ProviderRegistryService");
      ASSERT_TRUE(registry_host_->Start().ok());
      redis::RedisConnection conn(redis_.options());
      ASSERT_TRUE(registry_->LoadMunicipalities(conn).ok());
    }
    for (int i = 0; i < replicas; ++i) {
      ReferralConfig config;
      config.scheduler_interval_ms = 0;
      config.pseudonym_secret = "test-secret";
      if (adjust) adjust(config);
      Replica r;
      redis::FunctionRegistry functions;
      functions.Add(lua::CommonLibrary());
      functions.Add(lua::ReferralLibrary());
      functions.Add(lua::CompensationLibrary());
      server::ServerConfig server_config = testing::TestServerConfig(*pki_, redis_, "referral");
      server_config.replica_id = absl::StrCat("referral-", i);  // each replica its own consumer name
      r.host = std::make_unique<server::ServiceHost>(server_config, functions);
      r.host->SetClock(&clock_);
      UpstreamOptions up;
      up.assessment_address = absl::StrCat("127.0.0.1:", assessment_host_->port());
      up.registry_address = absl::StrCat("127.0.0.1:", registry_host_->port());
      up.tls_cert = pki_->server_cert("referral");
      up.tls_key = pki_->server_key("referral");
      up.tls_ca = pki_->ca_cert();
      up.tls_name = "localhost";
      r.assessment = *MakeGrpcAssessmentClient(up);
      r.registry = *MakeGrpcRegistryClient(up);
      r.handler = std::make_unique<ReferralHandler>(*r.host, config, r.assessment.get(), r.registry.get(),
                                                    municipalities_, postal_);
      r.audit = std::make_unique<server::AuditHandler>(*r.host);
      r.host->AddService(r.handler.get(), "rusta.v1.ReferralService");
      r.host->AddService(r.audit.get(), "rusta.v1.AuditService");
      compensation::CompensationConfig compensation_config;
      compensation_config.engine_interval_ms = config.scheduler_interval_ms;  // the tests run it by hand
      r.case_source = std::make_unique<InProcessCaseSource>(r.handler->case_store());
      r.case_settlement = std::make_unique<InProcessCaseSettlement>(*r.handler);
      r.compensation = std::make_unique<compensation::CompensationHandler>(
          *r.host, compensation_config, Tariffs(), *r.case_source, r.case_settlement.get());
      r.host->AddService(r.compensation.get(), "rusta.v1.CompensationService");
      ASSERT_TRUE(r.host->Start().ok());
      replicas_.push_back(std::move(r));
    }
  }

  ReferralHandler& Handler(int replica = 0) { return *replicas_[replica].handler; }

  // ---- stubs and calls ----

  RStub* Ref(const std::string& who, int replica = 0) {
    auto& stub = ref_stubs_[absl::StrCat(who, "@", replica)];
    if (!stub) stub = v1::ReferralService::NewStub(
                   testing::Pki::Channel(replicas_[replica].host->port(), pki_->ClientCredentials(who)));
    return stub.get();
  }
  RegStub* Reg(const std::string& who) {
    auto& stub = reg_stubs_[who];
    if (!stub) stub = v1::ProviderRegistryService::NewStub(
                   testing::Pki::Channel(registry_host_->port(), pki_->ClientCredentials(who)));
    return stub.get();
  }
  AsStub* Asm(const std::string& who) {
    auto& stub = as_stubs_[who];
    if (!stub) stub = v1::AssessmentService::NewStub(
                   testing::Pki::Channel(assessment_host_->port(), pki_->ClientCredentials(who)));
    return stub.get();
  }
  AuditStub* Aud(const std::string& who) {
    auto& stub = audit_stubs_[who];
    if (!stub) stub = v1::AuditService::NewStub(
                   testing::Pki::Channel(replicas_[0].host->port(), pki_->ClientCredentials(who)));
    return stub.get();
  }

  template <typename Stub, typename Req, typename Resp>
  static grpc::Status Invoke(Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                             const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return (stub->*method)(&ctx, req, resp);
  }

  // A referral call as `who` on replica `replica`.
  template <typename Req, typename Resp>
  grpc::Status Call(const std::string& who, grpc::Status (RStub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp, int replica = 0) {
    return Invoke(Ref(who, replica), method, req, resp);
  }
  template <typename Req, typename Resp>
  grpc::Status Try(const std::string& who, grpc::Status (RStub::*method)(grpc::ClientContext*, const Req&, Resp*),
                   const Req& req, int replica = 0) {
    Resp resp;
    return Call(who, method, req, &resp, replica);
  }

  std::string Rid() { return absl::StrCat("rid-", ++counter_); }

  // ---- registry data ----

  struct ProviderSpec {
    std::string org, name;
    Point office;
    int capacity = 0;
  };

  void MustRegistry(const grpc::Status& s, const std::string& what) { ASSERT_TRUE(s.ok()) << what << ": " << s.error_message(); }

  // Applies, approves and contracts each provider for Göteborg (1480) and gives it one office.
  void BuildProviders(const std::vector<ProviderSpec>& providers) {
    v1::CreateDeliveryAreaRequest area;
    area.set_request_id(Rid());
    area.set_name("Göteborg");
    area.add_municipality_codes("1480");
    v1::CreateDeliveryAreaResponse area_resp;
    MustRegistry(Invoke(Reg("admin"), &RegStub::CreateDeliveryArea, area, &area_resp), "area");
    area_id_ = area_resp.area().area_id();
    for (const ProviderSpec& p : providers) {
      v1::ApplyProviderRequest apply;
      apply.set_request_id(Rid());
      apply.set_organisation_number(p.org);
      v1::ProviderProfile* prof = apply.mutable_profile();
      prof->set_name(p.name);
      prof->set_sector(v1::PROVIDER_SECTOR_EDUCATION);
      prof->set_description(p.name + " rustar och matchar");
      prof->add_languages("sv");
      prof->set_contact_mailbox("rom@leverantor.se");
      v1::AdmissionCheck* a = apply.mutable_admission();
      for (int i = 0; i < 2; ++i) {
        v1::ReferenceAssignment* r = a->add_references();
        r->set_client_name(absl::StrCat("Uppdragsgivare ", i));
        r->set_description("matchning");
        *r->mutable_period()->mutable_start() = D(2022, 1, 1);
        *r->mutable_period()->mutable_end() = D(2023, 12, 31);
        r->set_contact("registrator@kommun.se");
      }
      a->set_credit_rating(75);
      v1::ApplyProviderResponse applied;
      MustRegistry(Invoke(Reg("admin"), &RegStub::ApplyProvider, apply, &applied), "apply " + p.org);
      v1::ApproveProviderRequest approve;
      approve.set_request_id(Rid());
      approve.set_organisation_number(p.org);
      approve.set_reason("kvalificeringskraven uppfyllda");
      *approve.mutable_effective_date() = D(2025, 1, 1);
      v1::ApproveProviderResponse approved;
      MustRegistry(Invoke(Reg("admin"), &RegStub::ApproveProvider, approve, &approved), "approve " + p.org);
      v1::CreateContractRequest contract;
      contract.set_request_id(Rid());
      contract.set_organisation_number(p.org);
      contract.set_area_id(area_id_);
      *contract.mutable_period()->mutable_start() = D(2025, 1, 1);
      contract.set_default_assignment_capacity(p.capacity);
      v1::CreateContractResponse contracted;
      MustRegistry(Invoke(Reg("admin"), &RegStub::CreateContract, contract, &contracted), "contract " + p.org);
      v1::AddOfficeRequest office;
      office.set_request_id(Rid());
      office.set_organisation_number(p.org);
      office.set_name("Kontor " + p.name);
      office.mutable_address()->set_street("Storgatan 1");
      office.mutable_address()->set_postal_code("41301");
      office.mutable_location()->set_latitude(p.office.lat);
      office.mutable_location()->set_longitude(p.office.lon);
      v1::AddOfficeResponse added;
      MustRegistry(Invoke(Reg("admin"), &RegStub::AddOffice, office, &added), "office " + p.org);
    }
  }

  // Three providers serving Göteborg: the `provider` certificate's, provider2 and provider3.
  void StandardProviders(int near_capacity = 0) {
    const Point home = MunicipalityPoint("1480");
    BuildProviders({{kProviderOrg, "Rusta Väst AB", {home.lat + 0.002, home.lon}, near_capacity},
                    {provider2_, "Matcha Mölndal AB", {57.6554, 12.0138}, 0},
                    {provider3_, "Jobbhjälpen Borås AB", {57.7210, 12.9401}, 0}});
  }

  // ---- assessments ----

  // Factors the shipped model says IN_BETWEEN for (found by trying; the model is deterministic).
  v1::AssessmentFactors InBetweenFactors() {
    if (in_between_) return *in_between_;
    std::mt19937 rng(7);
    for (int i = 0; i < 300; ++i) {
      v1::AssessmentFactors f = TypicalFactors();
      if (i > 0) {
        f.set_age(18 + static_cast<int>(rng() % 48));
        f.set_education_level(static_cast<v1::EducationLevel>(1 + rng() % 6));
        f.set_days_registered_previous_period(static_cast<int>(rng() % 900));
        f.set_fund_membership(rng() % 2 ? v1::FUND_MEMBERSHIP_MEMBER : v1::FUND_MEMBERSHIP_NOT_MEMBER);
        f.mutable_area_statistics()->set_unemployment_share((rng() % 25) / 100.0);
      }
      v1::AssessRequest req;
      req.set_request_id(Rid());
      req.set_person_id(PersonNumber(1970, 2, 2, 100 + i % 800));
      *req.mutable_factors() = f;
      v1::AssessResponse resp;
      grpc::Status s = Invoke(Asm("caseworker"), &AsStub::Assess, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      if (resp.assessment().result().outcome() == v1::ASSESSMENT_OUTCOME_IN_BETWEEN) {
        in_between_ = f;
        return f;
      }
    }
    ADD_FAILURE() << "no IN_BETWEEN factors found";
    return TypicalFactors();
  }

  v1::Assessment MustAssess(const std::string& person, std::optional<v1::AssessmentFactors> factors = std::nullopt) {
    v1::AssessRequest req;
    req.set_request_id(Rid());
    req.set_person_id(person);
    *req.mutable_factors() = factors ? *factors : InBetweenFactors();
    v1::AssessResponse resp;
    grpc::Status s = Invoke(Asm("caseworker"), &AsStub::Assess, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.assessment();
  }

  v1::Assessment GetAssessment(const std::string& id) {
    v1::GetAssessmentRequest req;
    req.set_assessment_id(id);
    v1::GetAssessmentResponse resp;
    grpc::Status s = Invoke(Asm("caseworker"), &AsStub::GetAssessment, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.assessment();
  }

  // ---- cases ----

  std::string NextPerson() { return PersonNumber(1985, 6, 15, 200 + ++persons_); }

  v1::Case MustCreate(const std::string& person, const std::string& assessment_id, const std::string& who = "caseworker") {
    v1::CreateCaseRequest req;
    req.set_request_id(Rid());
    req.set_person_id(person);
    req.set_home_municipality_code("1480");
    req.set_home_postal_code("41301");
    req.set_assessment_id(assessment_id);
    v1::CreateCaseResponse resp;
    grpc::Status s = Call(who, &RStub::CreateCase, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_record();
  }

  static v1::DecideRequest ReferReq(const v1::Case& c, v1::Level level, int64_t version) {
    v1::DecideRequest req;
    req.set_case_id(c.case_id());
    req.set_expected_version(version);
    v1::ReferDecision* d = req.mutable_refer();
    d->set_assessment_id(c.assessment_id());
    d->set_basis(v1::DECISION_BASIS_ASSESSMENT);
    d->set_level(level);
    d->mutable_extent()->set_kind(v1::EXTENT_KIND_FULL_TIME);
    d->mutable_extent()->set_percentage(100);
    d->set_justification("bedömningsstödet: mellan");
    return req;
  }

  // A case AWAITING_CHOICE, decided today.
  v1::Case MustAwaitChoice(std::string person = "") {
    if (person.empty()) person = NextPerson();
    v1::Assessment a = MustAssess(person);
    v1::Case c = MustCreate(person, a.assessment_id());
    v1::DecideRequest req = ReferReq(c, a.result().level(), c.version());
    req.set_request_id(Rid());
    v1::DecideResponse resp;
    grpc::Status s = Call("caseworker", &RStub::Decide, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_record();
  }

  v1::Case MustChoose(const v1::Case& c, const std::string& org) {
    v1::ChooseProviderRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    req.set_expected_version(c.version());
    req.set_organisation_number(org);
    v1::ChooseProviderResponse resp;
    grpc::Status s = Call("caseworker", &RStub::ChooseProvider, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_record();
  }

  v1::Case MustStart(const v1::Case& c, absl::CivilDay start) {
    v1::StartRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    req.set_expected_version(c.version());
    *req.mutable_start_date() = D(start);
    v1::StartResponse resp;
    grpc::Status s = Call("caseworker", &RStub::Start, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_record();
  }

  // A case ACTIVE with `org`, decided and chosen today, started on `start`.
  v1::Case MustActive(const std::string& org, absl::CivilDay start) {
    v1::Case c = MustAwaitChoice();
    c = MustChoose(c, org);
    return MustStart(c, start);
  }

  v1::Case GetCase(const std::string& case_id, const std::string& who = "caseworker") {
    v1::GetCaseRequest req;
    req.set_case_id(case_id);
    v1::GetCaseResponse resp;
    grpc::Status s = Call(who, &RStub::GetCase, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_record();
  }

  grpc::Status Monthly(const std::string& who, const std::string& case_id, int y, int m,
                       std::vector<v1::ActivityHours> acts, v1::CaseReport* out = nullptr,
                       int64_t expected_version = 0) {
    v1::SubmitMonthlyReportRequest req;
    req.set_request_id(Rid());
    req.set_case_id(case_id);
    req.set_expected_version(expected_version);
    v1::MonthlyReport* r = req.mutable_report();
    r->mutable_month()->set_year(y);
    r->mutable_month()->set_month(m);
    for (auto& a : acts) *r->add_activities() = a;
    r->set_interpreter_hours(2);
    r->set_attested_by("Handledare Anna");
    r->set_meetings(3);
    r->set_in_person_meetings(2);
    v1::SubmitMonthlyReportResponse resp;
    grpc::Status s = Call(who, &RStub::SubmitMonthlyReport, req, &resp);
    if (out) *out = resp.report();
    return s;
  }

  v1::ClaimWorkResponse Claim(const std::string& who, v1::ReferralQueue q) {
    v1::ClaimWorkRequest req;
    req.set_request_id(Rid());
    req.set_queue(q);
    v1::ClaimWorkResponse resp;
    grpc::Status s = Call(who, &RStub::ClaimWork, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Complete(const std::string& who, const std::string& item, v1::WorkOutcome outcome,
                        const std::string& note = "") {
    v1::CompleteWorkRequest req;
    req.set_request_id(Rid());
    req.set_item_id(item);
    req.set_outcome(outcome);
    req.set_note(note);
    return Try(who, &RStub::CompleteWork, req);
  }

  v1::QueueStats Stats(v1::ReferralQueue q, const std::string& who = "caseworker") {
    v1::GetQueueStatsRequest req;
    req.add_queues(q);
    v1::GetQueueStatsResponse resp;
    grpc::Status s = Call(who, &RStub::GetQueueStats, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.stats_size(), 1);
    return resp.stats_size() > 0 ? resp.stats(0) : v1::QueueStats();
  }

  // ---- Redis: events and the registry's counters ----

  struct StreamEvent {
    std::string stream_id, type;
    v1::CaseEvent event;
  };

  std::vector<StreamEvent> CaseEvents(const std::string& case_id = "") {
    redis::RedisConnection conn(redis_.options());
    auto reply = conn.Command({"XRANGE", "events:referral", "-", "+"});
    EXPECT_TRUE(reply.ok());
    std::vector<StreamEvent> out;
    if (!reply.ok()) return out;
    for (const auto& entry : reply->elements) {
      StreamEvent e;
      e.stream_id = entry[0].str;
      std::string data;
      const auto& fields = entry[1];
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "type") e.type = fields[i + 1].str;
        if (fields[i].str == "data") data = fields[i + 1].str;
      }
      if (e.type != "rusta.v1.CaseEvent") continue;
      EXPECT_TRUE(e.event.ParseFromString(data));
      if (!case_id.empty() && e.event.case_id() != case_id) continue;
      out.push_back(std::move(e));
    }
    return out;
  }

  int64_t StreamLength(const std::string& key) {
    redis::RedisConnection conn(redis_.options());
    auto n = conn.Command({"XLEN", key});
    return n.ok() ? n->integer : -1;
  }

  std::map<std::string, int64_t> RegistryAssignments() {
    redis::RedisConnection conn(redis_.options());
    auto reply = conn.Command({"HGETALL", "registry:{registry}:assignments"});
    EXPECT_TRUE(reply.ok());
    std::map<std::string, int64_t> out;
    if (!reply.ok()) return out;
    for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
      int64_t n = 0;
      EXPECT_TRUE(absl::SimpleAtoi(reply->elements[i + 1].str, &n));
      out[reply->elements[i].str] = n;
    }
    return out;
  }

  // The case's audit events (ListAuditEvents as an auditor, filtered by the case subject).
  std::vector<v1::ChainedAuditEvent> CaseAudit(const std::string& case_id) {
    std::vector<v1::ChainedAuditEvent> out;
    v1::ListAuditEventsRequest req;
    req.set_page_size(1000);
    req.mutable_subject()->set_kind(v1::SUBJECT_KIND_CASE);
    req.mutable_subject()->set_id(case_id);
    for (int guard = 0; guard < 20; ++guard) {
      v1::ListAuditEventsResponse resp;
      grpc::Status s = Invoke(Aud("auditor"), &AuditStub::ListAuditEvents, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      // The listing itself is audited in the auditor's own chain; keep the case's chain.
      for (auto& e : resp.events()) {
        if (e.chain() == "case/" + case_id) out.push_back(e);
      }
      if (!s.ok() || resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  testing::RedisServer redis_;
  server::ManualClock clock_;
  std::unique_ptr<server::ServiceHost> assessment_host_, registry_host_;
  std::unique_ptr<assessment::AssessmentHandler> assessment_;
  std::unique_ptr<registry::RegistryHandler> registry_;
  std::vector<Replica> replicas_;
  std::map<std::string, std::unique_ptr<RStub>> ref_stubs_;
  std::map<std::string, std::unique_ptr<RegStub>> reg_stubs_;
  std::map<std::string, std::unique_ptr<AsStub>> as_stubs_;
  std::map<std::string, std::unique_ptr<AuditStub>> audit_stubs_;
  std::optional<v1::AssessmentFactors> in_between_;
  std::string area_id_;
  const std::string provider2_ = Org("556677881");
  const std::string provider3_ = Org("556700003");
  int counter_ = 0;
  int persons_ = 0;

  static testing::Pki* pki_;
  static validation::MunicipalityCodes* municipalities_;
  static validation::PostalCodeDirectory* postal_;
  static assessment::ModelRegistry* models_;
};

testing::Pki* ReferralServiceTest::pki_ = nullptr;
validation::MunicipalityCodes* ReferralServiceTest::municipalities_ = nullptr;
validation::PostalCodeDirectory* ReferralServiceTest::postal_ = nullptr;
assessment::ModelRegistry* ReferralServiceTest::models_ = nullptr;

// ---- Results (issue 6): reported within the window, verified at the 4-month mark ----

// Cases that started 2026-03-02 with the `provider` certificate's provider and ended (WORK) on
// 2026-04-30, with the clock on 2026-05-01.
class ReferralResultsTest : public ReferralServiceTest {
 protected:
  v1::Case MustEnded() {
    v1::Case c = MustActive(kProviderOrg, absl::CivilDay(2026, 3, 2));
    clock_.Set(Stockholm(2026, 5, 1, 9));
    v1::EndRequest end;
    end.set_request_id(Rid());
    end.set_case_id(c.case_id());
    end.set_reason(v1::END_REASON_WORK);
    *end.mutable_end_date() = D(2026, 4, 30);
    v1::EndResponse resp;
    grpc::Status s = Call("caseworker", &RStub::End, end, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.case_record();
  }

  static v1::ReportResultRequest ResultReq(const v1::Case& c, absl::CivilDay start, std::string rid) {
    v1::ReportResultRequest req;
    req.set_request_id(std::move(rid));
    req.set_case_id(c.case_id());
    req.set_kind(v1::RESULT_KIND_WORK);
    req.mutable_organisation()->set_name("Volvo Personvagnar AB");
    req.mutable_organisation()->set_organisation_number("5560743089");
    *req.mutable_start_date() = D(start);
    req.set_percentage(100);
    return req;
  }

  // A register file with the given lines after the header.
  std::unique_ptr<ResultRegister> Register(const std::vector<std::string>& lines) {
    const std::string path = dir_.path() + "/register.csv";
    std::ofstream out(path);
    out << "person_id,organisation_number,organisation_name,start_date,end_date,extent_percent,subsidised\n";
    for (const std::string& l : lines) out << l << "\n";
    out.close();
    auto loaded = LoadCsvResultRegister(path);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? std::move(*loaded) : nullptr;
  }

  std::vector<v1::ResultVerificationEvent> VerificationEvents(const std::string& case_id) {
    redis::RedisConnection conn(redis_.options());
    auto reply = conn.Command({"XRANGE", "events:referral", "-", "+"});
    std::vector<v1::ResultVerificationEvent> out;
    if (!reply.ok()) return out;
    for (const auto& entry : reply->elements) {
      std::string type, data;
      for (size_t i = 0; i + 1 < entry[1].size(); i += 2) {
        if (entry[1][i].str == "type") type = entry[1][i + 1].str;
        if (entry[1][i].str == "data") data = entry[1][i + 1].str;
      }
      v1::ResultVerificationEvent e;
      if (type == "rusta.v1.ResultVerificationEvent" && e.ParseFromString(data) && e.case_id() == case_id) {
        out.push_back(e);
      }
    }
    return out;
  }

  testing::TempDir dir_;
};

}  // namespace
}  // namespace rusta::referral
