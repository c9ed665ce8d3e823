// The referral service end to end: REAL assessment, provider-registry and referral hosts in one
// process on one real Redis, over gRPC with mutual TLS (the referral service calls the other two
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
#include "services/referral/compensation/tariff.h"
#include "services/referral/compensation_handler.h"
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
    std::unique_ptr<CompensationHandler> compensation;
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
      r.assessment = MakeGrpcAssessmentClient(up);
      r.registry = MakeGrpcRegistryClient(up);
      r.handler = std::make_unique<ReferralHandler>(*r.host, config, r.assessment.get(), r.registry.get(),
                                                    municipalities_, postal_);
      r.audit = std::make_unique<server::AuditHandler>(*r.host);
      r.host->AddService(r.handler.get(), "rusta.v1.ReferralService");
      r.host->AddService(r.audit.get(), "rusta.v1.AuditService");
      r.compensation = std::make_unique<CompensationHandler>(*r.host, config, Tariffs());
      ReferralHandler* referral = r.handler.get();
      r.compensation->SetPaidHook([referral](redis::RedisConnection& redis, const std::string& case_id,
                                             const std::vector<std::string>& ids, const std::string& request_id) {
        return referral->MarkPaid(redis, case_id, ids, request_id);
      });
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

// ---------------------------------------------------------------------------------------------
// The whole path with an active choice.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, WholePathWithActiveChoiceFromAssessmentToReviewedFinalReport) {
  Start();
  StandardProviders();
  const std::string person = NextPerson();
  const v1::Assessment a = MustAssess(person);
  ASSERT_EQ(a.result().outcome(), v1::ASSESSMENT_OUTCOME_IN_BETWEEN);
  const absl::Time t0 = clock_.Now();

  // Created with the assessment: ASSESSED, a decision item waiting.
  v1::Case c = MustCreate(person, a.assessment_id());
  ASSERT_FALSE(c.case_id().empty());
  EXPECT_EQ(c.person_id(), person);
  EXPECT_EQ(c.state(), v1::CASE_STATE_ASSESSED);
  EXPECT_EQ(c.assessment_id(), a.assessment_id());
  EXPECT_EQ(c.version(), 1);
  EXPECT_THAT(Kinds(c), ElementsAreArray({v1::CASE_TRANSITION_KIND_CREATE, v1::CASE_TRANSITION_KIND_ATTACH_ASSESSMENT}));
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DECISIONS).depth(), 1);

  // A caseworker claims the decision an hour later and decides half an hour after that.
  clock_.Advance(absl::Hours(1));
  v1::ClaimWorkResponse claimed = Claim("caseworker", v1::REFERRAL_QUEUE_DECISIONS);
  ASSERT_TRUE(claimed.has_item());
  EXPECT_EQ(claimed.item().case_id(), c.case_id());
  EXPECT_EQ(claimed.item().kind(), "DECISION");
  EXPECT_EQ(claimed.item().claimed_by(), kCaseworkerUri);
  EXPECT_EQ(claimed.case_record().case_id(), c.case_id());
  clock_.Advance(absl::Minutes(30));
  v1::DecideRequest decide = ReferReq(c, a.result().level(), c.version());
  decide.set_request_id(Rid());
  decide.set_queue_item_id(claimed.item().item_id());
  v1::DecideResponse decided;
  grpc::Status s = Call("caseworker", &RStub::Decide, decide, &decided);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = decided.case_record();
  const absl::CivilDay decided_on(2026, 3, 2);
  EXPECT_EQ(c.state(), v1::CASE_STATE_AWAITING_CHOICE);
  EXPECT_EQ(c.version(), 2);
  EXPECT_EQ(Str(c.decision().decided_on()), Str(decided_on));
  EXPECT_EQ(Str(c.decision().choice_deadline()), Str(decided_on + 14));
  EXPECT_EQ(c.decision().assessment_id(), a.assessment_id());
  EXPECT_EQ(c.decision().level(), a.result().level());
  EXPECT_EQ(c.level(), a.result().level());
  EXPECT_EQ(c.decision().decided_by().id(), kCaseworkerUri);
  EXPECT_FALSE(c.decision().rule_version().empty());
  EXPECT_THAT(Kinds(c), ElementsAreArray({v1::CASE_TRANSITION_KIND_CREATE, v1::CASE_TRANSITION_KIND_ATTACH_ASSESSMENT,
                                          v1::CASE_TRANSITION_KIND_DECIDE, v1::CASE_TRANSITION_KIND_OPEN_CHOICE}));
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DECISIONS).depth(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DECISIONS).pending(), 0);

  // The assessment service now links exactly this run to the decision.
  const v1::Assessment linked = GetAssessment(a.assessment_id());
  ASSERT_TRUE(linked.has_decision_link());
  EXPECT_EQ(linked.decision_link().case_id(), c.case_id());
  EXPECT_EQ(linked.decision_link().decision_id(), c.decision().decision_id());
  EXPECT_EQ(linked.decision_link().linked_by().id(), kReferralUri);

  // Deciding again: not allowed in AWAITING_CHOICE.
  decide.set_request_id(Rid());
  decide.set_expected_version(c.version());
  decide.clear_queue_item_id();
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.transition"));

  // The participant chooses, two days later, a provider the registry returns for the home.
  clock_.Advance(absl::Hours(48));
  v1::SearchProvidersRequest search;
  search.mutable_home()->set_municipality_code("1480");
  search.set_page_size(100);
  v1::SearchProvidersResponse found;
  ASSERT_TRUE(Invoke(Reg("caseworker"), &RegStub::SearchProviders, search, &found).ok());
  std::map<std::string, std::string> names;
  for (const auto& r : found.results()) names[r.organisation_number()] = r.name();
  ASSERT_EQ(names.size(), 3u);
  ASSERT_EQ(names.count(kProviderOrg), 1u);
  c = MustChoose(c, kProviderOrg);
  EXPECT_EQ(c.state(), v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_ACTIVE);
  EXPECT_EQ(c.current_provider().organisation_number(), kProviderOrg);
  EXPECT_EQ(c.current_provider().provider_name(), names[kProviderOrg]);
  EXPECT_EQ(c.current_provider().choice_kind(), v1::CHOICE_KIND_ACTIVE);
  EXPECT_EQ(Str(c.current_provider().assigned_on()), "2026-03-04");
  ASSERT_EQ(c.provider_history_size(), 1);

  // Start on Monday 9 March: period 1 is six months, the maximum twelve.
  const absl::CivilDay start(2026, 3, 9);
  c = MustStart(c, start);
  EXPECT_EQ(c.state(), v1::CASE_STATE_ACTIVE);
  EXPECT_EQ(Str(c.started_on()), Str(start));
  ASSERT_EQ(c.service_periods_size(), 1);
  EXPECT_EQ(c.service_periods(0).number(), 1);
  EXPECT_EQ(Str(c.service_periods(0).dates().start()), Str(start));
  EXPECT_EQ(Str(c.service_periods(0).dates().end()), Str(PlusMonths(start, 6) - 1));
  EXPECT_EQ(Str(c.maximum_end_date()), Str(PlusMonths(start, 12) - 1));
  EXPECT_EQ(Str(PlusMonths(start, 6) - 1), "2026-09-08");  // sanity of the own arithmetic

  // Monthly reports: March on 1 April (confirmed by the participant), April on 4 May.
  clock_.Set(Stockholm(2026, 4, 1, 10));
  const int march = PossibleHoursOf(start, std::nullopt, 2026, 3);
  EXPECT_EQ(march, 132);  // 23 days: ceil(40 × 23 / 7)
  v1::CaseReport r1;
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 4), Hours(v1::ACTIVITY_CATEGORY_PRACTICAL_SUPPORT, 20),
               Hours(v1::ACTIVITY_CATEGORY_EMPLOYER_CONTACTS, march - 24)},
              &r1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r1.kind(), v1::CASE_REPORT_KIND_MONTHLY);
  EXPECT_EQ(r1.status(), v1::CASE_REPORT_STATUS_SUBMITTED);
  EXPECT_EQ(r1.revision(), 1);
  EXPECT_EQ(r1.organisation_number(), kProviderOrg);
  for (const auto& act : r1.monthly().activities()) EXPECT_EQ(act.confirmation(), v1::ITEM_CONFIRMATION_PENDING);
  v1::ConfirmMonthlyReportRequest confirm;
  confirm.set_request_id(Rid());
  confirm.set_report_id(r1.report_id());
  confirm.set_expected_version(r1.version());
  for (auto cat : {v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, v1::ACTIVITY_CATEGORY_PRACTICAL_SUPPORT,
                   v1::ACTIVITY_CATEGORY_EMPLOYER_CONTACTS}) {
    auto* item = confirm.add_items();
    item->set_category(cat);
    item->set_confirmation(v1::ITEM_CONFIRMATION_CONFIRMED);
  }
  v1::ConfirmMonthlyReportResponse confirmed;
  s = Call("caseworker", &RStub::ConfirmMonthlyReport, confirm, &confirmed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(confirmed.report().status(), v1::CASE_REPORT_STATUS_CONFIRMED);
  EXPECT_EQ(confirmed.report().version(), r1.version() + 1);
  clock_.Set(Stockholm(2026, 5, 4, 10));
  v1::CaseReport r2;
  s = Monthly("provider", c.case_id(), 2026, 4, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 30)}, &r2);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The participant gets a job: the case ends on 20 May.
  clock_.Set(Stockholm(2026, 5, 20, 14));
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(c.case_id());
  end.set_expected_version(GetCase(c.case_id()).version());
  end.set_reason(v1::END_REASON_WORK);
  *end.mutable_end_date() = D(2026, 5, 20);
  v1::EndResponse ended;
  s = Call("caseworker", &RStub::End, end, &ended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = ended.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(c.end().reason(), v1::END_REASON_WORK);
  EXPECT_EQ(Str(c.end().end_date()), "2026-05-20");
  EXPECT_EQ(Str(c.end().result_report_deadline()), Str(PlusMonths(absl::CivilDay(2026, 5, 20), 2)));
  EXPECT_EQ(Str(c.provider_history(0).ended_on()), "2026-05-20");

  // The final report: rejected with a reason, then a new one approved; both through the queue.
  v1::SubmitFinalReportRequest fin;
  fin.set_request_id(Rid());
  fin.set_case_id(c.case_id());
  fin.mutable_report()->set_activities("Kartläggning, arbetsgivarkontakter");
  fin.mutable_report()->set_what_worked("Praktik");
  v1::SubmitFinalReportResponse fin1;
  s = Call("provider", &RStub::SubmitFinalReport, fin, &fin1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(fin1.report().status(), v1::CASE_REPORT_STATUS_IN_REVIEW);
  fin.set_request_id(Rid());
  EXPECT_EQ(Try("provider", &RStub::SubmitFinalReport, fin).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_FINAL_REPORTS).depth(), 1);
  v1::ClaimWorkResponse fitem = Claim("caseworker", v1::REFERRAL_QUEUE_FINAL_REPORTS);
  ASSERT_TRUE(fitem.has_item());
  EXPECT_EQ(fitem.item().kind(), "FINAL_REPORT");
  EXPECT_EQ(fitem.report().report_id(), fin1.report().report_id());
  // A final report item is completed by the review, not by CompleteWork.
  EXPECT_EQ(Complete("caseworker", fitem.item().item_id(), v1::WORK_OUTCOME_APPROVED).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::ReviewFinalReportRequest review;
  review.set_request_id(Rid());
  review.set_report_id(fin1.report().report_id());
  review.set_decision(v1::CASE_REPORT_STATUS_REJECTED);
  EXPECT_EQ(Try("caseworker", &RStub::ReviewFinalReport, review).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  review.set_request_id(Rid());
  review.set_reason("Saknar redogörelse för vad som inte fungerade");
  review.set_queue_item_id(fitem.item().item_id());
  v1::ReviewFinalReportResponse reviewed;
  s = Call("caseworker", &RStub::ReviewFinalReport, review, &reviewed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reviewed.report().status(), v1::CASE_REPORT_STATUS_REJECTED);
  EXPECT_EQ(reviewed.report().review().reason(), "Saknar redogörelse för vad som inte fungerade");
  EXPECT_EQ(reviewed.report().review().reviewed_by().id(), kCaseworkerUri);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_FINAL_REPORTS).pending(), 0);
  fin.set_request_id(Rid());
  fin.mutable_report()->set_what_did_not_work("CV-skrivning");
  fin.mutable_report()->set_why("Deltagaren hade redan ett CV");
  v1::SubmitFinalReportResponse fin2;
  s = Call("provider", &RStub::SubmitFinalReport, fin, &fin2);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(fin2.report().report_id(), fin1.report().report_id());
  fitem = Claim("caseworker", v1::REFERRAL_QUEUE_FINAL_REPORTS);
  ASSERT_TRUE(fitem.has_item());
  review.set_request_id(Rid());
  review.set_report_id(fin2.report().report_id());
  review.set_decision(v1::CASE_REPORT_STATUS_APPROVED);
  review.set_reason("");
  review.set_queue_item_id(fitem.item().item_id());
  s = Call("caseworker", &RStub::ReviewFinalReport, review, &reviewed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reviewed.report().status(), v1::CASE_REPORT_STATUS_APPROVED);

  // Events: one CaseEvent per transition on "events:referral", in order, with the history's ids.
  c = GetCase(c.case_id());
  const std::vector<StreamEvent> events = CaseEvents(c.case_id());
  const std::vector<v1::CaseTransitionKind> expected_kinds = {
      v1::CASE_TRANSITION_KIND_CREATE,           v1::CASE_TRANSITION_KIND_ATTACH_ASSESSMENT,
      v1::CASE_TRANSITION_KIND_DECIDE,           v1::CASE_TRANSITION_KIND_OPEN_CHOICE,
      v1::CASE_TRANSITION_KIND_CHOOSE_PROVIDER,  v1::CASE_TRANSITION_KIND_START,
      v1::CASE_TRANSITION_KIND_END};
  EXPECT_THAT(Kinds(c), ElementsAreArray(expected_kinds));
  ASSERT_EQ(events.size(), expected_kinds.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::CaseEvent& e = events[i].event;
    EXPECT_EQ(e.transition(), expected_kinds[i]) << i;
    EXPECT_EQ(e.sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.event_id(), c.history(i).event_id());
    EXPECT_EQ(e.event_id(), absl::StrCat(c.case_id(), "#", i + 1));
    EXPECT_EQ(e.person_id(), person);
    EXPECT_EQ(e.case_version(), c.history(i).case_version());
    EXPECT_EQ(e.from_state(), c.history(i).from_state());
    EXPECT_EQ(e.to_state(), c.history(i).to_state());
    if (i > 0) { EXPECT_GE(e.case_version(), events[i - 1].event.case_version()); }
  }
  EXPECT_EQ(events[2].event.decision().assessment_id(), a.assessment_id());
  EXPECT_EQ(Str(events[2].event.decision().choice_deadline()), Str(decided_on + 14));
  EXPECT_EQ(events[4].event.organisation_number(), kProviderOrg);
  EXPECT_EQ(events[4].event.provider_assigned().choice_kind(), v1::CHOICE_KIND_ACTIVE);
  EXPECT_EQ(Str(events[5].event.effective_date()), Str(start));
  EXPECT_EQ(Str(events[5].event.start().period_end()), "2026-09-08");
  EXPECT_EQ(events[6].event.end().reason(), v1::END_REASON_WORK);
  EXPECT_EQ(Str(events[6].event.end().end_date()), "2026-05-20");

  // Audit: every change is in the case's own chain, and the chains verify.
  const auto audit = CaseAudit(c.case_id());
  std::set<std::string> actions;
  int64_t seq = 0;
  for (const auto& e : audit) {
    EXPECT_EQ(e.chain(), "case/" + c.case_id());
    EXPECT_EQ(e.seq(), ++seq);
    actions.insert(e.event().action());
  }
  for (const char* m : {"referral.CreateCase", "referral.Decide", "referral.ChooseProvider", "referral.Start",
                        "referral.SubmitMonthlyReport", "referral.End", "referral.ReviewFinalReport"}) {
    EXPECT_EQ(actions.count(m), 1u) << m;
  }
  v1::VerifyAuditChainResponse verified;
  ASSERT_TRUE(Invoke(Aud("auditor"), &AuditStub::VerifyAuditChain, v1::VerifyAuditChainRequest(), &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.description();

  // Handling time: 1 h before the decision, 30 min in it, 48 h from decision to choice.
  v1::GetHandlingTimeReportRequest ht;
  *ht.mutable_period()->mutable_start() = D(2026, 3, 1);
  *ht.mutable_period()->mutable_end() = D(2026, 5, 31);
  v1::GetHandlingTimeReportResponse report;
  s = Call("caseworker", &RStub::GetHandlingTimeReport, ht, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(report.before_decision().count(), 1);
  EXPECT_EQ(report.before_decision().mean().seconds(), 3600);
  EXPECT_EQ(report.in_decision().count(), 1);
  EXPECT_EQ(report.in_decision().mean().seconds(), 1800);
  EXPECT_EQ(report.after_decision().count(), 1);
  EXPECT_EQ(report.after_decision().mean().seconds(), 48 * 3600);
  std::map<std::string, int64_t> handled;
  for (const auto& q : report.queues()) handled[q.queue()] = q.total().count();
  EXPECT_EQ(handled["referral.decisions"], 1);
  EXPECT_EQ(handled["referral.final-reports"], 2);
  (void)t0;
}

// ---------------------------------------------------------------------------------------------
// Default assignment after the deadline: exactly once, with two replicas running the scheduler.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, DefaultAssignmentAfterTheDeadlineHappensExactlyOnceWithTwoSchedulers) {
  Start(2, [](ReferralConfig& c) { c.scheduler_interval_ms = 50; });
  // The nearest provider takes 3 default assignments; the next nearest is unlimited.
  const Point home = MunicipalityPoint("1480");
  const ProviderSpec near{kProviderOrg, "Rusta Väst AB", {home.lat + 0.002, home.lon}, 3};
  const ProviderSpec second{provider2_, "Matcha Mölndal AB", {57.6554, 12.0138}, 0};
  const ProviderSpec far{provider3_, "Jobbhjälpen Borås AB", {57.7210, 12.9401}, 0};
  BuildProviders({near, second, far});
  std::vector<ProviderSpec> by_distance = {near, second, far};
  std::sort(by_distance.begin(), by_distance.end(), [&](const ProviderSpec& a, const ProviderSpec& b) {
    return Haversine(home.lat, home.lon, a.office.lat, a.office.lon) <
           Haversine(home.lat, home.lon, b.office.lat, b.office.lon);
  });
  ASSERT_EQ(by_distance[0].org, kProviderOrg);
  ASSERT_EQ(by_distance[1].org, provider2_);

  constexpr int kCases = 5;
  std::vector<v1::Case> cases;
  for (int i = 0; i < kCases; ++i) cases.push_back(MustAwaitChoice());
  const absl::CivilDay deadline = absl::CivilDay(2026, 3, 2) + 14;
  for (const auto& c : cases) EXPECT_EQ(Str(c.decision().choice_deadline()), Str(deadline));

  // What the registry itself says for this home on the day after the deadline (a dry run).
  v1::FindNearestProviderRequest dry;
  dry.mutable_home()->set_postal_code("41301");
  *dry.mutable_as_of() = D(deadline + 1);
  v1::FindNearestProviderResponse nearest_first;
  ASSERT_TRUE(Invoke(Reg("caseworker"), &RegStub::FindNearestProvider, dry, &nearest_first).ok());
  EXPECT_EQ(nearest_first.provider().organisation_number(), kProviderOrg);

  // The last day of the choice: nothing happens.
  clock_.Set(Stockholm(2026, 3, 16, 23, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  for (const auto& c : cases) EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_AWAITING_CHOICE);

  // The day after: both schedulers run, every case gets exactly one default assignment.
  clock_.Set(Stockholm(2026, 3, 17, 0, 5));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (bool all = false; !all && std::chrono::steady_clock::now() < give_up;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    all = true;
    for (const auto& c : cases) all = all && GetCase(c.case_id()).state() == v1::CASE_STATE_ASSIGNED;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // let any duplicate show itself

  // A dry run now: the nearest is full, the second one answers (its reason says so).
  v1::FindNearestProviderResponse nearest_after;
  ASSERT_TRUE(Invoke(Reg("caseworker"), &RegStub::FindNearestProvider, dry, &nearest_after).ok());
  EXPECT_EQ(nearest_after.provider().organisation_number(), provider2_);

  std::map<std::string, int> per_provider;
  for (const auto& before : cases) {
    const v1::Case c = GetCase(before.case_id());
    ASSERT_EQ(c.state(), v1::CASE_STATE_ASSIGNED) << c.case_id();
    EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_DEFAULT);
    EXPECT_EQ(c.current_provider().choice_kind(), v1::CHOICE_KIND_DEFAULT);
    EXPECT_EQ(Str(c.current_provider().assigned_on()), Str(deadline + 1));
    EXPECT_EQ(CountKind(c, v1::CASE_TRANSITION_KIND_ASSIGN_DEFAULT_PROVIDER), 1) << c.case_id();
    EXPECT_EQ(c.history(c.history_size() - 1).actor().id(), kReferralUri);
    const std::string org = c.current_provider().organisation_number();
    ++per_provider[org];
    const v1::FindNearestProviderResponse& registry_said = org == kProviderOrg ? nearest_first : nearest_after;
    EXPECT_EQ(c.current_provider().registry_reason(), registry_said.reason());
    EXPECT_EQ(c.current_provider().registry_rule_version(), registry_said.rule_version());
    int events = 0;
    for (const auto& e : CaseEvents(c.case_id())) {
      if (e.event.transition() != v1::CASE_TRANSITION_KIND_ASSIGN_DEFAULT_PROVIDER) continue;
      ++events;
      EXPECT_EQ(e.event.provider_assigned().choice_kind(), v1::CHOICE_KIND_DEFAULT);
      EXPECT_EQ(e.event.provider_assigned().registry_reason(), registry_said.reason());
      EXPECT_EQ(e.event.organisation_number(), org);
    }
    EXPECT_EQ(events, 1) << c.case_id();
  }
  // Own capacity bookkeeping: 3 to the nearest, the rest to the next one.
  EXPECT_EQ(per_provider[kProviderOrg], 3);
  EXPECT_EQ(per_provider[provider2_], kCases - 3);
  // The registry's counters: each case reserved once.
  int64_t total = 0;
  for (const auto& [key, n] : RegistryAssignments()) {
    total += n;
    if (absl::StartsWith(key, kProviderOrg)) { EXPECT_EQ(n, 3) << key; }
    if (absl::StartsWith(key, provider2_)) { EXPECT_EQ(n, kCases - 3) << key; }
  }
  EXPECT_EQ(total, kCases);

  // An active choice after the deadline is refused.
  v1::Case late = MustAwaitChoice();
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(late.case_id());
  choose.set_organisation_number(provider3_);
  *choose.mutable_chosen_on() = D(absl::CivilDay(2026, 3, 17) + 15);  // after its own deadline
  clock_.Set(Stockholm(2026, 4, 2, 10));
  grpc::Status s = Try("caseworker", &RStub::ChooseProvider, choose);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.choice"));
}

TEST_F(ReferralServiceTest, DefaultAssignmentIsOnlyForTheSchedulerAndOnlyAfterTheDeadline) {
  Start();
  StandardProviders();
  v1::Case c = MustAwaitChoice();
  v1::AssignDefaultProviderRequest req;
  req.set_request_id(Rid());
  req.set_case_id(c.case_id());
  grpc::Status s = Try("caseworker", &RStub::AssignDefaultProvider, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  // Before the deadline the scheduler finds nothing due; the registry reserves nothing.
  clock_.Set(Stockholm(2026, 3, 16, 12));
  auto handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 0);
  EXPECT_TRUE(RegistryAssignments().empty());
  clock_.Set(Stockholm(2026, 3, 17, 8));
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 1);
  c = GetCase(c.case_id());
  EXPECT_EQ(c.state(), v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_DEFAULT);
  EXPECT_EQ(c.current_provider().organisation_number(), kProviderOrg);  // its office is nearest
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok());
  EXPECT_EQ(*handled, 0);
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_ASSIGN_DEFAULT_PROVIDER), 1);
}

// ---------------------------------------------------------------------------------------------
// Two replicas racing on the same case.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ReplicasRacingWithTheSameExpectedVersionOneWinsTheOtherIsAborted) {
  Start(2);
  StandardProviders();
  const absl::CivilDay start(2026, 3, 2);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 6, 1, 10));
  for (int round = 0; round < 6; ++round) {
    const int64_t version = GetCase(c.case_id()).version();
    const bool pausing = round % 2 == 0;
    auto attempt = [&](int replica, std::shared_future<void> go) -> grpc::Status {
      go.wait();
      if (pausing) {
        v1::PauseRequest req;
        req.set_request_id(absl::StrCat("race-", round, "-", replica));
        req.set_case_id(c.case_id());
        req.set_expected_version(version);
        req.set_reason(v1::PAUSE_REASON_SICK);
        *req.mutable_from_date() = D(start + 10 * round + 1);
        return Try("caseworker", &RStub::Pause, req, replica);
      }
      v1::ResumeRequest req;
      req.set_request_id(absl::StrCat("race-", round, "-", replica));
      req.set_case_id(c.case_id());
      req.set_expected_version(version);
      *req.mutable_resume_date() = D(start + 10 * round + 5);
      return Try("caseworker", &RStub::Resume, req, replica);
    };
    std::promise<void> go;
    std::shared_future<void> ready = go.get_future().share();
    auto a = std::async(std::launch::async, attempt, 0, ready);
    auto b = std::async(std::launch::async, attempt, 1, ready);
    go.set_value();
    const grpc::Status sa = a.get(), sb = b.get();
    EXPECT_NE(sa.ok(), sb.ok()) << round << ": " << sa.error_message() << " / " << sb.error_message();
    const grpc::Status& loser = sa.ok() ? sb : sa;
    EXPECT_EQ(loser.error_code(), grpc::StatusCode::ABORTED) << round << ": " << loser.error_message();
    const v1::Case now = GetCase(c.case_id());
    EXPECT_EQ(now.version(), version + 1);
    EXPECT_EQ(now.paused(), pausing);
  }
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_PAUSE), 3);
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_RESUME), 3);
}

// ---------------------------------------------------------------------------------------------
// Prolongation and maximum time.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ProlongationAndMaximumTimeEndedByTheScheduler) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case plain = MustActive(kProviderOrg, start);
  v1::Case prolonged = MustActive(provider2_, start);
  const absl::CivilDay period1_last = PlusMonths(start, 6) - 1;
  const absl::CivilDay maximum_last = PlusMonths(start, 12) - 1;

  // Prolongation within period 1.
  clock_.Set(Stockholm(2026, 8, 20, 10));
  v1::ProlongRequest prolong;
  prolong.set_request_id(Rid());
  prolong.set_case_id(prolonged.case_id());
  prolong.set_expected_version(prolonged.version());
  EXPECT_EQ(Try("caseworker", &RStub::Prolong, prolong).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  prolong.set_justification("Behöver mer tid för matchning");
  EXPECT_EQ(Try("provider2", &RStub::Prolong, prolong).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  prolong.set_request_id(Rid());
  v1::ProlongResponse resp;
  grpc::Status s = Call("caseworker", &RStub::Prolong, prolong, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  prolonged = resp.case_record();
  ASSERT_EQ(prolonged.service_periods_size(), 2);
  EXPECT_EQ(prolonged.service_periods(1).number(), 2);
  EXPECT_EQ(Str(prolonged.service_periods(1).dates().start()), Str(period1_last + 1));
  EXPECT_EQ(Str(prolonged.service_periods(1).dates().end()), Str(maximum_last));
  EXPECT_EQ(prolonged.service_periods(1).justification(), "Behöver mer tid för matchning");
  EXPECT_EQ(Str(prolonged.maximum_end_date()), Str(maximum_last));
  prolong.set_request_id(Rid());
  prolong.set_expected_version(prolonged.version());
  s = Try("caseworker", &RStub::Prolong, prolong);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.prolong"));

  // The last day of period 1: nothing due yet.
  clock_.Set(Stockholm(2026, 9, 8, 23, 0));
  auto handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(GetCase(plain.case_id()).state(), v1::CASE_STATE_ACTIVE);
  // The day after: the unprolonged case ends with MAXIMUM_TIME on period 1's last day.
  clock_.Set(Stockholm(2026, 9, 9, 0, 30));
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  plain = GetCase(plain.case_id());
  EXPECT_EQ(plain.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(plain.end().reason(), v1::END_REASON_MAXIMUM_TIME);
  EXPECT_EQ(Str(plain.end().end_date()), Str(period1_last));
  EXPECT_EQ(plain.end().ended_by().id(), kReferralUri);
  EXPECT_EQ(GetCase(prolonged.case_id()).state(), v1::CASE_STATE_ACTIVE);
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok());
  EXPECT_EQ(CountKind(GetCase(plain.case_id()), v1::CASE_TRANSITION_KIND_END), 1);

  // The prolonged one at its maximum.
  clock_.Set(Stockholm(static_cast<int>(maximum_last.year()), maximum_last.month(), maximum_last.day(), 20));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(prolonged.case_id()).state(), v1::CASE_STATE_ACTIVE);
  const absl::CivilDay after = maximum_last + 1;
  clock_.Set(Stockholm(static_cast<int>(after.year()), after.month(), after.day(), 0, 30));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  prolonged = GetCase(prolonged.case_id());
  EXPECT_EQ(prolonged.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(prolonged.end().reason(), v1::END_REASON_MAXIMUM_TIME);
  EXPECT_EQ(Str(prolonged.end().end_date()), Str(maximum_last));
  const auto events = CaseEvents(prolonged.case_id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_END);
  EXPECT_EQ(events.back().event.end().reason(), v1::END_REASON_MAXIMUM_TIME);
}

// ---------------------------------------------------------------------------------------------
// Pause and resume.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, PauseAndResume) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 1, 10));
  v1::ResumeRequest resume;
  resume.set_request_id(Rid());
  resume.set_case_id(c.case_id());
  *resume.mutable_resume_date() = D(2026, 4, 2);
  grpc::Status s = Try("caseworker", &RStub::Resume, resume);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.resume"));

  v1::PauseRequest pause;
  pause.set_request_id(Rid());
  pause.set_case_id(c.case_id());
  pause.set_expected_version(c.version());
  pause.set_reason(v1::PAUSE_REASON_SICK);
  *pause.mutable_from_date() = D(2026, 4, 1);
  v1::PauseResponse paused;
  s = Call("caseworker", &RStub::Pause, pause, &paused);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = paused.case_record();
  EXPECT_TRUE(c.paused());
  ASSERT_EQ(c.pauses_size(), 1);
  EXPECT_EQ(Str(c.pauses(0).dates().start()), "2026-04-01");
  EXPECT_FALSE(c.pauses(0).dates().has_end());
  EXPECT_FALSE(c.pauses(0).stops_clock());  // the default rule
  pause.set_request_id(Rid());
  pause.set_expected_version(c.version());
  s = Try("caseworker", &RStub::Pause, pause);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.pause"));

  clock_.Set(Stockholm(2026, 4, 15, 10));
  resume.set_request_id(Rid());
  resume.set_expected_version(c.version());
  *resume.mutable_resume_date() = D(2026, 4, 15);
  v1::ResumeResponse resumed;
  s = Call("caseworker", &RStub::Resume, resume, &resumed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = resumed.case_record();
  EXPECT_FALSE(c.paused());
  EXPECT_EQ(Str(c.pauses(0).dates().end()), "2026-04-14");
  EXPECT_EQ(Str(c.maximum_end_date()), Str(PlusMonths(start, 12) - 1));  // the clock ran on
  const auto events = CaseEvents(c.case_id());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].event.transition(), v1::CASE_TRANSITION_KIND_PAUSE);
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_RESUME);
  EXPECT_EQ(Str(events.back().event.resume().resume_date()), "2026-04-15");
}

TEST_F(ReferralServiceTest, AClockStoppingPauseMovesTheMaximumTime) {
  Start(1, [](ReferralConfig& c) { c.rules.pause_stops_clock = true; });
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 1, 10));
  v1::PauseRequest pause;
  pause.set_request_id(Rid());
  pause.set_case_id(c.case_id());
  pause.set_reason(v1::PAUSE_REASON_PARENTAL_LEAVE);
  *pause.mutable_from_date() = D(2026, 4, 1);
  ASSERT_TRUE(Try("caseworker", &RStub::Pause, pause).ok());
  clock_.Set(Stockholm(2026, 4, 15, 10));
  v1::ResumeRequest resume;
  resume.set_request_id(Rid());
  resume.set_case_id(c.case_id());
  *resume.mutable_resume_date() = D(2026, 4, 15);
  v1::ResumeResponse resumed;
  ASSERT_TRUE(Call("caseworker", &RStub::Resume, resume, &resumed).ok());
  const int64_t stopped = absl::CivilDay(2026, 4, 14) - absl::CivilDay(2026, 4, 1) + 1;  // 14 days
  EXPECT_EQ(Str(resumed.case_record().maximum_end_date()), Str(PlusMonths(start, 12) - 1 + stopped));
  const absl::CivilDay period1_last = PlusMonths(start, 6) - 1 + stopped;
  clock_.Set(Stockholm(2026, 9, 9, 0, 30));  // the unmoved end has passed: still active
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_ACTIVE);
  const absl::CivilDay after = period1_last + 1;
  clock_.Set(Stockholm(static_cast<int>(after.year()), after.month(), after.day(), 0, 30));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  c = GetCase(c.case_id());
  EXPECT_EQ(c.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(Str(c.end().end_date()), Str(period1_last));
  EXPECT_EQ(c.end().reason(), v1::END_REASON_MAXIMUM_TIME);
}

// ---------------------------------------------------------------------------------------------
// Provider change and the frequent-changes flag.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ProviderChangesAndTheFrequentChangesFlagWithItsQueueItem) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 1, 10));
  auto change = [&](const std::string& org, absl::CivilDay on, v1::ChangeProviderResponse* out) {
    v1::ChangeProviderRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    req.set_expected_version(c.version());
    req.set_organisation_number(org);
    req.set_reason(v1::PROVIDER_CHANGE_REASON_PARTICIPANT_REQUEST);
    req.set_reason_text("Deltagaren vill byta");
    *req.mutable_effective_date() = D(on);
    return Call("caseworker", &RStub::ChangeProvider, req, out);
  };
  v1::ChangeProviderResponse resp;
  grpc::Status s = change(kProviderOrg, absl::CivilDay(2026, 4, 1), &resp);  // the current one
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = change(Org("556999990"), absl::CivilDay(2026, 4, 1), &resp);  // not in the registry
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.choice"));

  s = change(provider2_, absl::CivilDay(2026, 4, 1), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = resp.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ACTIVE);
  EXPECT_EQ(c.current_provider().organisation_number(), provider2_);
  EXPECT_EQ(c.current_provider().choice_kind(), v1::CHOICE_KIND_CHANGE);
  EXPECT_EQ(c.current_provider().change_reason(), v1::PROVIDER_CHANGE_REASON_PARTICIPANT_REQUEST);
  EXPECT_EQ(Str(c.current_provider().plan_started_on()), "2026-04-01");
  EXPECT_EQ(c.provider_change_count(), 1);
  ASSERT_EQ(c.provider_history_size(), 2);
  EXPECT_EQ(Str(c.provider_history(0).ended_on()), "2026-04-01");
  EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_ACTIVE);  // how the FIRST provider came

  // The former provider no longer lists the participant and may not report for it.
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call("provider", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
  ASSERT_TRUE(Call("provider2", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_id(), c.case_id());
  s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 5)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("report.provider"));
  EXPECT_TRUE(Monthly("provider2", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 5)}).ok());
  const v1::Case old_view = GetCase(c.case_id(), "provider");
  EXPECT_FALSE(old_view.has_current_provider());

  // Two more changes within six months: the case is flagged once, with a queue item.
  ASSERT_TRUE(change(provider3_, absl::CivilDay(2026, 4, 10), &resp).ok());
  c = resp.case_record();
  EXPECT_EQ(c.flags_size(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).depth(), 0);
  ASSERT_TRUE(change(kProviderOrg, absl::CivilDay(2026, 4, 20), &resp).ok());
  c = resp.case_record();
  EXPECT_EQ(c.provider_change_count(), 3);
  ASSERT_EQ(c.flags_size(), 1);
  EXPECT_EQ(c.flags(0).kind(), v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES);
  EXPECT_FALSE(c.flags(0).has_cleared_at());
  EXPECT_EQ(c.history(c.history_size() - 1).kind(), v1::CASE_TRANSITION_KIND_FLAG);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).depth(), 1);
  const auto events = CaseEvents(c.case_id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_FLAG);
  EXPECT_EQ(events.back().event.flag().kind(), v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES);
  EXPECT_TRUE(events.back().event.flag().raised());
  v1::ListCasesRequest flagged;
  flagged.set_flagged_only(true);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, flagged, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);

  v1::ClaimWorkResponse item = Claim("caseworker", v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS);
  ASSERT_TRUE(item.has_item());
  EXPECT_EQ(item.item().kind(), "FREQUENT_PROVIDER_CHANGES");
  EXPECT_EQ(item.item().case_id(), c.case_id());
  s = Complete("caseworker", item.item().item_id(), v1::WORK_OUTCOME_APPROVED, "Samtal med deltagaren");
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = GetCase(c.case_id());
  ASSERT_EQ(c.flags_size(), 1);
  EXPECT_TRUE(c.flags(0).has_cleared_at());
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).depth(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).pending(), 0);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, flagged, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
}

// ---------------------------------------------------------------------------------------------
// Parallel measures.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ParallelMeasuresAtMostThreeMonthsAndLongTrainingEndsTheCase) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 3, 25, 10));
  auto measure = [&](v1::ParallelMeasureKind kind, absl::CivilDay from, absl::CivilDay to) {
    v1::RegisterParallelMeasureRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    v1::ParallelMeasure* m = req.mutable_measure();
    m->set_kind(kind);
    m->set_actor_name("Volvo Cars praktik");
    *m->mutable_dates()->mutable_start() = D(from);
    *m->mutable_dates()->mutable_end() = D(to);
    m->set_percentage(50);
    m->set_description("Arbetsträning");
    return req;
  };
  const absl::CivilDay from(2026, 4, 1);
  const absl::CivilDay longest = PlusMonths(from, 3) - 1;  // 2026-06-30
  // A caseworker may not; an employment officer may.
  grpc::Status s = Try("caseworker", &RStub::RegisterParallelMeasure,
                       measure(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT, from, longest));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  s = Try("eo", &RStub::RegisterParallelMeasure, measure(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT, from, longest + 1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("measure.dates"));
  s = Try("eo", &RStub::RegisterParallelMeasure,
          measure(static_cast<v1::ParallelMeasureKind>(6), from, from + 30));  // SFI
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  v1::RegisterParallelMeasureResponse resp;
  s = Call("eo", &RStub::RegisterParallelMeasure, measure(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT, from, longest),
           &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.ended_participation());
  c = resp.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ACTIVE);
  ASSERT_EQ(c.parallel_measures_size(), 1);
  EXPECT_FALSE(c.parallel_measures(0).measure_id().empty());
  EXPECT_EQ(Str(c.parallel_measures(0).dates().end()), Str(longest));

  // Labour-market training of exactly three months: the case goes on.
  const absl::CivilDay training(2026, 5, 1);
  s = Call("eo", &RStub::RegisterParallelMeasure,
           measure(v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING, training, PlusMonths(training, 3) - 1), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.ended_participation());
  // Over three months: recorded, and the participation ends the day before the training.
  s = Call("eo", &RStub::RegisterParallelMeasure,
           measure(v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING, training, PlusMonths(training, 3)), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.ended_participation());
  c = resp.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(c.end().reason(), v1::END_REASON_TRANSFER_TO_OTHER_MEASURE);
  EXPECT_EQ(Str(c.end().end_date()), Str(training - 1));
  EXPECT_EQ(c.parallel_measures_size(), 3);
  const auto kinds = Kinds(c);
  ASSERT_GE(kinds.size(), 2u);
  EXPECT_EQ(kinds[kinds.size() - 2], v1::CASE_TRANSITION_KIND_REGISTER_PARALLEL_MEASURE);
  EXPECT_EQ(kinds.back(), v1::CASE_TRANSITION_KIND_END);
  const auto events = CaseEvents(c.case_id());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_END);
  EXPECT_EQ(events[events.size() - 2].event.parallel_measure().kind(), v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING);
}

// ---------------------------------------------------------------------------------------------
// Every report type.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, EveryReportTypeWithCorrectionsDisputesAndTheirQueues) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 2, 10));

  // Monthly report, then a correction (revision 2) that supersedes it.
  v1::CaseReport first, second;
  ASSERT_TRUE(Monthly("provider", c.case_id(), 2026, 3,
                      {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 6), Hours(v1::ACTIVITY_CATEGORY_INFORMATION, 10)},
                      &first).ok());
  grpc::Status s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 8)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 8)}, nullptr,
              first.version() + 7);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 8), Hours(v1::ACTIVITY_CATEGORY_INFORMATION, 10)}, &second,
              first.version());
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(second.revision(), 2);
  EXPECT_NE(second.report_id(), first.report_id());
  v1::ListCaseReportsRequest list;
  list.set_case_id(c.case_id());
  list.add_kinds(v1::CASE_REPORT_KIND_MONTHLY);
  v1::ListCaseReportsResponse listed;
  ASSERT_TRUE(Call("caseworker", &RStub::ListCaseReports, list, &listed).ok());
  ASSERT_EQ(listed.reports_size(), 1);
  EXPECT_EQ(listed.reports(0).report_id(), second.report_id());
  list.set_include_superseded(true);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCaseReports, list, &listed).ok());
  ASSERT_EQ(listed.reports_size(), 2);
  EXPECT_EQ(listed.reports(0).status(), v1::CASE_REPORT_STATUS_SUPERSEDED);

  // Item by item: the superseded one cannot be confirmed; the current one is confirmed for one
  // category, then disputed for the other → DISPUTED, flagged, a disputes item.
  v1::ConfirmMonthlyReportRequest confirm;
  confirm.set_request_id(Rid());
  confirm.set_report_id(first.report_id());
  auto* item = confirm.add_items();
  item->set_category(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING);
  item->set_confirmation(v1::ITEM_CONFIRMATION_CONFIRMED);
  s = Try("caseworker", &RStub::ConfirmMonthlyReport, confirm);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  confirm.set_request_id(Rid());
  confirm.set_report_id(second.report_id());
  confirm.set_expected_version(second.version());
  v1::ConfirmMonthlyReportResponse confirmed;
  s = Call("caseworker", &RStub::ConfirmMonthlyReport, confirm, &confirmed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(confirmed.report().status(), v1::CASE_REPORT_STATUS_SUBMITTED);  // one item still pending
  confirm.set_request_id(Rid());  // stale version
  s = Try("caseworker", &RStub::ConfirmMonthlyReport, confirm);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  v1::ConfirmMonthlyReportRequest dispute;
  dispute.set_request_id(Rid());
  dispute.set_report_id(second.report_id());
  dispute.set_expected_version(confirmed.report().version());
  item = dispute.add_items();
  item->set_category(v1::ACTIVITY_CATEGORY_INFORMATION);
  item->set_confirmation(v1::ITEM_CONFIRMATION_DISPUTED);
  s = Try("caseworker", &RStub::ConfirmMonthlyReport, dispute);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();  // a comment is required
  dispute.set_request_id(Rid());
  item->set_comment("Jag deltog bara i två informationsträffar");
  s = Call("caseworker", &RStub::ConfirmMonthlyReport, dispute, &confirmed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(confirmed.report().status(), v1::CASE_REPORT_STATUS_DISPUTED);
  for (const auto& a : confirmed.report().monthly().activities()) {
    EXPECT_EQ(a.confirmation(), a.category() == v1::ACTIVITY_CATEGORY_INFORMATION ? v1::ITEM_CONFIRMATION_DISPUTED
                                                                                   : v1::ITEM_CONFIRMATION_CONFIRMED);
  }
  c = GetCase(c.case_id());
  ASSERT_EQ(c.flags_size(), 1);
  EXPECT_EQ(c.flags(0).kind(), v1::CASE_FLAG_KIND_DISPUTED_REPORT);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DISPUTES).depth(), 1);
  v1::ClaimWorkResponse disputed = Claim("caseworker", v1::REFERRAL_QUEUE_DISPUTES);
  ASSERT_TRUE(disputed.has_item());
  EXPECT_EQ(disputed.item().kind(), "DISPUTE");
  EXPECT_EQ(disputed.report().report_id(), second.report_id());
  ASSERT_TRUE(Complete("caseworker", disputed.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  EXPECT_TRUE(GetCase(c.case_id()).flags(0).has_cleared_at());

  // Deviation report.
  v1::SubmitDeviationReportRequest dev;
  dev.set_request_id(Rid());
  dev.set_case_id(c.case_id());
  dev.mutable_report()->set_code(v1::DEVIATION_CODE_SICK);
  *dev.mutable_report()->mutable_date() = D(2026, 3, 20);
  dev.mutable_report()->mutable_span_start()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 20, 8)));
  dev.mutable_report()->mutable_span_end()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 20, 16)));
  dev.mutable_report()->set_description("Sjukanmäld");
  v1::SubmitDeviationReportResponse dev_resp;
  s = Call("provider", &RStub::SubmitDeviationReport, dev, &dev_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(dev_resp.report().kind(), v1::CASE_REPORT_KIND_DEVIATION);
  EXPECT_EQ(dev_resp.report().status(), v1::CASE_REPORT_STATUS_SUBMITTED);
  dev.set_request_id(Rid());
  dev.mutable_report()->set_code(static_cast<v1::DeviationCode>(99));
  EXPECT_EQ(Try("provider", &RStub::SubmitDeviationReport, dev).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  dev.set_request_id(Rid());
  dev.mutable_report()->set_code(v1::DEVIATION_CODE_SICK);
  *dev.mutable_report()->mutable_date() = D(2026, 3, 2);  // before the start
  dev.mutable_report()->mutable_span_start()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 2, 8)));
  dev.mutable_report()->mutable_span_end()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 2, 16)));
  EXPECT_EQ(Try("provider", &RStub::SubmitDeviationReport, dev).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Informative report: to its queue, handled by a caseworker.
  v1::SubmitInformativeReportRequest info;
  info.set_request_id(Rid());
  info.set_case_id(c.case_id());
  info.mutable_report()->set_kind(v1::INFORMATIVE_REPORT_KIND_WORK_PLACEMENT);
  info.mutable_report()->mutable_employer()->set_name("Bageriet i Majorna AB");
  info.mutable_report()->set_description("Praktikplats hos en namngiven arbetsgivare");
  v1::SubmitInformativeReportResponse info_resp;
  s = Call("provider", &RStub::SubmitInformativeReport, info, &info_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(info_resp.report().status(), v1::CASE_REPORT_STATUS_IN_REVIEW);
  v1::ClaimWorkResponse info_item = Claim("caseworker", v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  ASSERT_TRUE(info_item.has_item());
  EXPECT_EQ(info_item.report().report_id(), info_resp.report().report_id());
  ASSERT_TRUE(Complete("caseworker", info_item.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  v1::GetCaseReportRequest get_report;
  get_report.set_report_id(info_resp.report().report_id());
  v1::GetCaseReportResponse got_report;
  ASSERT_TRUE(Call("caseworker", &RStub::GetCaseReport, get_report, &got_report).ok());
  EXPECT_EQ(got_report.report().status(), v1::CASE_REPORT_STATUS_APPROVED);

  // Supported employment: employment officers only.
  v1::SubmitSupportedEmploymentRequestRequest se;
  se.set_request_id(Rid());
  se.set_case_id(c.case_id());
  se.mutable_request()->mutable_employer()->set_name("Lagerbolaget AB");
  se.mutable_request()->set_occupation("Lagerarbetare");
  se.mutable_request()->set_percentage(75);
  v1::SubmitSupportedEmploymentRequestResponse se_resp;
  s = Call("provider", &RStub::SubmitSupportedEmploymentRequest, se, &se_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ClaimWorkRequest cw_claim;
  cw_claim.set_request_id(Rid());
  cw_claim.set_queue(v1::REFERRAL_QUEUE_SUPPORTED_EMPLOYMENT_REQUESTS);
  EXPECT_EQ(Try("caseworker", &RStub::ClaimWork, cw_claim).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ClaimWorkResponse se_item = Claim("eo", v1::REFERRAL_QUEUE_SUPPORTED_EMPLOYMENT_REQUESTS);
  ASSERT_TRUE(se_item.has_item());
  s = Complete("eo", se_item.item().item_id(), v1::WORK_OUTCOME_REJECTED);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // a note is required
  ASSERT_TRUE(Complete("eo", se_item.item().item_id(), v1::WORK_OUTCOME_REJECTED, "Anställningen är för kort").ok());
  get_report.set_report_id(se_resp.report().report_id());
  ASSERT_TRUE(Call("eo", &RStub::GetCaseReport, get_report, &got_report).ok());
  EXPECT_EQ(got_report.report().status(), v1::CASE_REPORT_STATUS_REJECTED);

  // Interruption request → the officer interrupts with the item; then ends the case.
  v1::SubmitInterruptionRequestRequest ir;
  ir.set_request_id(Rid());
  ir.set_case_id(c.case_id());
  ir.mutable_request()->set_code(v1::DEVIATION_CODE_UNKNOWN_REASON);
  ir.mutable_request()->set_reason("Deltagaren har uteblivit tre veckor");
  ir.mutable_request()->add_deviation_report_ids(dev_resp.report().report_id());
  v1::SubmitInterruptionRequestResponse ir_resp;
  s = Call("provider", &RStub::SubmitInterruptionRequest, ir, &ir_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  cw_claim.set_request_id(Rid());
  cw_claim.set_queue(v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS);
  EXPECT_EQ(Try("caseworker", &RStub::ClaimWork, cw_claim).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ClaimWorkResponse ir_item = Claim("eo", v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS);
  ASSERT_TRUE(ir_item.has_item());
  EXPECT_EQ(ir_item.report().report_id(), ir_resp.report().report_id());
  v1::InterruptRequest interrupt;
  interrupt.set_request_id(Rid());
  interrupt.set_case_id(c.case_id());
  interrupt.set_reason("Uteblivit");
  *interrupt.mutable_interrupt_date() = D(2026, 4, 2);
  interrupt.set_interruption_request_report_id(ir_resp.report().report_id());
  interrupt.set_queue_item_id(ir_item.item().item_id());
  EXPECT_EQ(Try("caseworker", &RStub::Interrupt, interrupt).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::InterruptResponse interrupted;
  s = Call("eo", &RStub::Interrupt, interrupt, &interrupted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = interrupted.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_INTERRUPTED);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS, "eo").pending(), 0);
  info.set_request_id(Rid());
  s = Try("provider", &RStub::SubmitInformativeReport, info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.report"));
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(c.case_id());
  end.set_reason(v1::END_REASON_INTERRUPTION);
  *end.mutable_end_date() = D(2026, 4, 2);
  EXPECT_EQ(Try("caseworker", &RStub::End, end).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::EndResponse ended;
  s = Call("eo", &RStub::End, end, &ended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ended.case_record().state(), v1::CASE_STATE_ENDED);
  // The last month after the end, and the final report, are still the last provider's.
  EXPECT_TRUE(Monthly("provider", c.case_id(), 2026, 4, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 2)}).ok());
  v1::SubmitFinalReportRequest fin;
  fin.set_request_id(Rid());
  fin.set_case_id(c.case_id());
  fin.mutable_report()->set_activities("Kartläggning");
  EXPECT_EQ(Try("provider2", &RStub::SubmitFinalReport, fin).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::SubmitFinalReportResponse fin_resp;
  ASSERT_TRUE(Call("provider", &RStub::SubmitFinalReport, fin, &fin_resp).ok());
  v1::ReviewFinalReportRequest review;
  review.set_request_id(Rid());
  review.set_report_id(fin_resp.report().report_id());
  review.set_decision(v1::CASE_REPORT_STATUS_APPROVED);
  v1::ReviewFinalReportResponse reviewed;
  ASSERT_TRUE(Call("caseworker", &RStub::ReviewFinalReport, review, &reviewed).ok());
  EXPECT_EQ(reviewed.report().status(), v1::CASE_REPORT_STATUS_APPROVED);

  // Every report is listed, oldest first; the provider sees its own.
  v1::ListCaseReportsRequest all;
  all.set_case_id(c.case_id());
  ASSERT_TRUE(Call("provider", &RStub::ListCaseReports, all, &listed).ok());
  std::set<v1::CaseReportKind> kinds;
  for (const auto& r : listed.reports()) kinds.insert(r.kind());
  EXPECT_EQ(kinds.size(), 6u);
}

// ---------------------------------------------------------------------------------------------
// Queues: claim, complete, release, reclaim after the visibility timeout, stats.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, QueueClaimCompleteReleaseReclaimAndStats) {
  Start(1, [](ReferralConfig& c) { c.queue_visibility_ms = 1000; });
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case a = MustActive(kProviderOrg, start);
  v1::Case b = MustActive(kProviderOrg, start);
  auto informative = [&](const v1::Case& c) {
    v1::SubmitInformativeReportRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    req.mutable_report()->set_kind(v1::INFORMATIVE_REPORT_KIND_OTHER_SUPPORT);
    req.mutable_report()->set_description("Behöver stöd från kommunen");
    v1::SubmitInformativeReportResponse resp;
    EXPECT_TRUE(Call("provider", &RStub::SubmitInformativeReport, req, &resp).ok());
    return resp.report();
  };
  clock_.Set(Stockholm(2026, 4, 1, 9));
  const v1::CaseReport ra = informative(a);
  clock_.Advance(absl::Minutes(10));
  informative(b);
  clock_.Advance(absl::Minutes(60));
  v1::QueueStats st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.queue(), "referral.informative-reports");
  EXPECT_EQ(st.depth(), 2);
  EXPECT_EQ(st.pending(), 0);
  EXPECT_EQ(st.oldest_age().seconds(), 70 * 60);
  // Auditors and admins may look; municipalities and providers may not.
  EXPECT_TRUE(Try("auditor", &RStub::GetQueueStats, v1::GetQueueStatsRequest()).ok());
  EXPECT_EQ(Try("municipality", &RStub::GetQueueStats, v1::GetQueueStatsRequest()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("provider", &RStub::ClaimWork, v1::ClaimWorkRequest()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetQueueStatsResponse all;
  ASSERT_TRUE(Call("caseworker", &RStub::GetQueueStats, v1::GetQueueStatsRequest(), &all).ok());
  EXPECT_EQ(all.stats_size(), 8);

  // The oldest first; a repeated claim request gets the same item.
  v1::ClaimWorkRequest claim;
  claim.set_request_id(Rid());
  claim.set_queue(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  v1::ClaimWorkResponse first, again;
  ASSERT_TRUE(Call("caseworker", &RStub::ClaimWork, claim, &first).ok());
  ASSERT_TRUE(first.has_item());
  EXPECT_EQ(first.item().case_id(), a.case_id());
  EXPECT_EQ(first.report().report_id(), ra.report_id());
  EXPECT_EQ(first.item().delivery_count(), 1);
  ASSERT_TRUE(Call("caseworker", &RStub::ClaimWork, claim, &again).ok());
  EXPECT_EQ(again.item().item_id(), first.item().item_id());
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 1);
  EXPECT_EQ(st.pending(), 1);

  // Released unfinished: back in the queue, another caseworker gets it.
  v1::ReleaseWorkRequest release;
  release.set_request_id(Rid());
  release.set_item_id(first.item().item_id());
  release.set_reason("Lunch");
  EXPECT_EQ(Try("cw2", &RStub::ReleaseWork, release).error_code() == grpc::StatusCode::OK, false);
  ASSERT_TRUE(Try("caseworker", &RStub::ReleaseWork, release).ok());
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 2);
  EXPECT_EQ(st.pending(), 0);
  v1::ClaimWorkResponse by_cw2 = Claim("cw2", v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  ASSERT_TRUE(by_cw2.has_item());
  EXPECT_EQ(by_cw2.item().item_id(), first.item().item_id());
  EXPECT_EQ(by_cw2.item().delivery_count(), 1);  // a release is not a failed delivery

  // cw2 walks away: after the visibility timeout the item is claimable again, and counted so.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 2);
  EXPECT_EQ(st.pending(), 0);
  v1::ClaimWorkResponse reclaimed = Claim("caseworker", v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  ASSERT_TRUE(reclaimed.has_item());
  EXPECT_EQ(reclaimed.item().item_id(), first.item().item_id());
  EXPECT_EQ(reclaimed.item().claimed_by(), kCaseworkerUri);
  EXPECT_EQ(reclaimed.item().delivery_count(), 2);
  EXPECT_FALSE(Complete("cw2", first.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  ASSERT_TRUE(Complete("caseworker", first.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  EXPECT_FALSE(Complete("caseworker", first.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 1);
  EXPECT_EQ(st.pending(), 0);
  EXPECT_EQ(st.oldest_age().seconds(), 60 * 60);  // the second report, enqueued 10 minutes later

  // Handling time per queue: the completed item is counted.
  v1::GetHandlingTimeReportRequest ht;
  *ht.mutable_period()->mutable_start() = D(2026, 4, 1);
  *ht.mutable_period()->mutable_end() = D(2026, 4, 30);
  v1::GetHandlingTimeReportResponse report;
  ASSERT_TRUE(Call("caseworker", &RStub::GetHandlingTimeReport, ht, &report).ok());
  bool found = false;
  for (const auto& q : report.queues()) {
    if (q.queue() != "referral.informative-reports") continue;
    found = true;
    EXPECT_EQ(q.total().count(), 1);
    EXPECT_EQ(q.waiting().count(), 1);
    EXPECT_EQ(q.total().mean().seconds(), 70 * 60);
  }
  EXPECT_TRUE(found);
  *ht.mutable_period()->mutable_end() = D(2026, 3, 1);
  EXPECT_EQ(Try("caseworker", &RStub::GetHandlingTimeReport, ht).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Empty queue: an empty response.
  v1::ClaimWorkResponse none = Claim("caseworker", v1::REFERRAL_QUEUE_DISPUTES);
  EXPECT_FALSE(none.has_item());
}

// ---------------------------------------------------------------------------------------------
// Access per role.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, AccessRulesPerRole) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case mine = MustActive(kProviderOrg, start);
  v1::Case theirs = MustActive(provider2_, start);
  v1::Case waiting = MustAwaitChoice();

  // A provider sees its own participant, reduced.
  const v1::Case view = GetCase(mine.case_id(), "provider");
  EXPECT_EQ(view.case_id(), mine.case_id());
  EXPECT_EQ(view.state(), v1::CASE_STATE_ACTIVE);
  EXPECT_EQ(view.current_provider().organisation_number(), kProviderOrg);
  EXPECT_FALSE(view.has_decision());
  EXPECT_TRUE(view.assessment_id().empty());
  EXPECT_TRUE(view.home_municipality_code().empty());
  EXPECT_TRUE(view.home_postal_code().empty());
  EXPECT_EQ(view.history_size(), 0);
  EXPECT_EQ(view.provider_history_size(), 0);
  // ... and nothing of others.
  for (const auto& id : {theirs.case_id(), waiting.case_id(), std::string("case-000000000000000000000000")}) {
    v1::GetCaseRequest req;
    req.set_case_id(id);
    EXPECT_EQ(Try("provider", &RStub::GetCase, req).error_code(), grpc::StatusCode::NOT_FOUND) << id;
  }
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call("provider", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_id(), mine.case_id());
  EXPECT_FALSE(listed.cases(0).has_decision());
  v1::ListCasesRequest other_org;
  other_org.set_organisation_number(provider2_);
  EXPECT_EQ(Try("provider", &RStub::ListCases, other_org).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 3);
  clock_.Set(Stockholm(2026, 4, 2, 10));
  v1::CaseReport their_report;
  ASSERT_TRUE(Monthly("provider2", theirs.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 3)}, &their_report).ok());
  v1::GetCaseReportRequest gr;
  gr.set_report_id(their_report.report_id());
  EXPECT_EQ(Try("provider", &RStub::GetCaseReport, gr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Monthly("provider", theirs.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 3)}).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A provider's read is audited in the case's chain.
  bool audited = false;
  for (const auto& e : CaseAudit(mine.case_id())) {
    audited |= e.event().actor_role() == v1::ROLE_PROVIDER && e.event().action() == "referral.GetCase";
  }
  EXPECT_TRUE(audited);

  // No transitions for providers, municipalities or auditors.
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(mine.case_id());
  end.set_reason(v1::END_REASON_OTHER);
  for (const char* who : {"provider", "municipality", "auditor"}) {
    EXPECT_EQ(Try(who, &RStub::End, end).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  v1::StartRequest start_req;
  start_req.set_request_id(Rid());
  start_req.set_case_id(waiting.case_id());
  *start_req.mutable_start_date() = D(2026, 4, 2);
  for (const char* who : {"provider", "municipality", "auditor"}) {
    EXPECT_EQ(Try(who, &RStub::Start, start_req).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(waiting.case_id());
  choose.set_organisation_number(kProviderOrg);
  EXPECT_EQ(Try("provider", &RStub::ChooseProvider, choose).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("municipality", &RStub::ChooseProvider, choose).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetCaseRequest get;
  get.set_case_id(mine.case_id());
  EXPECT_EQ(Try("municipality", &RStub::GetCase, get).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Try("auditor", &RStub::GetCase, get).ok());
  // The parallel measure is the employment officer's decision.
  v1::RegisterParallelMeasureRequest pm;
  pm.set_request_id(Rid());
  pm.set_case_id(mine.case_id());
  pm.mutable_measure()->set_kind(v1::PARALLEL_MEASURE_KIND_VALIDATION);
  *pm.mutable_measure()->mutable_dates()->mutable_start() = D(2026, 4, 6);
  *pm.mutable_measure()->mutable_dates()->mutable_end() = D(2026, 5, 6);
  pm.mutable_measure()->set_percentage(20);
  grpc::Status s = Try("caseworker", &RStub::RegisterParallelMeasure, pm);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_TRUE(Try("eo", &RStub::RegisterParallelMeasure, pm).ok());
  // Providers submit reports; caseworkers do not.
  EXPECT_EQ(Monthly("caseworker", mine.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 3)}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Nothing above changed a case.
  EXPECT_EQ(GetCase(waiting.case_id()).version(), waiting.version());
}

// ---------------------------------------------------------------------------------------------
// Bad input, stale versions, repeated request ids, transitions not allowed in the state.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, BadInputIsRefusedWithTheFieldOrRuleAndChangesNothing) {
  Start();
  StandardProviders();
  const std::string person = NextPerson();
  const v1::Assessment a = MustAssess(person);

  // CreateCase input.
  v1::CreateCaseRequest create;
  create.set_request_id(Rid());
  create.set_person_id("198506152000");  // wrong check digit
  create.set_home_municipality_code("1480");
  grpc::Status s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("person_id"));
  create.set_person_id(person);
  create.set_home_municipality_code("1400");  // not a municipality
  s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("home_municipality_code"));
  create.set_home_municipality_code("1480");
  create.set_home_postal_code("11120");  // Stockholm
  s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("home_postal_code"));
  create.set_home_postal_code("41301");
  create.set_assessment_id(MustAssess(NextPerson()).assessment_id());  // someone else's
  s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("assessment_id"));
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);

  // A repeated request id returns the first result and changes nothing.
  create.set_request_id("create-once");
  create.set_assessment_id(a.assessment_id());
  v1::CreateCaseResponse created, repeated;
  ASSERT_TRUE(Call("caseworker", &RStub::CreateCase, create, &created).ok());
  const int64_t events = StreamLength("events:referral");
  ASSERT_TRUE(Call("caseworker", &RStub::CreateCase, create, &repeated).ok());
  EXPECT_EQ(repeated.case_record().case_id(), created.case_record().case_id());
  EXPECT_EQ(StreamLength("events:referral"), events);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 1);
  v1::Case c = created.case_record();

  // A transition not allowed in the state names the rule.
  v1::StartRequest start;
  start.set_request_id(Rid());
  start.set_case_id(c.case_id());
  *start.mutable_start_date() = D(2026, 3, 9);
  s = Try("caseworker", &RStub::Start, start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.transition: START is not allowed in ASSESSED"));

  // Decisions that do not fit the assessment, or rest on a stale version, link nothing.
  v1::DecideRequest decide = ReferReq(c, a.result().level() == v1::LEVEL_A ? v1::LEVEL_C : v1::LEVEL_A, c.version());
  decide.set_request_id(Rid());
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.decision"));
  decide = ReferReq(c, a.result().level(), c.version() + 1);
  decide.set_request_id(Rid());
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  EXPECT_FALSE(GetAssessment(a.assessment_id()).has_decision_link());
  decide.mutable_refer()->mutable_extent()->set_percentage(80);  // full time must be 100
  decide.set_expected_version(c.version());
  decide.set_request_id(Rid());
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("extent.percentage"));
  EXPECT_FALSE(GetAssessment(a.assessment_id()).has_decision_link());
  EXPECT_EQ(GetCase(c.case_id()).version(), c.version());

  // Decide, choose a provider the registry does not offer, then start with a stale version.
  decide = ReferReq(c, a.result().level(), c.version());
  decide.set_request_id(Rid());
  v1::DecideResponse decided;
  ASSERT_TRUE(Call("caseworker", &RStub::Decide, decide, &decided).ok());
  c = decided.case_record();
  // The decision repeated (a client retry): the first answer, although the case has moved on.
  const int64_t decided_events = StreamLength("events:referral");
  v1::DecideResponse decided_again;
  s = Call("caseworker", &RStub::Decide, decide, &decided_again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(decided_again.case_record().SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(StreamLength("events:referral"), decided_events);
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(c.case_id());
  choose.set_organisation_number(Org("556999990"));
  s = Try("caseworker", &RStub::ChooseProvider, choose);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.choice"));
  choose.set_organisation_number("5560360794");  // bad check digit
  choose.set_request_id(Rid());
  EXPECT_EQ(Try("caseworker", &RStub::ChooseProvider, choose).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  choose.set_request_id("choose-once");
  choose.set_organisation_number(kProviderOrg);
  choose.set_expected_version(c.version());
  v1::ChooseProviderResponse chosen, chosen_again;
  ASSERT_TRUE(Call("caseworker", &RStub::ChooseProvider, choose, &chosen).ok());
  c = chosen.case_record();
  s = Call("caseworker", &RStub::ChooseProvider, choose, &chosen_again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(chosen_again.case_record().SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_CHOOSE_PROVIDER), 1);
  start.set_request_id(Rid());
  start.set_expected_version(c.version() - 1);
  s = Try("caseworker", &RStub::Start, start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("version"));
  start.set_request_id(Rid());
  start.set_expected_version(c.version());
  *start.mutable_start_date() = D(2026, 3, 1);  // before the assignment
  s = Try("caseworker", &RStub::Start, start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("start_date"));
  c = MustStart(c, absl::CivilDay(2026, 3, 9));

  // Monthly reports: negative hours, more than possible, months outside the participation.
  clock_.Set(Stockholm(2026, 4, 10, 10));
  const int march = PossibleHoursOf(absl::CivilDay(2026, 3, 9), std::nullopt, 2026, 3);
  s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, -1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("hours"));
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_MAPPING, march), Hours(v1::ACTIVITY_CATEGORY_INFORMATION, 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("activities"));
  for (auto [y, m] : {std::pair{2026, 2}, std::pair{2026, 5}}) {
    s = Monthly("provider", c.case_id(), y, m, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 1)});
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << y << "-" << m;
    EXPECT_THAT(s.error_message(), HasSubstr("month"));
  }
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 1), Hours(v1::ACTIVITY_CATEGORY_MAPPING, 2)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, march)}).ok());
  s = Monthly("provider2", c.case_id(), 2026, 4, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);  // never its participant

  // A repeated Pause: the first answer, no second event; the same id for another body: refused.
  v1::PauseRequest pause;
  pause.set_request_id("pause-once");
  pause.set_case_id(c.case_id());
  pause.set_reason(v1::PAUSE_REASON_SICK);
  *pause.mutable_from_date() = D(2026, 4, 10);
  v1::PauseResponse p1, p2;
  ASSERT_TRUE(Call("caseworker", &RStub::Pause, pause, &p1).ok());
  const int64_t before = StreamLength("events:referral");
  const size_t audit_before = CaseAudit(c.case_id()).size();
  ASSERT_TRUE(Call("caseworker", &RStub::Pause, pause, &p2).ok());
  EXPECT_EQ(p2.case_record().SerializeAsString(), p1.case_record().SerializeAsString());
  EXPECT_EQ(StreamLength("events:referral"), before);
  EXPECT_EQ(CaseAudit(c.case_id()).size(), audit_before);
  EXPECT_EQ(GetCase(c.case_id()).version(), p1.case_record().version());
  pause.set_reason(v1::PAUSE_REASON_OTHER);
  pause.set_reason_text("Annat");
  s = Try("caseworker", &RStub::Pause, pause);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
  // A pause reason is required; an end reason is required.
  v1::PauseRequest no_reason;
  no_reason.set_request_id(Rid());
  no_reason.set_case_id(c.case_id());
  EXPECT_EQ(Try("caseworker", &RStub::Pause, no_reason).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(c.case_id());
  EXPECT_EQ(Try("caseworker", &RStub::End, end).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  end.set_reason(v1::END_REASON_MAXIMUM_TIME);
  s = Try("caseworker", &RStub::End, end);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.end"));
  v1::GetCaseRequest get;
  get.set_case_id("../etc");
  EXPECT_EQ(Try("caseworker", &RStub::GetCase, get).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

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

TEST_F(ReferralResultsTest, AResultIsVerifiedByTheRegisterExactlyAtItsFourMonthMark) {
  Start();
  StandardProviders();
  v1::Case c = MustEnded();
  auto reg = Register({absl::StrCat(c.person_id(), ",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no")});
  Handler().SetResultRegister(reg.get());
  clock_.Set(Stockholm(2026, 5, 20, 10));
  v1::ReportResultResponse reported;
  grpc::Status s = Call("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid()), &reported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reported.case_record().state(), v1::CASE_STATE_RESULT_REPORTED);
  EXPECT_EQ(reported.result().source(), v1::RESULT_SOURCE_PROVIDER);
  EXPECT_EQ(reported.result().verification_status(), v1::VERIFICATION_STATUS_PENDING);
  // Four whole months from 2026-05-15 run to 2026-09-14; verifiable on 2026-09-15.
  EXPECT_EQ(reported.result().verification_due_on().month(), 9);
  EXPECT_EQ(reported.result().verification_due_on().day(), 15);

  clock_.Set(Stockholm(2026, 9, 14, 23, 30));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_RESULT_REPORTED);
  EXPECT_TRUE(VerificationEvents(c.case_id()).empty());

  clock_.Set(Stockholm(2026, 9, 15, 0, 30));
  auto handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 1);
  v1::Case after = GetCase(c.case_id());
  EXPECT_EQ(after.state(), v1::CASE_STATE_RESULT_VERIFIED);
  EXPECT_EQ(after.result().verification_status(), v1::VERIFICATION_STATUS_VERIFIED);
  EXPECT_THAT(after.result().verification_reference(), HasSubstr("register:register.csv:2"));
  auto events = VerificationEvents(c.case_id());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].status(), v1::VERIFICATION_STATUS_VERIFIED);
  EXPECT_EQ(events[0].organisation_number(), kProviderOrg);
  EXPECT_EQ(events[0].service_started_on().day(), 2);
  EXPECT_EQ(events[0].service_ended_on().month(), 4);
  EXPECT_EQ(events[0].result_start().day(), 15);
  // Nothing is due any more: a second run handles nothing.
  EXPECT_EQ(*Handler().RunDueDeadlines(), 0);
}

TEST_F(ReferralResultsTest, ARegisterThatDisagreesGivesNotVerifiedWithTheReasonAndTheCaseIsEndedAgain) {
  Start();
  StandardProviders();
  const std::vector<std::pair<std::string, v1::VerificationFailure>> cases = {
      {",5560743089,Volvo Personvagnar AB,2026-05-15,2026-08-31,100,no", v1::VERIFICATION_FAILURE_TOO_SHORT},
      {",5565028382,Annan Arbetsgivare AB,2026-05-15,,100,no", v1::VERIFICATION_FAILURE_MISMATCH},
      {"", v1::VERIFICATION_FAILURE_NOT_IN_REGISTER}};
  for (const auto& [line, failure] : cases) {
    clock_.Set(Stockholm(2026, 3, 2, 9));
    v1::Case c = MustEnded();
    auto reg = Register(line.empty() ? std::vector<std::string>{} : std::vector<std::string>{c.person_id() + line});
    Handler().SetResultRegister(reg.get());
    clock_.Set(Stockholm(2026, 5, 20, 10));
    ASSERT_TRUE(Try("caseworker", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid())).ok());
    clock_.Set(Stockholm(2026, 9, 15, 8));
    ASSERT_TRUE(Handler().RunDueDeadlines().ok());
    v1::Case after = GetCase(c.case_id());
    EXPECT_EQ(after.state(), v1::CASE_STATE_ENDED) << line;
    EXPECT_EQ(after.result().verification_status(), v1::VERIFICATION_STATUS_NOT_VERIFIED) << line;
    EXPECT_EQ(after.result().verification_failure(), failure) << line;
    auto events = VerificationEvents(c.case_id());
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].failure(), failure);
    Handler().SetResultRegister(nullptr);
  }
}

TEST_F(ReferralResultsTest, WithoutARegisterAnEmploymentOfficerVerifiesFromTheQueue) {
  Start();
  StandardProviders();
  v1::Case c = MustEnded();
  clock_.Set(Stockholm(2026, 5, 20, 10));
  v1::ReportResultResponse reported;
  ASSERT_TRUE(Call("caseworker", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid()), &reported).ok());
  EXPECT_EQ(reported.result().source(), v1::RESULT_SOURCE_CASEWORKER);
  // Before the mark a verification is refused, whoever makes it.
  v1::VerifyResultRequest early;
  early.set_request_id(Rid());
  early.set_case_id(c.case_id());
  early.set_status(v1::VERIFICATION_STATUS_VERIFIED);
  early.set_verification_reference("verifikat 2026-123");
  grpc::Status s = Try("eo", &RStub::VerifyResult, early);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.result"));
  clock_.Set(Stockholm(2026, 9, 15, 8));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_RESULT_REPORTED);
  EXPECT_EQ(Try("caseworker", &RStub::ClaimWork, [] {
              v1::ClaimWorkRequest r;
              r.set_request_id("claim-cw");
              r.set_queue(v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS);
              return r;
            }()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ClaimWorkResponse item = Claim("eo", v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS);
  ASSERT_TRUE(item.has_item());
  EXPECT_EQ(item.item().case_id(), c.case_id());
  v1::VerifyResultRequest verify = early;
  verify.set_request_id(Rid());
  verify.set_queue_item_id(item.item().item_id());
  EXPECT_EQ(Try("caseworker", &RStub::VerifyResult, verify).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::VerifyResultResponse verified;
  s = Call("eo", &RStub::VerifyResult, verify, &verified);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(verified.case_record().state(), v1::CASE_STATE_RESULT_VERIFIED);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS, "eo").depth(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS, "eo").pending(), 0);
}

TEST_F(ReferralResultsTest, BadResultReportsAreRefusedWithTheRuleAndChangeNothing) {
  Start();
  StandardProviders();
  v1::Case c = MustEnded();
  const absl::CivilDay start(2026, 5, 15);
  // From a provider that never had the participant: it does not learn the case exists.
  clock_.Set(Stockholm(2026, 5, 20, 10));
  EXPECT_EQ(Try("provider2", &RStub::ReportResult, ResultReq(c, start, Rid())).error_code(), grpc::StatusCode::NOT_FOUND);
  // An end before its start.
  v1::ReportResultRequest backwards = ResultReq(c, start, Rid());
  *backwards.mutable_end_date() = D(2026, 5, 1);
  grpc::Status s = Try("provider", &RStub::ReportResult, backwards);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("end_date"));
  // Work that started more than two months after the end (2026-04-30 + 2 months = 2026-06-30).
  s = Try("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 7, 1), Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("start_date"));
  // Reported after the window: the last day is 2026-06-30.
  clock_.Set(Stockholm(2026, 7, 1, 10));
  s = Try("provider", &RStub::ReportResult, ResultReq(c, start, Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.result"));
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_ENDED);
  EXPECT_FALSE(GetCase(c.case_id()).has_result());
  // Twice for the same case.
  clock_.Set(Stockholm(2026, 6, 30, 10));
  ASSERT_TRUE(Try("provider", &RStub::ReportResult, ResultReq(c, start, Rid())).ok());
  s = Try("caseworker", &RStub::ReportResult, ResultReq(c, start, Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.transition"));
  // A case that never started (ended while only assigned).
  v1::Case never = MustChoose(MustAwaitChoice(), kProviderOrg);
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(never.case_id());
  end.set_reason(v1::END_REASON_DEREGISTERED);
  ASSERT_TRUE(Try("caseworker", &RStub::End, end).ok());
  s = Try("caseworker", &RStub::ReportResult, ResultReq(never, absl::CivilDay(2026, 7, 1), Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("never started"));
}

TEST_F(ReferralResultsTest, RatingInputFollowsStartsEndsAndVerifiedResults) {
  Start(2);
  StandardProviders();
  // The registry's stored outcome of the case with a provider, and its rating runs.
  auto outcome = [&](const std::string& case_id, const std::string& org) {
    redis::RedisConnection conn(redis_.options());
    auto reply = conn.Command({"HGET", "registry:{registry}:outcomes", case_id + "|" + org});
    EXPECT_TRUE(reply.ok());
    std::optional<v1::ParticipantOutcome> out;
    if (reply.ok() && reply->is_string()) {
      out.emplace();
      EXPECT_TRUE(out->ParseFromString(reply->str));
    }
    return out;
  };
  auto outcomes_of_case = [&](const std::string& case_id) {
    redis::RedisConnection conn(redis_.options());
    auto reply = conn.Command({"HKEYS", "registry:{registry}:outcomes"});
    EXPECT_TRUE(reply.ok());
    int n = 0;
    if (reply.ok()) {
      for (const auto& k : reply->elements) n += absl::StartsWith(k.str, case_id + "|") ? 1 : 0;
    }
    return n;
  };
  auto runs = [&] {
    v1::ListRatingRunsRequest req;
    req.set_page_size(100);
    v1::ListRatingRunsResponse resp;
    grpc::Status s = Invoke(Reg("admin"), &RegStub::ListRatingRuns, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::vector<v1::RatingRun>(resp.runs().begin(), resp.runs().end());
  };
  auto same_day = [](const v1::Date& d, int y, int m, int day) {
    return d.year() == y && d.month() == m && d.day() == day;
  };

  // Started 2026-03-02 with `provider`, ended 2026-04-30; the clock is on 2026-05-01.
  v1::Case c = MustEnded();
  auto fed = Handler().RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_GT(*fed, 0);
  auto o = outcome(c.case_id(), kProviderOrg);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->level(), c.level());
  EXPECT_TRUE(same_day(o->started_on(), 2026, 3, 2)) << o->DebugString();
  EXPECT_TRUE(same_day(o->ended_on(), 2026, 4, 30)) << o->DebugString();
  // (The registry's merge may leave an empty Date for "not verified"; no day is set.)
  EXPECT_EQ(o->result_verified_on().year(), 0) << o->DebugString();
  EXPECT_EQ(outcomes_of_case(c.case_id()), 1);
  // The day's ratings were computed once, as of today.
  auto before = runs();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_TRUE(same_day(before[0].as_of(), 2026, 5, 1));

  // The result is reported and verified by the register at its 4-month mark.
  auto reg = Register({absl::StrCat(c.person_id(), ",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no")});
  Handler().SetResultRegister(reg.get());
  clock_.Set(Stockholm(2026, 5, 20, 10));
  ASSERT_TRUE(Try("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid())).ok());
  clock_.Set(Stockholm(2026, 9, 15, 0, 30));
  ASSERT_EQ(*Handler().RunDueDeadlines(), 1);
  ASSERT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_RESULT_VERIFIED);

  fed = Handler().RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_GT(*fed, 0);
  o = outcome(c.case_id(), kProviderOrg);
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(same_day(o->started_on(), 2026, 3, 2)) << o->DebugString();
  EXPECT_TRUE(same_day(o->ended_on(), 2026, 4, 30)) << o->DebugString();
  EXPECT_TRUE(same_day(o->result_verified_on(), 2026, 9, 15)) << o->DebugString();
  EXPECT_EQ(outcomes_of_case(c.case_id()), 1);
  auto after = runs();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_TRUE(same_day(after[0].as_of(), 2026, 9, 15));  // newest first
  EXPECT_GE(after[0].sample_size(), 1);

  // Again, on this replica and on the other: nothing left to feed, no second run for the day.
  const std::string stored = o->SerializeAsString();
  fed = Handler().RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(*fed, 0);
  fed = Handler(1).RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(*fed, 0);
  ASSERT_TRUE(outcome(c.case_id(), kProviderOrg).has_value());
  EXPECT_EQ(outcome(c.case_id(), kProviderOrg)->SerializeAsString(), stored);
  EXPECT_EQ(runs().size(), 2u);
  {
    redis::RedisConnection conn(redis_.options());
    auto pending = conn.Command({"XPENDING", "events:referral", "ratings"});
    ASSERT_TRUE(pending.ok());
    ASSERT_TRUE(pending->is_array());
    EXPECT_EQ(pending->elements[0].integer, 0);  // everything acknowledged
    auto claimed = conn.Command({"GET", "referral:ratings-computed:2026-09-15"});
    ASSERT_TRUE(claimed.ok());
    EXPECT_EQ(claimed->str, "1");
  }
  // The next day the other replica computes the day's run (once).
  clock_.Set(Stockholm(2026, 9, 16, 0, 30));
  ASSERT_TRUE(Handler(1).RunRatingFeed().ok());
  ASSERT_TRUE(Handler().RunRatingFeed().ok());
  after = runs();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_TRUE(same_day(after[0].as_of(), 2026, 9, 16));
}

// ---- Compensation (issue 6): the ledger from case events ----

class CompensationTest : public ReferralResultsTest {
 protected:
  using CStub = v1::CompensationService::Stub;
  CStub* Comp(const std::string& who) {
    auto& stub = comp_stubs_[who];
    if (!stub) stub = v1::CompensationService::NewStub(
                   testing::Pki::Channel(replicas_[0].host->port(), pki_->ClientCredentials(who)));
    return stub.get();
  }
  std::vector<v1::PaymentLine> Lines(const std::string& who, const std::string& case_id, const std::string& statement = "") {
    v1::ListPaymentLinesRequest req;
    req.set_case_id(case_id);
    req.set_statement_id(statement);
    v1::ListPaymentLinesResponse resp;
    grpc::Status s = Invoke(Comp(who), &CStub::ListPaymentLines, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.lines().begin(), resp.lines().end()};
  }
  // A case through its whole path: decided, chosen, started 2026-03-02, a March report with 2
  // interpreter hours, ended (WORK) 2026-04-30, work from 2026-05-15 reported and checked against
  // a register that shows `register_line` (after the person id) at the 4-month mark.
  v1::Case PathToVerification(const std::string& register_line) {
    v1::Case c = MustEnded();
    EXPECT_TRUE(Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 10)}).ok());
    register_ = Register({c.person_id() + register_line});
    Handler().SetResultRegister(register_.get());
    clock_.Set(Stockholm(2026, 5, 20, 10));
    EXPECT_TRUE(Try("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid())).ok());
    clock_.Set(Stockholm(2026, 9, 15, 8));
    EXPECT_TRUE(Handler().RunDueDeadlines().ok());
    return GetCase(c.case_id());
  }
  std::unique_ptr<ResultRegister> register_;
  std::map<std::string, std::unique_ptr<CStub>> comp_stubs_;
};

// The illustrative tariff of domain.md section 5, in öre, written out here: [level A, B, C].
const std::map<v1::PaymentComponent, std::array<int64_t, 3>> kTariff = {
    {v1::PAYMENT_COMPONENT_BASIC, {180000, 220000, 260000}},
    {v1::PAYMENT_COMPONENT_RESULT, {1200000, 1600000, 2000000}},
    {v1::PAYMENT_COMPONENT_SPEED_BONUS, {400000, 500000, 600000}},
    {v1::PAYMENT_COMPONENT_SUPPLEMENTARY, {300000, 400000, 500000}},
    {v1::PAYMENT_COMPONENT_INTERPRETER, {45000, 45000, 45000}}};

TEST_F(CompensationTest, AWholePathToAVerifiedResultPaysExactlyTheExpectedLinesOnce) {
  Start();
  StandardProviders();
  v1::Case c = PathToVerification(",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no");
  ASSERT_EQ(c.state(), v1::CASE_STATE_RESULT_VERIFIED);
  const int level = static_cast<int>(c.level()) - 1;
  ASSERT_GE(level, 0);
  ASSERT_TRUE(replicas_[0].compensation->RunEngine().ok());

  // Expected, independently: basic for March and April 2026 (full time, no parallel measure); 2
  // interpreter hours in March; the result (verified 2026-09-15); the speed bonus (work started on
  // day 75 of the service: 2026-03-02 is day 1, 2026-05-15 is day 75 <= 90); the supplementary
  // payment (unsubsidised work at 100 % >= 80 %).
  std::multiset<std::pair<int, int64_t>> expected = {
      {v1::PAYMENT_COMPONENT_BASIC, kTariff.at(v1::PAYMENT_COMPONENT_BASIC)[level]},
      {v1::PAYMENT_COMPONENT_BASIC, kTariff.at(v1::PAYMENT_COMPONENT_BASIC)[level]},
      {v1::PAYMENT_COMPONENT_INTERPRETER, 2 * kTariff.at(v1::PAYMENT_COMPONENT_INTERPRETER)[level]},
      {v1::PAYMENT_COMPONENT_RESULT, kTariff.at(v1::PAYMENT_COMPONENT_RESULT)[level]},
      {v1::PAYMENT_COMPONENT_SPEED_BONUS, kTariff.at(v1::PAYMENT_COMPONENT_SPEED_BONUS)[level]},
      {v1::PAYMENT_COMPONENT_SUPPLEMENTARY, kTariff.at(v1::PAYMENT_COMPONENT_SUPPLEMENTARY)[level]}};
  std::vector<v1::PaymentLine> lines = Lines("eo", c.case_id());
  std::multiset<std::pair<int, int64_t>> got;
  std::set<std::string> months;
  for (const auto& l : lines) {
    got.insert({l.component(), l.amount().ore()});
    EXPECT_EQ(l.organisation_number(), kProviderOrg);
    EXPECT_EQ(l.tariff_version(), "illustrative-2020");
    EXPECT_FALSE(l.source_event_ids().empty()) << l.idempotency_key();
    EXPECT_FALSE(l.part_time_or_parallel_cut());
    if (l.component() == v1::PAYMENT_COMPONENT_BASIC) months.insert(absl::StrCat(l.period().year(), "-", l.period().month()));
    if (l.component() == v1::PAYMENT_COMPONENT_RESULT) {
      // The verification's event is what the result payment rests on.
      EXPECT_EQ(l.event_id(), c.history(c.history_size() - 1).event_id());
    }
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(months, (std::set<std::string>{"2026-3", "2026-4"}));

  // The same events again: no new line. A replay of the year finds no difference.
  ASSERT_TRUE(replicas_[0].compensation->RunEngine().ok());
  EXPECT_EQ(Lines("eo", c.case_id()).size(), lines.size());
  v1::ReplayPaymentsRequest replay;
  *replay.mutable_period()->mutable_start() = D(2026, 1, 1);
  *replay.mutable_period()->mutable_end() = D(2026, 12, 31);
  v1::ReplayPaymentsResponse replayed;
  ASSERT_TRUE(Invoke(Comp("eo"), &CStub::ReplayPayments, replay, &replayed).ok());
  EXPECT_EQ(replayed.difference_count(), 0);
  EXPECT_EQ(replayed.lines_compared(), static_cast<int64_t>(lines.size()));

  // Settlement of September: one statement with every line, matching their sum; a second
  // settlement of the month finds nothing new.
  v1::SettleMonthRequest settle;
  settle.set_request_id(Rid());
  settle.mutable_month()->set_year(2026);
  settle.mutable_month()->set_month(9);
  v1::SettleMonthResponse settled;
  grpc::Status s = Invoke(Comp("admin"), &CStub::SettleMonth, settle, &settled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(settled.statements_size(), 1);
  const v1::Statement& st = settled.statements(0);
  int64_t sum = 0;
  for (const auto& [component, amount] : expected) sum += amount;
  EXPECT_EQ(st.total().ore(), sum);
  EXPECT_EQ(st.line_count(), static_cast<int64_t>(expected.size()));
  int64_t listed = 0;
  for (const auto& l : Lines("eo", c.case_id(), st.statement_id())) listed += l.amount().ore();
  EXPECT_EQ(listed, st.total().ore());
  // The settled result payment moves the case to PAID, with the history naming the lines.
  v1::Case paid = GetCase(c.case_id());
  EXPECT_EQ(paid.state(), v1::CASE_STATE_PAID);
  EXPECT_EQ(paid.history(paid.history_size() - 1).kind(), v1::CASE_TRANSITION_KIND_MARK_PAID);
  v1::SettleMonthRequest again = settle;
  again.set_request_id(Rid());
  v1::SettleMonthResponse none;
  ASSERT_TRUE(Invoke(Comp("admin"), &CStub::SettleMonth, again, &none).ok());
  EXPECT_EQ(none.statements_size(), 0);
  // Only the engine writes: a caseworker may not settle; the provider reads its own lines without
  // person ids, another provider none of them.
  EXPECT_EQ(Invoke(Comp("caseworker"), &CStub::SettleMonth, again, &none).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  for (const auto& l : Lines("provider", c.case_id())) EXPECT_TRUE(l.person_id().empty());
  EXPECT_EQ(Lines("provider", c.case_id()).size(), lines.size());
  EXPECT_TRUE(Lines("provider2", c.case_id()).empty());
  // The report: all of it paid to the one provider, basic vs result shares.
  v1::GetPaymentReportRequest report;
  *report.mutable_period()->mutable_start() = D(2026, 1, 1);
  *report.mutable_period()->mutable_end() = D(2026, 12, 31);
  v1::GetPaymentReportResponse rep;
  ASSERT_TRUE(Invoke(Comp("eo"), &CStub::GetPaymentReport, report, &rep).ok());
  ASSERT_EQ(rep.providers_size(), 1);
  const int64_t basic = 2 * kTariff.at(v1::PAYMENT_COMPONENT_BASIC)[level];
  EXPECT_NEAR(rep.providers(0).basic_share(), static_cast<double>(basic) / sum, 1e-9);
}

TEST_F(CompensationTest, TwoConcurrentSettlementsWithOneRequestIdSettleOnceAndAnswerAlike) {
  Start();
  StandardProviders();
  v1::Case c = PathToVerification(",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no");
  ASSERT_EQ(c.state(), v1::CASE_STATE_RESULT_VERIFIED);
  v1::SettleMonthRequest settle;
  settle.set_request_id("settle-2026-09");
  settle.mutable_month()->set_year(2026);
  settle.mutable_month()->set_month(9);
  // Two calls at once (as a retry racing the first attempt), each on its own channel.
  auto stub_a = v1::CompensationService::NewStub(
      testing::Pki::Channel(replicas_[0].host->port(), pki_->ClientCredentials("admin")));
  auto stub_b = v1::CompensationService::NewStub(
      testing::Pki::Channel(replicas_[0].host->port(), pki_->ClientCredentials("admin")));
  auto call = [&](CStub* stub) {
    v1::SettleMonthResponse resp;
    grpc::Status s = Invoke(stub, &CStub::SettleMonth, settle, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  auto a = std::async(std::launch::async, call, stub_a.get());
  auto b = std::async(std::launch::async, call, stub_b.get());
  const v1::SettleMonthResponse first = a.get(), second = b.get();
  ASSERT_EQ(first.statements_size(), 1);
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(first.lines_settled(), 6);
  // One settlement: one statement of the month, every line in it once.
  v1::ListStatementsRequest list;
  list.set_organisation_number(kProviderOrg);
  v1::ListStatementsResponse listed;
  ASSERT_TRUE(Invoke(Comp("admin"), &CStub::ListStatements, list, &listed).ok());
  ASSERT_EQ(listed.statements_size(), 1);
  EXPECT_EQ(listed.statements(0).statement_id(), first.statements(0).statement_id());
  EXPECT_EQ(static_cast<int64_t>(Lines("eo", c.case_id(), first.statements(0).statement_id()).size()),
            first.lines_settled());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_PAID);
  // A later repeat gets the same answer; the id for another request is refused.
  EXPECT_EQ(call(Comp("admin")).SerializeAsString(), first.SerializeAsString());
  v1::SettleMonthRequest other = settle;
  other.mutable_month()->set_month(8);
  v1::SettleMonthResponse refused;
  EXPECT_EQ(Invoke(Comp("admin"), &CStub::SettleMonth, other, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CompensationTest, AResultThatFailsVerificationPaysNothingForTheResult) {
  Start();
  StandardProviders();
  v1::Case c = PathToVerification(",5560743089,Volvo Personvagnar AB,2026-05-15,2026-07-31,100,no");
  ASSERT_EQ(c.state(), v1::CASE_STATE_ENDED);
  ASSERT_TRUE(replicas_[0].compensation->RunEngine().ok());
  for (const auto& l : Lines("eo", c.case_id())) {
    EXPECT_TRUE(l.component() == v1::PAYMENT_COMPONENT_BASIC || l.component() == v1::PAYMENT_COMPONENT_INTERPRETER)
        << l.idempotency_key();
  }
  EXPECT_EQ(Lines("eo", c.case_id()).size(), 3u);  // March, April, March's interpreter hours
}

}  // namespace
}  // namespace rusta::referral
