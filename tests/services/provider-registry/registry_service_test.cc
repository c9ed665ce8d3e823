// The provider registry over gRPC with mutual TLS, a real Redis and the real municipality files
// (../shared/data): municipalities and postal codes, the provider lifecycle with admission checks,
// delivery areas, contracts and offices, the choice search against an independent computation,
// white spots, the proximity rule with ties and capacity, ratings, follow-up (complaints,
// sanctions, the risk-based queue), access per role and the audit trail.
//
// Every expected value is computed here from the test's own data (own Luhn, own haversine, own
// CSV reading, own filtering and ordering), never copied from the service's answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "google/protobuf/util/message_differencer.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/lua/common_library.h"
#include "common/server/audit_handler.h"
#include "common/server/clock.h"
#include "common/server/service_host.h"
#include "rusta/v1/audit_service.grpc.pb.h"
#include "rusta/v1/provider_registry.grpc.pb.h"
#include "services/provider-registry/reference_data.h"
#include "services/provider-registry/registry_handler.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_host.h"

namespace rusta::lua {
const redis::FunctionLibrary& RegistryLibrary();
}

namespace rusta::registry {
namespace {

namespace v1 = rusta::v1;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using Stub = v1::ProviderRegistryService::Stub;

// ---------------------------------------------------------------------------------------------
// Independent helpers.
// ---------------------------------------------------------------------------------------------

// An organisationsnummer from 9 leading digits: Luhn check digit computed here (weights 2,1,2,...).
std::string Org(const std::string& nine) {
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    int d = (nine[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return absl::StrCat(nine, (10 - sum % 10) % 10);
}

constexpr char kProviderOrg[] = "5560360793";  // the `provider` certificate's organisation

v1::Date D(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

// Great-circle distance in metres (haversine in atan2 form, IUGG mean radius).
double Haversine(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kR = 6371008.8;
  const double rad = M_PI / 180.0;
  const double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
  const double a = std::pow(std::sin(dlat / 2), 2) +
                   std::cos(lat1 * rad) * std::cos(lat2 * rad) * std::pow(std::sin(dlon / 2), 2);
  return kR * 2 * std::atan2(std::sqrt(a), std::sqrt(1 - a));
}

// A headed CSV of the shared data directory, as rows of named columns.
std::vector<std::map<std::string, std::string>> ReadCsv(const std::string& name) {
  std::ifstream in(std::string(RUSTA_SHARED_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::string> header;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (header.empty()) {
      if (f[0].rfind("\xEF\xBB\xBF", 0) == 0) f[0] = f[0].substr(3);
      header = f;
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = f[i];
    rows.push_back(row);
  }
  return rows;
}

struct Point {
  double lat = 0, lon = 0;
};

std::map<std::string, Point> MunicipalityPoints() {
  std::map<std::string, Point> out;
  for (auto& row : ReadCsv("municipality_coordinates.csv")) {
    Point p;
    EXPECT_TRUE(absl::SimpleAtod(row["latitude"], &p.lat) && absl::SimpleAtod(row["longitude"], &p.lon));
    out[row["municipality_code"]] = p;
  }
  return out;
}

std::vector<std::string> CountyMunicipalities(const std::string& county) {
  std::vector<std::string> out;
  for (auto& row : ReadCsv("municipalities.csv")) {
    if (row["county_code"] == county) out.push_back(row["municipality_code"]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The test's own model of a provider, for the independent choice search.
struct ModelContract {
  std::set<std::string> codes;
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;
  bool ActiveOn(absl::CivilDay d) const { return start <= d && (!end || d <= *end); }
};
struct ModelProvider {
  std::string org;
  std::string name;
  bool approved = true;
  std::set<std::string> languages;
  bool remote = false;
  std::vector<ModelContract> contracts;
  std::vector<Point> offices;
  int stars = 0;  // 0 = unrated
};
struct Expected {
  std::string org;
  double distance = std::numeric_limits<double>::infinity();  // infinity without an office
};

enum class Order { kDistance, kRating };

std::vector<Expected> ExpectedSearch(const std::vector<ModelProvider>& model, const std::string& code, Point home,
                                     absl::CivilDay day, const std::vector<std::string>& languages,
                                     std::optional<bool> remote, Order order = Order::kDistance) {
  std::vector<std::pair<Expected, int>> rows;
  for (const ModelProvider& p : model) {
    if (!p.approved) continue;
    bool covered = false;
    for (const ModelContract& c : p.contracts) covered = covered || (c.ActiveOn(day) && c.codes.count(code) > 0);
    if (!covered) continue;
    bool langs = true;
    for (const auto& l : languages) langs = langs && p.languages.count(l) > 0;
    if (!langs) continue;
    if (remote && p.remote != *remote) continue;
    Expected e{p.org};
    for (const Point& o : p.offices) e.distance = std::min(e.distance, Haversine(home.lat, home.lon, o.lat, o.lon));
    rows.push_back({e, p.stars});
  }
  std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    if (order == Order::kRating) {
      if ((a.second > 0) != (b.second > 0)) return a.second > 0;
      if (a.second != b.second) return a.second > b.second;
    }
    if (a.first.distance != b.first.distance) return a.first.distance < b.first.distance;
    return a.first.org < b.first.org;
  });
  std::vector<Expected> out;
  for (auto& r : rows) out.push_back(r.first);
  return out;
}

void ExpectSameResults(const std::vector<Expected>& expected, const std::vector<v1::ProviderSearchResult>& got,
                       const std::string& what) {
  std::vector<std::string> want_orgs, got_orgs;
  for (const auto& e : expected) want_orgs.push_back(e.org);
  for (const auto& r : got) got_orgs.push_back(r.organisation_number());
  ASSERT_THAT(got_orgs, ElementsAreArray(want_orgs)) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::isinf(expected[i].distance)) {
      EXPECT_FALSE(got[i].has_nearest_office()) << what << " " << expected[i].org;
    } else {
      EXPECT_TRUE(got[i].has_nearest_office()) << what << " " << expected[i].org;
      EXPECT_NEAR(static_cast<double>(got[i].nearest_office_distance_m()), expected[i].distance, 1.0)
          << what << " " << expected[i].org;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The fixture: the registry and the audit service in-process on a real Redis.
// ---------------------------------------------------------------------------------------------

class RegistryServiceTest : public ::testing::Test {
 protected:
  RegistryServiceTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2025, 9, 15, 10, 0, 0), absl::UTCTimeZone())),
        provider2_org_(Org("556677881")) {}

  void SetUp() override {
    pki_.AddClient("pfu", "spiffe://rusta.local/provider-follow-up/pf-1");
    pki_.AddClient("eo", "spiffe://rusta.local/employment-officer/eo-1");
    pki_.AddClient("auditor", "spiffe://rusta.local/auditor/au-1");
    pki_.AddClient("provider2", "spiffe://rusta.local/provider/" + provider2_org_);
    ASSERT_EQ(Org("556036079"), kProviderOrg);  // the dev PKI's provider is a valid organisation
    config::ConfigParser parser({}, {});
    RegistryConfig config = ReadRegistryConfig(parser);
    auto reference = LoadReferenceData(RUSTA_SHARED_DATA_DIR);
    ASSERT_TRUE(reference.ok()) << reference.status();
    redis::FunctionRegistry functions;
    functions.Add(lua::CommonLibrary());
    functions.Add(lua::RegistryLibrary());
    host_ = std::make_unique<server::ServiceHost>(testing::TestServerConfig(pki_, redis_, "provider-registry"),
                                                  functions);
    host_->SetClock(&clock_);
    handler_ = std::make_unique<RegistryHandler>(*host_, config, std::move(*reference));
    audit_ = std::make_unique<server::AuditHandler>(*host_);
    host_->AddService(handler_.get(), "rusta.v1.ProviderRegistryService");
    host_->AddService(audit_.get(), "rusta.v1.AuditService");
    ASSERT_TRUE(host_->Start().ok());
    redis::RedisConnection conn(redis_.options());
    ASSERT_TRUE(handler_->LoadMunicipalities(conn).ok());
    points_ = MunicipalityPoints();
  }

  Stub* As(const std::string& who) {
    auto& stub = stubs_[who];
    if (!stub) stub = v1::ProviderRegistryService::NewStub(
                   testing::Pki::Channel(host_->port(), pki_.ClientCredentials(who)));
    return stub.get();
  }

  template <typename Req, typename Resp>
  grpc::Status Call(const std::string& who, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return (As(who)->*method)(&ctx, req, resp);
  }

  // A status-only call (the response is thrown away).
  template <typename Req, typename Resp>
  grpc::Status Try(const std::string& who, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                   const Req& req) {
    Resp resp;
    return Call(who, method, req, &resp);
  }

  std::string Rid() { return absl::StrCat("rid-", ++counter_); }

  static v1::ApplyProviderRequest ApplyReq(const std::string& org, const std::string& name,
                                           std::vector<std::string> languages = {"sv"}, bool remote = false,
                                           int references = 2, int credit = 75, bool remarks = false,
                                           bool statement = false) {
    v1::ApplyProviderRequest req;
    req.set_organisation_number(org);
    v1::ProviderProfile* p = req.mutable_profile();
    p->set_name(name);
    p->set_sector(v1::PROVIDER_SECTOR_EDUCATION);
    p->set_description(absl::StrCat(name, " rustar och matchar"));
    for (const auto& l : languages) p->add_languages(l);
    p->set_remote_delivery(remote);
    p->set_contact_mailbox("rom@leverantor.se");
    v1::AdmissionCheck* a = req.mutable_admission();
    for (int i = 0; i < references; ++i) {
      v1::ReferenceAssignment* r = a->add_references();
      r->set_client_name(absl::StrCat("Uppdragsgivare ", i));
      r->set_description("matchning");
      *r->mutable_period()->mutable_start() = D(2022, 1, 1);
      *r->mutable_period()->mutable_end() = D(2023, 12, 31);
      r->set_contact("registrator@kommun.se");
    }
    a->set_credit_rating(credit);
    a->set_payment_remarks(remarks);
    a->set_auditor_statement_provided(statement);
    if (statement) a->set_auditor_statement_ref("doc-revisorsintyg-1");
    return req;
  }

  v1::Provider MustApply(v1::ApplyProviderRequest req, const std::string& who = "admin") {
    req.set_request_id(Rid());
    v1::ApplyProviderResponse resp;
    grpc::Status s = Call(who, &Stub::ApplyProvider, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.provider();
  }

  v1::Provider MustApprove(const std::string& org, std::optional<v1::Date> effective = std::nullopt) {
    v1::ApproveProviderRequest req;
    req.set_request_id(Rid());
    req.set_organisation_number(org);
    req.set_reason("kvalificeringskraven uppfyllda");
    if (effective) *req.mutable_effective_date() = *effective;
    v1::ApproveProviderResponse resp;
    grpc::Status s = Call("admin", &Stub::ApproveProvider, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.provider();
  }

  v1::Provider MustSuspend(const std::string& org) {
    v1::SuspendProviderRequest req;
    req.set_request_id(Rid());
    req.set_organisation_number(org);
    req.set_reason("utredning");
    v1::SuspendProviderResponse resp;
    grpc::Status s = Call("admin", &Stub::SuspendProvider, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.provider();
  }

  std::string MustArea(const std::string& name, const std::vector<std::string>& codes) {
    v1::CreateDeliveryAreaRequest req;
    req.set_request_id(Rid());
    req.set_name(name);
    for (const auto& c : codes) req.add_municipality_codes(c);
    v1::CreateDeliveryAreaResponse resp;
    grpc::Status s = Call("admin", &Stub::CreateDeliveryArea, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.area().area_id();
  }

  grpc::Status Contract(const std::string& org, const std::string& area, v1::Date start,
                        std::optional<v1::Date> end = std::nullopt, int capacity = 0,
                        v1::Contract* out = nullptr) {
    v1::CreateContractRequest req;
    req.set_request_id(Rid());
    req.set_organisation_number(org);
    req.set_area_id(area);
    *req.mutable_period()->mutable_start() = start;
    if (end) *req.mutable_period()->mutable_end() = *end;
    req.set_default_assignment_capacity(capacity);
    v1::CreateContractResponse resp;
    grpc::Status s = Call("admin", &Stub::CreateContract, req, &resp);
    if (out) *out = resp.contract();
    return s;
  }

  void MustContract(const std::string& org, const std::string& area, v1::Date start,
                    std::optional<v1::Date> end = std::nullopt, int capacity = 0) {
    grpc::Status s = Contract(org, area, start, end, capacity);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  v1::AddOfficeRequest OfficeReq(const std::string& org, const std::string& postal, double lat, double lon) {
    v1::AddOfficeRequest req;
    req.set_request_id(Rid());
    req.set_organisation_number(org);
    req.set_name(absl::StrCat("Kontor ", postal));
    req.mutable_address()->set_street("Storgatan 1");
    req.mutable_address()->set_postal_code(postal);
    req.mutable_location()->set_latitude(lat);
    req.mutable_location()->set_longitude(lon);
    return req;
  }

  v1::Office MustOffice(const std::string& org, const std::string& postal, double lat, double lon,
                        const std::string& who = "admin") {
    v1::AddOfficeResponse resp;
    grpc::Status s = Call(who, &Stub::AddOffice, OfficeReq(org, postal, lat, lon), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.office();
  }

  // Creates the model's providers through the API (admin), with their status, contracts and
  // offices. Areas are created once per distinct municipality set.
  void Build(const std::vector<ModelProvider>& model) {
    for (const ModelProvider& p : model) {
      MustApply(ApplyReq(p.org, p.name, {p.languages.begin(), p.languages.end()}, p.remote));
      for (const ModelContract& c : p.contracts) {
        std::string key = absl::StrJoin(c.codes, "+");
        if (areas_.count(key) == 0) areas_[key] = MustArea("Område " + key, {c.codes.begin(), c.codes.end()});
        std::optional<v1::Date> end;
        if (c.end) end = D(static_cast<int>(c.end->year()), c.end->month(), c.end->day());
        MustContract(p.org, areas_[key], D(static_cast<int>(c.start.year()), c.start.month(), c.start.day()), end);
      }
      for (const Point& o : p.offices) MustOffice(p.org, "41301", o.lat, o.lon);
    }
  }

  v1::SearchProvidersResponse Search(v1::SearchProvidersRequest req, const std::string& who = "caseworker") {
    v1::SearchProvidersResponse resp;
    grpc::Status s = Call(who, &Stub::SearchProviders, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  static v1::SearchProvidersRequest SearchIn(const std::string& code, v1::SearchOrder order = v1::SEARCH_ORDER_DISTANCE) {
    v1::SearchProvidersRequest req;
    req.mutable_home()->set_municipality_code(code);
    req.set_order(order);
    return req;
  }

  static std::vector<v1::ProviderSearchResult> Rows(const v1::SearchProvidersResponse& r) {
    return {r.results().begin(), r.results().end()};
  }

  std::vector<std::string> WhiteSpots(const std::string& county, std::optional<v1::Date> as_of = std::nullopt) {
    std::vector<std::string> out;
    v1::ListWhiteSpotsRequest req;
    req.set_county_code(county);
    req.set_page_size(7);
    if (as_of) *req.mutable_as_of() = *as_of;
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListWhiteSpotsResponse resp;
      grpc::Status s = Call("municipality", &Stub::ListWhiteSpots, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      for (const auto& m : resp.municipalities()) out.push_back(m.code());
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  grpc::Status Nearest(const std::string& who, const std::string& code, bool reserve, const std::string& case_id,
                       const std::string& request_id, v1::FindNearestProviderResponse* resp,
                       std::vector<std::string> exclude = {}) {
    v1::FindNearestProviderRequest req;
    req.set_request_id(request_id);
    req.mutable_home()->set_municipality_code(code);
    req.set_reserve_capacity(reserve);
    req.set_case_id(case_id);
    for (const auto& e : exclude) req.add_exclude_organisation_numbers(e);
    return Call(who, &Stub::FindNearestProvider, req, resp);
  }

  v1::Provider Get(const std::string& org, const std::string& who = "admin") {
    v1::GetProviderRequest req;
    req.set_organisation_number(org);
    v1::GetProviderResponse resp;
    grpc::Status s = Call(who, &Stub::GetProvider, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.provider();
  }

  int64_t AuditEvents() {
    redis::RedisConnection c(redis_.options());
    auto n = c.Command({"XLEN", host_->audit().events_key()});
    return n.ok() ? n->integer : -1;
  }

  testing::RedisServer redis_;
  testing::Pki pki_;
  server::ManualClock clock_;
  std::string provider2_org_;
  std::unique_ptr<server::ServiceHost> host_;
  std::unique_ptr<RegistryHandler> handler_;
  std::unique_ptr<server::AuditHandler> audit_;
  std::map<std::string, std::unique_ptr<Stub>> stubs_;
  std::map<std::string, std::string> areas_;  // by joined municipality codes
  std::map<std::string, Point> points_;
  int counter_ = 0;
};

const absl::CivilDay kToday(2025, 9, 15);

// ---------------------------------------------------------------------------------------------
// Municipalities and postal codes.
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, MunicipalitiesAreLoadedFromTheRealFiles) {
  const auto rows = ReadCsv("municipalities.csv");
  ASSERT_EQ(rows.size(), 290u);
  v1::ListMunicipalitiesRequest req;
  req.set_page_size(1000);
  v1::ListMunicipalitiesResponse all;
  ASSERT_TRUE(Call("caseworker", &Stub::ListMunicipalities, req, &all).ok());
  EXPECT_EQ(all.total_loaded(), 290);
  ASSERT_EQ(all.municipalities_size(), 290);
  std::set<std::string> codes;
  for (const auto& m : all.municipalities()) codes.insert(m.code());
  for (const auto& row : rows) EXPECT_EQ(codes.count(row.at("municipality_code")), 1u) << row.at("municipality_code");

  // Göteborg as the files say.
  for (const auto& m : all.municipalities()) {
    if (m.code() != "1480") continue;
    EXPECT_EQ(m.name(), "Göteborgs kommun");
    EXPECT_EQ(m.short_name(), "Göteborg");
    EXPECT_EQ(m.county_code(), "14");
    EXPECT_EQ(m.county_name(), "Västra Götalands län");
    EXPECT_NEAR(m.location().latitude(), points_["1480"].lat, 1e-9);
    EXPECT_NEAR(m.location().longitude(), points_["1480"].lon, 1e-9);
  }

  // County filter, paged.
  std::vector<std::string> county14;
  v1::ListMunicipalitiesRequest by_county;
  by_county.set_county_code("14");
  by_county.set_page_size(10);
  for (int guard = 0; guard < 20; ++guard) {
    v1::ListMunicipalitiesResponse page;
    ASSERT_TRUE(Call("municipality", &Stub::ListMunicipalities, by_county, &page).ok());
    EXPECT_EQ(page.total_loaded(), 290);
    for (const auto& m : page.municipalities()) {
      EXPECT_EQ(m.county_code(), "14");
      county14.push_back(m.code());
    }
    if (page.next_page_token().empty()) break;
    by_county.set_page_token(page.next_page_token());
  }
  std::sort(county14.begin(), county14.end());
  EXPECT_THAT(county14, ElementsAreArray(CountyMunicipalities("14")));
  EXPECT_EQ(county14.size(), 49u);

  v1::ListMunicipalitiesRequest bad;
  bad.set_county_code("99");
  EXPECT_EQ(Try("caseworker", &Stub::ListMunicipalities, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A second LoadMunicipalities (a restart) adds nothing.
  redis::RedisConnection conn(redis_.options());
  ASSERT_TRUE(handler_->LoadMunicipalities(conn).ok());
  v1::ListMunicipalitiesResponse again;
  ASSERT_TRUE(Call("caseworker", &Stub::ListMunicipalities, v1::ListMunicipalitiesRequest(), &again).ok());
  EXPECT_EQ(again.total_loaded(), 290);
}

TEST_F(RegistryServiceTest, PostalCodesResolveToTheirMunicipality) {
  v1::LookupPostalCodeRequest req;
  req.set_postal_code("41301");
  v1::LookupPostalCodeResponse resp;
  ASSERT_TRUE(Call("municipality", &Stub::LookupPostalCode, req, &resp).ok());
  EXPECT_EQ(resp.postal_code(), "41301");
  EXPECT_EQ(resp.locality(), "Göteborg");
  EXPECT_EQ(resp.municipality().code(), "1480");
  EXPECT_EQ(resp.municipality().name(), "Göteborgs kommun");
  EXPECT_EQ(resp.municipality().county_code(), "14");

  req.set_postal_code("434 30");  // one space allowed
  ASSERT_TRUE(Call("caseworker", &Stub::LookupPostalCode, req, &resp).ok());
  EXPECT_EQ(resp.postal_code(), "43430");
  EXPECT_EQ(resp.municipality().code(), "1384");

  // Unknown: a well-formed code the file does not have.
  std::set<std::string> known;
  for (auto& row : ReadCsv("postal_to_municipality.csv")) known.insert(row["postal_code"]);
  std::string unknown;
  for (int n = 99999; n > 10000 && unknown.empty(); --n) {
    if (known.count(absl::StrCat(n)) == 0) unknown = absl::StrCat(n);
  }
  req.set_postal_code(unknown);
  grpc::Status s = Call("caseworker", &Stub::LookupPostalCode, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << unknown;

  for (const char* bad : {"4130", "413011", "abcde", "01234", "41-301", ""}) {
    req.set_postal_code(bad);
    s = Call("caseworker", &Stub::LookupPostalCode, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("postal_code")) << bad;
  }
}

TEST_F(RegistryServiceTest, AddMunicipalityIsForAdminsAndValidated) {
  v1::AddMunicipalityRequest req;
  req.set_request_id(Rid());
  v1::Municipality* m = req.mutable_municipality();
  m->set_code("1480");
  m->set_name("Göteborgs kommun");
  m->set_short_name("Göteborg");
  m->set_county_code("14");
  m->set_county_name("Västra Götalands län");
  m->mutable_location()->set_latitude(57.70723);
  m->mutable_location()->set_longitude(11.96702);
  EXPECT_EQ(Try("caseworker", &Stub::AddMunicipality, req).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("provider", &Stub::AddMunicipality, req).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Try("admin", &Stub::AddMunicipality, req).ok());
  v1::AddMunicipalityRequest outside = req;
  outside.set_request_id(Rid());
  outside.mutable_municipality()->mutable_location()->set_latitude(48.85);
  outside.mutable_municipality()->mutable_location()->set_longitude(2.35);
  grpc::Status s = Try("admin", &Stub::AddMunicipality, outside);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("location"));
  v1::ListMunicipalitiesResponse all;
  ASSERT_TRUE(Call("caseworker", &Stub::ListMunicipalities, v1::ListMunicipalitiesRequest(), &all).ok());
  EXPECT_EQ(all.total_loaded(), 290);  // replaced, not added
}

// ---------------------------------------------------------------------------------------------
// Providers: application, admission, lifecycle.
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, ApplicationRecordsTheAdmissionChecks) {
  struct Case {
    std::string nine;
    int references, credit;
    bool remarks, statement;
    v1::AdmissionCheckResult want;
  };
  const std::vector<Case> cases = {
      {"556100001", 2, 40, false, false, v1::ADMISSION_CHECK_RESULT_PASSED},
      {"556100002", 2, 39, false, false, v1::ADMISSION_CHECK_RESULT_NEEDS_AUDITOR_STATEMENT},
      {"556100003", 2, 39, false, true, v1::ADMISSION_CHECK_RESULT_PASSED},
      {"556100004", 2, 90, true, false, v1::ADMISSION_CHECK_RESULT_NEEDS_AUDITOR_STATEMENT},
      {"556100005", 2, 90, true, true, v1::ADMISSION_CHECK_RESULT_PASSED},
      {"556100006", 1, 90, false, false, v1::ADMISSION_CHECK_RESULT_INSUFFICIENT_REFERENCES},
      {"556100007", 0, 20, true, false, v1::ADMISSION_CHECK_RESULT_INSUFFICIENT_REFERENCES},
      {"556100008", 5, 100, false, false, v1::ADMISSION_CHECK_RESULT_PASSED},
  };
  for (const Case& c : cases) {
    const std::string org = Org(c.nine);
    v1::Provider p = MustApply(ApplyReq(org, "Leverantör " + c.nine, {"sv"}, false, c.references, c.credit,
                                        c.remarks, c.statement));
    EXPECT_EQ(p.organisation_number(), org);
    EXPECT_EQ(p.status(), v1::PROVIDER_STATUS_APPLIED);
    EXPECT_EQ(p.version(), 1);
    EXPECT_EQ(p.admission().result(), c.want) << c.nine;
    EXPECT_FALSE(p.admission().rule_version().empty());
    EXPECT_EQ(p.admission().references_size(), c.references);
    EXPECT_EQ(p.admission().credit_rating(), c.credit);
    EXPECT_TRUE(p.has_created_at());
  }

  // Approval is refused while the admission has not passed; nothing changes.
  for (const char* nine : {"556100002", "556100006"}) {
    v1::ApproveProviderRequest req;
    req.set_request_id(Rid());
    req.set_organisation_number(Org(nine));
    grpc::Status s = Try("admin", &Stub::ApproveProvider, req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << nine;
    EXPECT_THAT(s.error_message(), HasSubstr("admission")) << nine;
    EXPECT_EQ(Get(Org(nine)).status(), v1::PROVIDER_STATUS_APPLIED);
    EXPECT_EQ(Get(Org(nine)).version(), 1);
  }
  v1::Provider approved = MustApprove(Org("556100001"));
  EXPECT_EQ(approved.status(), v1::PROVIDER_STATUS_APPROVED);
}

TEST_F(RegistryServiceTest, BadApplicationsAreRefusedNamingTheField) {
  // Invalid organisation numbers: bad check digit, personnummer-like third digit, wrong length.
  const std::string good = Org("556200001");
  std::string bad_luhn = good;
  bad_luhn[9] = static_cast<char>('0' + (good[9] - '0' + 1) % 10);
  const std::string person_like = Org("800101123");  // valid Luhn, third digit 0 (a month)
  for (const std::string& org : {bad_luhn, person_like, std::string("55603607"), std::string("55603607931"),
                                 std::string("556036079x"), std::string("")}) {
    v1::ApplyProviderRequest req = ApplyReq(org, "Fel AB");
    req.set_request_id(Rid());
    grpc::Status s = Try("admin", &Stub::ApplyProvider, req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << org;
    EXPECT_THAT(s.error_message(), HasSubstr("organisation_number")) << org;
  }
  // Dashed form is accepted and normalised.
  v1::Provider dashed = MustApply(ApplyReq(good.substr(0, 6) + "-" + good.substr(6), "Streck AB"));
  EXPECT_EQ(dashed.organisation_number(), good);

  // Duplicate application.
  v1::ApplyProviderRequest dup = ApplyReq(good, "Streck AB igen");
  dup.set_request_id(Rid());
  EXPECT_EQ(Try("admin", &Stub::ApplyProvider, dup).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  // Missing or malformed parts.
  const std::string org = Org("556200002");
  auto expect_invalid = [&](v1::ApplyProviderRequest req, const std::string& field) {
    req.set_request_id(Rid());
    grpc::Status s = Try("admin", &Stub::ApplyProvider, req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(s.error_message(), HasSubstr(field));
  };
  v1::ApplyProviderRequest r = ApplyReq(org, "");
  expect_invalid(r, "profile.name");
  r = ApplyReq(org, "X AB");
  r.mutable_profile()->set_sector(v1::PROVIDER_SECTOR_UNSPECIFIED);
  expect_invalid(r, "profile.sector");
  r = ApplyReq(org, "X AB");
  r.mutable_profile()->set_contact_mailbox("inte-en-adress");
  expect_invalid(r, "profile.contact_mailbox");
  r = ApplyReq(org, "X AB", {"Swedish"});
  expect_invalid(r, "profile.languages");
  r = ApplyReq(org, "X AB", {"sv"}, false, 2, 101);
  expect_invalid(r, "admission.credit_rating");
  r = ApplyReq(org, "X AB", {"sv"}, false, 2, 30, false, true);
  r.mutable_admission()->clear_auditor_statement_ref();
  expect_invalid(r, "admission.auditor_statement_ref");
  r = ApplyReq(org, "X AB");
  r.clear_admission();
  expect_invalid(r, "admission");
  r = ApplyReq(org, "X AB");
  r.clear_profile();
  expect_invalid(r, "profile");
  // Missing request_id.
  r = ApplyReq(org, "X AB");
  grpc::Status s = Try("admin", &Stub::ApplyProvider, r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
  // None of it created the provider.
  v1::GetProviderRequest get;
  get.set_organisation_number(org);
  EXPECT_EQ(Try("admin", &Stub::GetProvider, get).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RegistryServiceTest, LifecycleEndToEndWithVersionsAndIdempotency) {
  const std::string org = Org("556300001");
  v1::Provider p = MustApply(ApplyReq(org, "Livscykel AB"));
  ASSERT_EQ(p.version(), 1);

  // Approve with a stale version: ABORTED, nothing changed.
  v1::ApproveProviderRequest approve;
  approve.set_request_id(Rid());
  approve.set_organisation_number(org);
  approve.set_expected_version(7);
  grpc::Status s = Try("admin", &Stub::ApproveProvider, approve);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Get(org).version(), 1);

  approve.set_expected_version(1);
  *approve.mutable_effective_date() = D(2025, 9, 1);
  v1::ApproveProviderResponse approved;
  ASSERT_TRUE(Call("admin", &Stub::ApproveProvider, approve, &approved).ok());
  EXPECT_EQ(approved.provider().status(), v1::PROVIDER_STATUS_APPROVED);
  EXPECT_EQ(approved.provider().version(), 2);
  EXPECT_EQ(approved.provider().approved_since().year(), 2025);
  EXPECT_EQ(approved.provider().approved_since().month(), 9);
  EXPECT_EQ(approved.provider().approved_since().day(), 1);
  ASSERT_EQ(approved.provider().status_history_size(), 1);
  EXPECT_EQ(approved.provider().status_history(0).from_status(), v1::PROVIDER_STATUS_APPLIED);
  EXPECT_EQ(approved.provider().status_history(0).to_status(), v1::PROVIDER_STATUS_APPROVED);
  EXPECT_EQ(approved.provider().status_history(0).actor().id(), "spiffe://rusta.local/admin/admin-0001");

  // The same request_id again: the same provider, the version unchanged, no second audit event.
  const int64_t events = AuditEvents();
  v1::ApproveProviderResponse repeat;
  ASSERT_TRUE(Call("admin", &Stub::ApproveProvider, approve, &repeat).ok());
  EXPECT_EQ(repeat.provider().version(), 2);
  EXPECT_EQ(repeat.provider().status(), v1::PROVIDER_STATUS_APPROVED);
  EXPECT_EQ(repeat.provider().status_history_size(), 1);
  EXPECT_EQ(AuditEvents(), events);
  // The same request_id with another body: refused.
  v1::ApproveProviderRequest other = approve;
  other.set_reason("annat");
  s = Try("admin", &Stub::ApproveProvider, other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));

  // Suspend needs a reason; pfu may suspend and reinstate.
  v1::SuspendProviderRequest suspend;
  suspend.set_request_id(Rid());
  suspend.set_organisation_number(org);
  s = Try("pfu", &Stub::SuspendProvider, suspend);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("reason"));
  suspend.set_reason("allvarliga brister");
  suspend.set_expected_version(2);
  v1::SuspendProviderResponse suspended;
  ASSERT_TRUE(Call("pfu", &Stub::SuspendProvider, suspend, &suspended).ok());
  EXPECT_EQ(suspended.provider().status(), v1::PROVIDER_STATUS_SUSPENDED);
  EXPECT_EQ(suspended.provider().version(), 3);
  // A stale version on the next step.
  v1::ReinstateProviderRequest reinstate;
  reinstate.set_request_id(Rid());
  reinstate.set_organisation_number(org);
  reinstate.set_reason("åtgärdat");
  reinstate.set_expected_version(2);
  EXPECT_EQ(Try("pfu", &Stub::ReinstateProvider, reinstate).error_code(), grpc::StatusCode::ABORTED);
  reinstate.set_expected_version(3);
  v1::ReinstateProviderResponse reinstated;
  ASSERT_TRUE(Call("pfu", &Stub::ReinstateProvider, reinstate, &reinstated).ok());
  EXPECT_EQ(reinstated.provider().status(), v1::PROVIDER_STATUS_APPROVED);
  EXPECT_EQ(reinstated.provider().version(), 4);

  // Terminate with reason and date.
  v1::TerminateProviderRequest terminate;
  terminate.set_request_id(Rid());
  terminate.set_organisation_number(org);
  terminate.set_reason("hävning");
  *terminate.mutable_effective_date() = D(2025, 9, 30);
  v1::TerminateProviderResponse terminated;
  ASSERT_TRUE(Call("admin", &Stub::TerminateProvider, terminate, &terminated).ok());
  EXPECT_EQ(terminated.provider().status(), v1::PROVIDER_STATUS_TERMINATED);
  EXPECT_EQ(terminated.provider().terminated_on().day(), 30);
  EXPECT_EQ(terminated.provider().status_history_size(), 4);
  EXPECT_EQ(terminated.provider().version(), 5);

  // Nothing leaves TERMINATED.
  auto expect_lifecycle = [&](grpc::Status st, const std::string& what) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << what;
    EXPECT_THAT(st.error_message(), HasSubstr("provider.lifecycle")) << what;
  };
  approve.set_request_id(Rid());
  approve.set_expected_version(0);
  expect_lifecycle(Try("admin", &Stub::ApproveProvider, approve), "approve terminated");
  suspend.set_request_id(Rid());
  suspend.set_expected_version(0);
  expect_lifecycle(Try("admin", &Stub::SuspendProvider, suspend), "suspend terminated");
  reinstate.set_request_id(Rid());
  reinstate.set_expected_version(0);
  expect_lifecycle(Try("admin", &Stub::ReinstateProvider, reinstate), "reinstate terminated");
  terminate.set_request_id(Rid());
  expect_lifecycle(Try("admin", &Stub::TerminateProvider, terminate), "terminate terminated");
  v1::RejectProviderRequest reject;
  reject.set_request_id(Rid());
  reject.set_organisation_number(org);
  reject.set_reason("nej");
  expect_lifecycle(Try("admin", &Stub::RejectProvider, reject), "reject terminated");
  EXPECT_EQ(Get(org).version(), 5);

  // Unknown provider.
  approve.set_request_id(Rid());
  approve.set_organisation_number(Org("556300099"));
  EXPECT_EQ(Try("admin", &Stub::ApproveProvider, approve).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RegistryServiceTest, DisallowedTransitionsNameTheLifecycleRule) {
  const std::string applied = Org("556300011"), approved = Org("556300012"), rejected = Org("556300013"),
                    suspended = Org("556300014");
  for (const auto& org : {applied, approved, rejected, suspended}) MustApply(ApplyReq(org, "T " + org));
  MustApprove(approved);
  MustApprove(suspended);
  MustSuspend(suspended);
  v1::RejectProviderRequest reject;
  reject.set_request_id(Rid());
  reject.set_organisation_number(rejected);
  reject.set_reason("referenser saknas");
  ASSERT_TRUE(Try("admin", &Stub::RejectProvider, reject).ok());

  auto suspend = [&](const std::string& org) {
    v1::SuspendProviderRequest r;
    r.set_request_id(Rid());
    r.set_organisation_number(org);
    r.set_reason("x");
    return Try("admin", &Stub::SuspendProvider, r);
  };
  auto reject_ = [&](const std::string& org) {
    v1::RejectProviderRequest r;
    r.set_request_id(Rid());
    r.set_organisation_number(org);
    r.set_reason("x");
    return Try("admin", &Stub::RejectProvider, r);
  };
  auto approve = [&](const std::string& org) {
    v1::ApproveProviderRequest r;
    r.set_request_id(Rid());
    r.set_organisation_number(org);
    return Try("admin", &Stub::ApproveProvider, r);
  };
  auto reinstate = [&](const std::string& org) {
    v1::ReinstateProviderRequest r;
    r.set_request_id(Rid());
    r.set_organisation_number(org);
    r.set_reason("x");
    return Try("admin", &Stub::ReinstateProvider, r);
  };
  const std::vector<std::pair<std::string, grpc::Status>> refused = {
      {"APPLIED -> SUSPENDED", suspend(applied)},
      {"APPROVED -> APPROVED (approve)", approve(approved)},
      {"APPROVED -> APPROVED (reinstate)", reinstate(approved)},
      {"APPROVED -> REJECTED", reject_(approved)},
      {"REJECTED -> APPROVED", approve(rejected)},
      {"REJECTED -> SUSPENDED", suspend(rejected)},
      {"REJECTED -> REJECTED", reject_(rejected)},
      {"REJECTED -> APPROVED (reinstate)", reinstate(rejected)},
      {"SUSPENDED -> SUSPENDED", suspend(suspended)},
      {"SUSPENDED -> REJECTED", reject_(suspended)},
  };
  for (const auto& [what, s] : refused) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << what;
    EXPECT_THAT(s.error_message(), HasSubstr("provider.lifecycle")) << what;
  }
  EXPECT_EQ(Get(applied).status(), v1::PROVIDER_STATUS_APPLIED);
  EXPECT_EQ(Get(approved).status(), v1::PROVIDER_STATUS_APPROVED);
  EXPECT_EQ(Get(rejected).status(), v1::PROVIDER_STATUS_REJECTED);
  EXPECT_EQ(Get(suspended).status(), v1::PROVIDER_STATUS_SUSPENDED);

  // Any non-terminated status may be terminated (APPLIED and REJECTED included).
  for (const auto& org : {applied, rejected, suspended}) {
    v1::TerminateProviderRequest t;
    t.set_request_id(Rid());
    t.set_organisation_number(org);
    t.set_reason("avslutas");
    *t.mutable_effective_date() = D(2025, 9, 15);
    EXPECT_TRUE(Try("admin", &Stub::TerminateProvider, t).ok()) << org;
  }
}

// Regression (found by this test, fixed): ReinstateProvider is documented as SUSPENDED → APPROVED, and
// ApproveProvider as APPLIED → APPROVED, but both map to the same "to APPROVED" transition in
// registry_rpc_providers.cc (Transition(..., ProviderStatus::kApproved, ...)) and only the target
// status is checked. So ReinstateProvider on an APPLIED provider approves it — and ReinstateProvider
// is open to provider follow-up staff, who may not approve (ApproveProvider is ADM only) — and
// ApproveProvider on a SUSPENDED provider silently reinstates it.
TEST_F(RegistryServiceTest, ReinstateDoesNotApproveAnApplicationAndApproveDoesNotReinstate) {
  const std::string applied = Org("556300021"), suspended = Org("556300022");
  MustApply(ApplyReq(applied, "Ansökt AB"));
  MustApply(ApplyReq(suspended, "Avstängd AB"));
  MustApprove(suspended);
  MustSuspend(suspended);

  v1::ReinstateProviderRequest reinstate;
  reinstate.set_request_id(Rid());
  reinstate.set_organisation_number(applied);
  reinstate.set_reason("tillbaka");
  grpc::Status s = Try("pfu", &Stub::ReinstateProvider, reinstate);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "pfu approved an application via Reinstate";
  EXPECT_THAT(s.error_message(), HasSubstr("provider.lifecycle"));
  EXPECT_EQ(Get(applied).status(), v1::PROVIDER_STATUS_APPLIED);

  v1::ApproveProviderRequest approve;
  approve.set_request_id(Rid());
  approve.set_organisation_number(suspended);
  s = Try("admin", &Stub::ApproveProvider, approve);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "ApproveProvider reinstated a suspended provider";
  EXPECT_THAT(s.error_message(), HasSubstr("provider.lifecycle"));
  EXPECT_EQ(Get(suspended).status(), v1::PROVIDER_STATUS_SUSPENDED);
}

// Regression (found by this test, fixed): the proto says TerminateProviderRequest.effective_date is
// "Required: the date the contracts end", but the service defaults it to today (DayOrToday in
// Transition) and does not end the provider's contracts.
TEST_F(RegistryServiceTest, TerminationNeedsADateAndEndsTheContracts) {
  const std::string org = Org("556300031");
  MustApply(ApplyReq(org, "Hävd AB"));
  MustApprove(org, D(2025, 1, 1));
  const std::string area = MustArea("Göteborg", {"1480"});
  MustContract(org, area, D(2025, 1, 1));
  v1::TerminateProviderRequest t;
  t.set_request_id(Rid());
  t.set_organisation_number(org);
  t.set_reason("hävning");
  grpc::Status s = Try("admin", &Stub::TerminateProvider, t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "termination without effective_date accepted";
  t.set_request_id(Rid());
  *t.mutable_effective_date() = D(2025, 9, 30);
  (void)Try("admin", &Stub::TerminateProvider, t);  // fails when the call above already terminated
  v1::ListContractsRequest list;
  list.set_organisation_number(org);
  *list.mutable_active_on() = D(2025, 10, 1);
  v1::ListContractsResponse contracts;
  ASSERT_TRUE(Call("admin", &Stub::ListContracts, list, &contracts).ok());
  EXPECT_EQ(contracts.contracts_size(), 0) << "the contracts of a terminated provider do not end";
}

// Regression (found by this test, fixed): docs/api.md, "Idempotency": "A repeat with the same key returns the
// response of the first successful call". The registry remembers only the organisation number
// and answers a repeat with the provider as it is now (registry_rpc_providers.cc, DoApplyProvider /
// Transition re-read the current view after Mutate).
TEST_F(RegistryServiceTest, RepeatedRequestIdAnswersWithTheFirstResponse) {
  const std::string org = Org("556300041");
  v1::ApplyProviderRequest req = ApplyReq(org, "Upprepa AB");
  req.set_request_id("apply-once");
  v1::ApplyProviderResponse first;
  ASSERT_TRUE(Call("admin", &Stub::ApplyProvider, req, &first).ok());
  MustApprove(org);
  v1::ApplyProviderResponse again;
  ASSERT_TRUE(Call("admin", &Stub::ApplyProvider, req, &again).ok());
  EXPECT_EQ(again.provider().version(), first.provider().version());
  EXPECT_EQ(again.provider().status(), v1::PROVIDER_STATUS_APPLIED);
}

// ---------------------------------------------------------------------------------------------
// Delivery areas, contracts, offices.
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, AreasContractsAndOfficesAreValidated) {
  const std::string org = Org("556400001");
  MustApply(ApplyReq(org, "Område AB"));
  MustApprove(org, D(2025, 1, 1));

  // Areas: unknown municipality, malformed code, duplicates, empty.
  auto create = [&](const std::string& name, const std::vector<std::string>& codes) {
    v1::CreateDeliveryAreaRequest r;
    r.set_request_id(Rid());
    r.set_name(name);
    for (const auto& c : codes) r.add_municipality_codes(c);
    return Try("admin", &Stub::CreateDeliveryArea, r);
  };
  for (const auto& codes : std::vector<std::vector<std::string>>{{"1480", "1400"}, {"148"}, {"9980"}, {"1480", "1480"}, {}}) {
    grpc::Status s = create("Fel", codes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << absl::StrJoin(codes, ",");
    EXPECT_THAT(s.error_message(), HasSubstr("municipality_codes"));
  }
  const std::string gbg = MustArea("Storgöteborg", {"1480", "1481", "1401"});
  EXPECT_EQ(create("Storgöteborg", {"1480"}).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // Only admins create areas.
  v1::CreateDeliveryAreaRequest by_pfu;
  by_pfu.set_request_id(Rid());
  by_pfu.set_name("Pfu");
  by_pfu.add_municipality_codes("1480");
  EXPECT_EQ(Try("pfu", &Stub::CreateDeliveryArea, by_pfu).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::GetDeliveryAreaRequest get;
  get.set_area_id(gbg);
  v1::GetDeliveryAreaResponse got;
  ASSERT_TRUE(Call("municipality", &Stub::GetDeliveryArea, get, &got).ok());
  EXPECT_EQ(got.area().name(), "Storgöteborg");
  EXPECT_THAT(std::vector<std::string>(got.area().municipality_codes().begin(), got.area().municipality_codes().end()),
              ElementsAreArray({"1480", "1481", "1401"}));
  v1::ListDeliveryAreasRequest list_areas;
  list_areas.set_municipality_code("1401");
  v1::ListDeliveryAreasResponse areas;
  ASSERT_TRUE(Call("caseworker", &Stub::ListDeliveryAreas, list_areas, &areas).ok());
  ASSERT_EQ(areas.areas_size(), 1);
  list_areas.set_municipality_code("1384");
  ASSERT_TRUE(Call("caseworker", &Stub::ListDeliveryAreas, list_areas, &areas).ok());
  EXPECT_EQ(areas.areas_size(), 0);

  // Contracts: overlap refused, adjacent allowed, nothing changed by a refusal.
  MustContract(org, gbg, D(2025, 1, 1), D(2025, 12, 31));
  grpc::Status s = Contract(org, gbg, D(2025, 12, 31), D(2026, 6, 30));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("contract.no_overlap"));
  s = Contract(org, gbg, D(2024, 6, 1));  // open end, overlaps everything after
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("contract.no_overlap"));
  v1::Contract next;
  ASSERT_TRUE(Contract(org, gbg, D(2026, 1, 1), std::nullopt, 3, &next).ok());  // adjacent: allowed
  EXPECT_EQ(next.default_assignment_capacity(), 3);
  ASSERT_TRUE(Contract(org, gbg, D(2024, 1, 1), D(2024, 12, 31)).ok());  // adjacent before: allowed
  s = Contract(org, gbg, D(2025, 6, 1), D(2025, 5, 1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("period.end"));
  s = Contract(org, gbg, D(2025, 2, 30));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Contract(org, "area-nope", D(2030, 1, 1)).error_code(), grpc::StatusCode::NOT_FOUND);
  // Another provider may hold the same area at the same time.
  const std::string other = Org("556400002");
  MustApply(ApplyReq(other, "Annan AB"));
  EXPECT_TRUE(Contract(other, gbg, D(2025, 1, 1)).ok());
  v1::ListContractsRequest lc;
  lc.set_organisation_number(org);
  v1::ListContractsResponse contracts;
  ASSERT_TRUE(Call("caseworker", &Stub::ListContracts, lc, &contracts).ok());
  EXPECT_EQ(contracts.contracts_size(), 3);
  *lc.mutable_active_on() = D(2025, 9, 15);
  ASSERT_TRUE(Call("caseworker", &Stub::ListContracts, lc, &contracts).ok());
  ASSERT_EQ(contracts.contracts_size(), 1);
  EXPECT_EQ(contracts.contracts(0).period().end().year(), 2025);
  // Extending the current contract into the next one: overlap.
  v1::UpdateContractRequest extend;
  extend.set_request_id(Rid());
  extend.set_contract_id(contracts.contracts(0).contract_id());
  *extend.mutable_end() = D(2026, 3, 31);
  s = Try("admin", &Stub::UpdateContract, extend);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("contract.no_overlap"));
  extend.set_request_id(Rid());
  extend.clear_end();
  extend.set_default_assignment_capacity(5);
  extend.set_expected_version(1);
  v1::UpdateContractResponse updated;
  ASSERT_TRUE(Call("admin", &Stub::UpdateContract, extend, &updated).ok());
  EXPECT_EQ(updated.contract().default_assignment_capacity(), 5);
  EXPECT_EQ(updated.contract().version(), 2);
  EXPECT_EQ(updated.contract().period().end().month(), 12);

  // Offices: coordinates required and inside Sweden; the address completed from the postal code.
  v1::AddOfficeRequest no_location = OfficeReq(org, "41301", 57.7, 11.97);
  no_location.clear_location();
  s = Try("admin", &Stub::AddOffice, no_location);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("location"));
  for (const Point& outside : {Point{52.52, 13.40} /* Berlin */, Point{55.68, 12.57 - 2.5} /* Denmark, west */,
                               Point{11.97, 57.70} /* swapped */, Point{70.5, 20.0}, Point{0, 0}}) {
    s = Try("admin", &Stub::AddOffice, OfficeReq(org, "41301", outside.lat, outside.lon));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << outside.lat << "," << outside.lon;
    EXPECT_THAT(s.error_message(), HasSubstr("location"));
  }
  v1::AddOfficeRequest bad_postal = OfficeReq(org, "4130", 57.7, 11.97);
  s = Try("admin", &Stub::AddOffice, bad_postal);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("address.postal_code"));
  v1::Office office = MustOffice(org, "431 30", 57.6554, 12.0138);
  EXPECT_EQ(office.address().postal_code(), "43130");
  EXPECT_EQ(office.address().municipality_code(), "1481");
  EXPECT_EQ(office.address().locality(), "Mölndal");
  EXPECT_EQ(office.organisation_number(), org);
  v1::ListOfficesRequest lo;
  lo.set_organisation_number(org);
  v1::ListOfficesResponse offices;
  ASSERT_TRUE(Call("municipality", &Stub::ListOffices, lo, &offices).ok());
  ASSERT_EQ(offices.offices_size(), 1);  // the refused ones were not stored

  // Update and remove with versions.
  v1::UpdateOfficeRequest uo;
  uo.set_request_id(Rid());
  uo.set_office_id(office.office_id());
  uo.set_expected_version(2);
  uo.set_name("Nytt kontor");
  uo.mutable_address()->set_street("Kungsgatan 2");
  uo.mutable_address()->set_postal_code("43430");
  uo.mutable_location()->set_latitude(57.4875);
  uo.mutable_location()->set_longitude(12.0762);
  EXPECT_EQ(Try("admin", &Stub::UpdateOffice, uo).error_code(), grpc::StatusCode::ABORTED);
  uo.set_expected_version(1);
  v1::UpdateOfficeResponse uor;
  ASSERT_TRUE(Call("admin", &Stub::UpdateOffice, uo, &uor).ok());
  EXPECT_EQ(uor.office().address().municipality_code(), "1384");
  EXPECT_EQ(uor.office().version(), 2);
  v1::RemoveOfficeRequest ro;
  ro.set_request_id(Rid());
  ro.set_office_id(office.office_id());
  ro.set_expected_version(2);
  ASSERT_TRUE(Try("admin", &Stub::RemoveOffice, ro).ok());
  ASSERT_TRUE(Call("municipality", &Stub::ListOffices, lo, &offices).ok());
  EXPECT_EQ(offices.offices_size(), 0);
}

// Regression (found by this test, fixed): UpdateDeliveryAreaRequest documents "name: New name; empty =
// unchanged" and "municipality_codes: ... empty = unchanged", but DoUpdateDeliveryArea requires a
// name (RequireText(req.name(), "name", ...)) and at least one municipality code (ValidateCodes).
TEST_F(RegistryServiceTest, UpdateDeliveryAreaKeepsWhatIsNotGiven) {
  const std::string area = MustArea("Väst", {"1480", "1481"});
  v1::UpdateDeliveryAreaRequest codes_only;
  codes_only.set_request_id(Rid());
  codes_only.set_area_id(area);
  codes_only.add_municipality_codes("1480");
  codes_only.add_municipality_codes("1482");
  v1::UpdateDeliveryAreaResponse resp;
  grpc::Status s = Call("admin", &Stub::UpdateDeliveryArea, codes_only, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::UpdateDeliveryAreaRequest name_only;
  name_only.set_request_id(Rid());
  name_only.set_area_id(area);
  name_only.set_name("Västkusten");
  s = Call("admin", &Stub::UpdateDeliveryArea, name_only, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::GetDeliveryAreaRequest get;
  get.set_area_id(area);
  v1::GetDeliveryAreaResponse got;
  ASSERT_TRUE(Call("admin", &Stub::GetDeliveryArea, get, &got).ok());
  EXPECT_EQ(got.area().name(), "Västkusten");
  EXPECT_THAT(std::vector<std::string>(got.area().municipality_codes().begin(), got.area().municipality_codes().end()),
              ElementsAreArray({"1480", "1482"}));
}

// ---------------------------------------------------------------------------------------------
// Choice search.
// ---------------------------------------------------------------------------------------------

class ChoiceSearchTest : public RegistryServiceTest {
 protected:
  void SetUp() override {
    RegistryServiceTest::SetUp();
    if (HasFatalFailure()) return;
    const absl::CivilDay y2025(2025, 1, 1);
    const std::set<std::string> gbg = {"1480"}, gbg_mln = {"1480", "1481"}, mln_kba = {"1481", "1384"},
                                kba = {"1384"};
    const Point central{57.7089, 11.9746}, angered{57.7960, 12.0490}, molndal{57.6554, 12.0138},
        kungsbacka{57.4875, 12.0762}, hisingen{57.7210, 11.9400}, linne{57.6950, 11.9520},
        frolunda{57.6530, 11.9110}, partille{57.7394, 12.1064}, landvetter{57.6890, 12.2090};
    model_ = {
        {Org("556510001"), "Alfa", true, {"sv", "en"}, false, {{gbg, y2025, {}}}, {angered, central}},
        {Org("556510002"), "Beta", true, {"sv", "ar"}, true, {{gbg_mln, y2025, {}}}, {molndal}},
        {Org("556510003"), "Gamma", true, {"sv"}, false, {{mln_kba, y2025, {}}}, {kungsbacka}},
        {Org("556510004"), "Delta", true, {"sv", "ar"}, false, {{gbg, y2025, {}}}, {hisingen}},  // suspended below
        {Org("556510005"), "Epsilon", true, {"sv"}, false,
         {{gbg, absl::CivilDay(2024, 1, 1), absl::CivilDay(2025, 6, 30)}, {gbg, absl::CivilDay(2026, 1, 1), {}}},
         {linne}},
        {Org("556510006"), "Zeta", true, {"sv", "so", "ar"}, true, {{gbg_mln, y2025, {}}}, {kungsbacka, frolunda}},
        {Org("556510007"), "Eta", true, {"en"}, true, {{gbg, y2025, {}}}, {}},
        {Org("556510008"), "Theta", false, {"sv"}, false, {{gbg, y2025, {}}}, {central}},  // only applied
        {Org("556510009"), "Iota", true, {"sv", "en"}, false, {{gbg, y2025, absl::CivilDay(2025, 9, 15)}}, {partille}},
        {Org("556510010"), "Kappa", true, {"sv"}, false, {{kba, y2025, {}}}, {landvetter}},
    };
    Build(model_);
    for (const ModelProvider& p : model_) {
      if (p.approved) MustApprove(p.org, D(2024, 1, 1));
    }
    MustSuspend(Org("556510004"));
    model_[3].approved = false;  // suspended: not choosable
  }

  std::vector<ModelProvider> model_;
};

TEST_F(ChoiceSearchTest, SearchForAMunicipalityMatchesAnIndependentComputation) {
  const Point home = points_["1480"];
  // All providers for Göteborg, by distance.
  v1::SearchProvidersResponse all = Search(SearchIn("1480"));
  std::vector<Expected> want = ExpectedSearch(model_, "1480", home, kToday, {}, std::nullopt);
  ASSERT_EQ(want.size(), 5u);  // Alfa, Beta, Zeta, Eta, Iota, and not Gamma/Delta/Epsilon/Theta/Kappa
  EXPECT_EQ(all.municipality_code(), "1480");
  EXPECT_EQ(all.total(), static_cast<int>(want.size()));
  ExpectSameResults(want, Rows(all), "1480 by distance");
  // Each row carries the provider's public data.
  for (const auto& r : all.results()) {
    for (const ModelProvider& p : model_) {
      if (p.org != r.organisation_number()) continue;
      EXPECT_EQ(r.name(), p.name);
      EXPECT_EQ(r.remote_delivery(), p.remote);
      EXPECT_EQ(std::set<std::string>(r.languages().begin(), r.languages().end()), p.languages);
      if (r.has_nearest_office()) {
        EXPECT_EQ(r.nearest_office().organisation_number(), p.org);
      }
    }
  }

  // By rating with nobody rated: unrated ones by distance (the same order).
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {}, std::nullopt, Order::kRating),
                    Rows(Search(SearchIn("1480", v1::SEARCH_ORDER_UNSPECIFIED))), "1480 default order");

  // Filters.
  auto with = [&](std::vector<std::string> langs, std::optional<bool> remote) {
    v1::SearchProvidersRequest req = SearchIn("1480");
    for (const auto& l : langs) req.add_languages(l);
    if (remote) req.set_remote_delivery(*remote);
    return Rows(Search(req, "municipality"));
  };
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {"ar"}, std::nullopt), with({"ar"}, std::nullopt), "ar");
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {"sv", "en"}, std::nullopt), with({"sv", "en"}, std::nullopt), "sv+en");
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {"ti"}, std::nullopt), with({"ti"}, std::nullopt), "ti");
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {}, true), with({}, true), "remote");
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {}, false), with({}, false), "not remote");
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {"sv"}, true), with({"sv"}, true), "sv remote");

  // By postal code: the same municipality.
  v1::SearchProvidersRequest by_postal;
  by_postal.mutable_home()->set_postal_code("41301");
  by_postal.set_order(v1::SEARCH_ORDER_DISTANCE);
  v1::SearchProvidersResponse postal = Search(by_postal);
  EXPECT_EQ(postal.municipality_code(), "1480");
  ExpectSameResults(want, Rows(postal), "41301");

  // Another municipality and another county.
  ExpectSameResults(ExpectedSearch(model_, "1481", points_["1481"], kToday, {}, std::nullopt),
                    Rows(Search(SearchIn("1481"))), "1481");
  ExpectSameResults(ExpectedSearch(model_, "1384", points_["1384"], kToday, {}, std::nullopt),
                    Rows(Search(SearchIn("1384"))), "1384");
  v1::SearchProvidersResponse none = Search(SearchIn("2584"));  // Kiruna: nobody
  EXPECT_EQ(none.total(), 0);

  // Exact home coordinates take precedence for distances.
  v1::SearchProvidersRequest exact = SearchIn("1480");
  exact.mutable_home()->mutable_point()->set_latitude(57.6500);
  exact.mutable_home()->mutable_point()->set_longitude(11.9200);
  ExpectSameResults(ExpectedSearch(model_, "1480", Point{57.65, 11.92}, kToday, {}, std::nullopt),
                    Rows(Search(exact)), "exact point");

  // Other dates: the day after Iota's contract ended, and a day when Epsilon's was active.
  for (const absl::CivilDay day : {absl::CivilDay(2025, 9, 16), absl::CivilDay(2025, 3, 1), absl::CivilDay(2026, 2, 1),
                                   absl::CivilDay(2024, 12, 31)}) {
    v1::SearchProvidersRequest dated = SearchIn("1480");
    *dated.mutable_as_of() = D(static_cast<int>(day.year()), day.month(), day.day());
    ExpectSameResults(ExpectedSearch(model_, "1480", home, day, {}, std::nullopt), Rows(Search(dated)),
                      absl::FormatCivilTime(day));
  }

  // Paging: pages of 2 concatenate to the full answer.
  std::vector<v1::ProviderSearchResult> paged;
  v1::SearchProvidersRequest page = SearchIn("1480");
  page.set_page_size(2);
  for (int guard = 0; guard < 10; ++guard) {
    v1::SearchProvidersResponse r = Search(page);
    paged.insert(paged.end(), r.results().begin(), r.results().end());
    if (r.next_page_token().empty()) break;
    page.set_page_token(r.next_page_token());
  }
  ExpectSameResults(want, paged, "paged");

  // Bad input.
  v1::SearchProvidersRequest bad = SearchIn("1400");
  EXPECT_EQ(Try("caseworker", &Stub::SearchProviders, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad = SearchIn("abcd");
  EXPECT_EQ(Try("caseworker", &Stub::SearchProviders, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad = v1::SearchProvidersRequest();
  EXPECT_EQ(Try("caseworker", &Stub::SearchProviders, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.mutable_home()->set_postal_code("4130");
  EXPECT_EQ(Try("caseworker", &Stub::SearchProviders, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad = SearchIn("1480");
  bad.mutable_home()->mutable_point()->set_latitude(40.0);
  bad.mutable_home()->mutable_point()->set_longitude(3.0);
  EXPECT_EQ(Try("caseworker", &Stub::SearchProviders, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Reinstating Delta brings it back into the search.
  v1::ReinstateProviderRequest back;
  back.set_request_id(Rid());
  back.set_organisation_number(Org("556510004"));
  back.set_reason("åtgärdat");
  ASSERT_TRUE(Try("pfu", &Stub::ReinstateProvider, back).ok());
  model_[3].approved = true;
  ExpectSameResults(ExpectedSearch(model_, "1480", home, kToday, {}, std::nullopt), Rows(Search(SearchIn("1480"))),
                    "after reinstating Delta");

  // ListProviders by municipality: the serving ones (any status filter), with a status filter.
  v1::ListProvidersRequest lp;
  lp.set_municipality_code("1480");
  v1::ListProvidersResponse listed;
  ASSERT_TRUE(Call("caseworker", &Stub::ListProviders, lp, &listed).ok());
  std::vector<std::string> serving;
  for (const auto& p : listed.providers()) serving.push_back(p.organisation_number());
  std::vector<std::string> want_serving;
  for (const auto& e : ExpectedSearch(model_, "1480", home, kToday, {}, std::nullopt)) want_serving.push_back(e.org);
  std::sort(want_serving.begin(), want_serving.end());
  EXPECT_THAT(serving, ElementsAreArray(want_serving));
  v1::ListProvidersRequest applied_only;
  applied_only.add_statuses(v1::PROVIDER_STATUS_APPLIED);
  ASSERT_TRUE(Call("caseworker", &Stub::ListProviders, applied_only, &listed).ok());
  ASSERT_EQ(listed.providers_size(), 1);
  EXPECT_EQ(listed.providers(0).organisation_number(), Org("556510008"));
}

// ---------------------------------------------------------------------------------------------
// White spots.
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, WhiteSpotsAreTheUncoveredMunicipalities) {
  const std::vector<std::string> county14 = CountyMunicipalities("14");
  ASSERT_EQ(county14.size(), 49u);
  // Nobody yet: the whole county is white.
  EXPECT_THAT(WhiteSpots("14"), ElementsAreArray(county14));

  const std::string a = Org("556600001"), b = Org("556600002"), c = Org("556600003"), d = Org("556600004"),
                    e = Org("556600005");
  for (const auto& org : {a, b, c, d, e}) MustApply(ApplyReq(org, "Vit " + org));
  for (const auto& org : {a, b, d, e}) MustApprove(org, D(2024, 1, 1));
  MustContract(a, MustArea("GM", {"1480", "1481"}), D(2025, 1, 1));
  MustContract(b, MustArea("GK", {"1480", "1482", "1384"}), D(2025, 1, 1));
  MustContract(c, MustArea("Partille", {"1402"}), D(2025, 1, 1));                  // only applied
  MustContract(d, MustArea("Härryda", {"1401"}), D(2024, 1, 1), D(2025, 8, 31));   // expired
  MustContract(e, MustArea("Borås", {"1490"}), D(2025, 10, 1));                    // not yet started
  std::set<std::string> covered = {"1480", "1481", "1482"};
  auto expected = [&](const std::set<std::string>& cov) {
    std::vector<std::string> out;
    for (const auto& code : county14) {
      if (cov.count(code) == 0) out.push_back(code);
    }
    return out;
  };
  EXPECT_THAT(WhiteSpots("14"), ElementsAreArray(expected(covered)));
  // Halland (13): Kungsbacka covered.
  std::vector<std::string> county13 = CountyMunicipalities("13");
  county13.erase(std::remove(county13.begin(), county13.end(), "1384"), county13.end());
  EXPECT_THAT(WhiteSpots("13"), ElementsAreArray(county13));
  // All of Sweden: 290 minus the four covered.
  EXPECT_EQ(WhiteSpots("").size(), 290u - 4u);
  // On other dates: Härryda was served in August, Borås from October.
  EXPECT_THAT(WhiteSpots("14", D(2025, 8, 1)), ElementsAreArray(expected({"1480", "1481", "1482", "1401"})));
  EXPECT_THAT(WhiteSpots("14", D(2025, 10, 1)), ElementsAreArray(expected({"1480", "1481", "1482", "1490"})));
  EXPECT_THAT(WhiteSpots("14", D(2024, 6, 1)), ElementsAreArray(expected({"1401"})));

  // Suspending the only provider of 1482 makes it white; 1480 is still served by A.
  MustSuspend(b);
  EXPECT_THAT(WhiteSpots("14"), ElementsAreArray(expected({"1480", "1481"})));
  v1::ListWhiteSpotsRequest bad;
  bad.set_county_code("1");
  EXPECT_EQ(Try("caseworker", &Stub::ListWhiteSpots, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// ---------------------------------------------------------------------------------------------
// Nearest provider (närhetsprincip).
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, NearestProviderWithTiesAndTheirRecordedBreak) {
  const std::string n1 = Org("556700001"), n2 = Org("556700002"), n3 = Org("556700003");
  ASSERT_LT(n1, n2);
  const std::string area = MustArea("Göteborg", {"1480"});
  const Point same{57.7000, 11.9700}, farther{57.6554, 12.0138};
  for (const auto& org : {n1, n2, n3}) {
    MustApply(ApplyReq(org, "Närmast " + org));
    MustApprove(org, D(2025, 1, 1));
    MustContract(org, area, D(2025, 1, 1));
  }
  MustOffice(n1, "41301", same.lat, same.lon);
  MustOffice(n2, "41301", same.lat, same.lon);
  MustOffice(n3, "43130", farther.lat, farther.lon);
  const Point home = points_["1480"];
  const double want = Haversine(home.lat, home.lon, same.lat, same.lon);
  ASSERT_LT(want + 1, Haversine(home.lat, home.lon, farther.lat, farther.lon));

  v1::FindNearestProviderResponse r;
  grpc::Status s = Nearest("caseworker", "1480", false, "", "", &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.provider().organisation_number(), n1);  // lowest organisation number
  EXPECT_NEAR(static_cast<double>(r.distance_m()), want, 1.0);
  EXPECT_EQ(r.tie_break(), v1::TIE_BREAK_ORGANISATION_NUMBER);
  EXPECT_THAT(std::vector<std::string>(r.tied_with().begin(), r.tied_with().end()), ElementsAreArray({n2}));
  EXPECT_TRUE(r.skipped_for_capacity().empty());
  EXPECT_FALSE(r.rule_version().empty());
  EXPECT_FALSE(r.reason().empty());

  // A reservation for n1 (by the referral service); then n2 has fewer assignments and wins the tie.
  v1::FindNearestProviderResponse reserved;
  s = Nearest("referral", "1480", true, "case-1", "near-1", &reserved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reserved.provider().organisation_number(), n1);
  s = Nearest("eo", "1480", false, "", "", &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.provider().organisation_number(), n2);
  EXPECT_EQ(r.tie_break(), v1::TIE_BREAK_FEWEST_ASSIGNMENTS);
  EXPECT_THAT(std::vector<std::string>(r.tied_with().begin(), r.tied_with().end()), ElementsAreArray({n1}));

  // Excluding both tied ones: n3, strictly nearest.
  s = Nearest("caseworker", "1480", false, "", "", &r, {n1, n2});
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.provider().organisation_number(), n3);
  EXPECT_EQ(r.tie_break(), v1::TIE_BREAK_NONE);
  EXPECT_TRUE(r.tied_with().empty());
  EXPECT_NEAR(static_cast<double>(r.distance_m()), Haversine(home.lat, home.lon, farther.lat, farther.lon), 1.0);

  // Suspending n1: n2 alone at the shortest distance.
  MustSuspend(n1);
  s = Nearest("caseworker", "1480", false, "", "", &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.provider().organisation_number(), n2);
  EXPECT_EQ(r.tie_break(), v1::TIE_BREAK_NONE);

  // Who may ask.
  EXPECT_EQ(Nearest("municipality", "1480", false, "", "", &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Nearest("provider", "1480", false, "", "", &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Nearest("admin", "1480", false, "", "", &r).ok());
  EXPECT_EQ(Nearest("admin", "1480", true, "case-9", "adm-1", &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Reservations need a case and a request_id.
  EXPECT_EQ(Nearest("referral", "1480", true, "", "near-x", &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Nearest("referral", "1480", true, "case-x", "", &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RegistryServiceTest, NearestProviderRespectsCapacityAndIdempotentReservations) {
  const std::string c1 = Org("556700011"), c2 = Org("556700012");
  const std::string area = MustArea("Mölndal", {"1481"});
  MustApply(ApplyReq(c1, "Nära AB"));
  MustApply(ApplyReq(c2, "Längre bort AB"));
  MustApprove(c1, D(2025, 1, 1));
  MustApprove(c2, D(2025, 1, 1));
  MustContract(c1, area, D(2025, 1, 1), std::nullopt, 1);
  MustContract(c2, area, D(2025, 1, 1), std::nullopt, 2);
  const Point near{57.6560, 12.0140}, far{57.4875, 12.0762};
  MustOffice(c1, "43130", near.lat, near.lon);
  MustOffice(c2, "43430", far.lat, far.lon);
  const Point home = points_["1481"];
  ASSERT_LT(Haversine(home.lat, home.lon, near.lat, near.lon) + 1, Haversine(home.lat, home.lon, far.lat, far.lon));

  v1::FindNearestProviderResponse r1;
  ASSERT_TRUE(Nearest("referral", "1481", true, "case-1", "res-1", &r1).ok());
  EXPECT_EQ(r1.provider().organisation_number(), c1);
  EXPECT_NEAR(static_cast<double>(r1.distance_m()), Haversine(home.lat, home.lon, near.lat, near.lon), 1.0);
  EXPECT_TRUE(r1.skipped_for_capacity().empty());

  // c1 is full now: the second case goes to c2 and says why.
  v1::FindNearestProviderResponse r2;
  ASSERT_TRUE(Nearest("referral", "1481", true, "case-2", "res-2", &r2).ok());
  EXPECT_EQ(r2.provider().organisation_number(), c2);
  EXPECT_NEAR(static_cast<double>(r2.distance_m()), Haversine(home.lat, home.lon, far.lat, far.lon), 1.0);
  EXPECT_THAT(std::vector<std::string>(r2.skipped_for_capacity().begin(), r2.skipped_for_capacity().end()),
              ElementsAreArray({c1}));

  // Repeating the first reservation: the same provider, no second reservation.
  const int64_t events = AuditEvents();
  v1::FindNearestProviderResponse again;
  ASSERT_TRUE(Nearest("referral", "1481", true, "case-1", "res-1", &again).ok());
  EXPECT_EQ(again.provider().organisation_number(), c1);
  ASSERT_TRUE(Nearest("referral", "1481", true, "case-2", "res-2", &again).ok());
  EXPECT_EQ(again.provider().organisation_number(), c2);
  EXPECT_EQ(AuditEvents(), events);
  // The same request_id for another case: refused.
  EXPECT_EQ(Nearest("referral", "1481", true, "case-3", "res-2", &again).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // A dry run does not reserve: c2 still has one place, taken by case-3; then everybody is full.
  v1::FindNearestProviderResponse dry;
  ASSERT_TRUE(Nearest("caseworker", "1481", false, "", "", &dry).ok());
  ASSERT_TRUE(Nearest("caseworker", "1481", false, "", "", &dry).ok());
  EXPECT_EQ(dry.provider().organisation_number(), c2);
  v1::FindNearestProviderResponse r3;
  ASSERT_TRUE(Nearest("caseworker", "1481", true, "case-3", "res-3", &r3).ok());
  EXPECT_EQ(r3.provider().organisation_number(), c2);
  v1::FindNearestProviderResponse r4;
  grpc::Status full = Nearest("referral", "1481", true, "case-4", "res-4", &r4);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << full.error_message();
  EXPECT_EQ(Nearest("caseworker", "1481", false, "", "", &r4).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Raising c1's capacity frees a place at the nearest one again.
  v1::ListContractsRequest lc;
  lc.set_organisation_number(c1);
  v1::ListContractsResponse contracts;
  ASSERT_TRUE(Call("admin", &Stub::ListContracts, lc, &contracts).ok());
  ASSERT_EQ(contracts.contracts_size(), 1);
  v1::UpdateContractRequest raise;
  raise.set_request_id(Rid());
  raise.set_contract_id(contracts.contracts(0).contract_id());
  raise.set_default_assignment_capacity(2);
  ASSERT_TRUE(Try("admin", &Stub::UpdateContract, raise).ok());
  v1::FindNearestProviderResponse r5;
  ASSERT_TRUE(Nearest("referral", "1481", true, "case-5", "res-5", &r5).ok());
  EXPECT_EQ(r5.provider().organisation_number(), c1);
}

TEST_F(RegistryServiceTest, NearestProviderWithoutAnyProviderIsAFailedPrecondition) {
  v1::FindNearestProviderResponse r;
  grpc::Status s = Nearest("caseworker", "2584", false, "", "", &r);  // Kiruna, nobody
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  s = Nearest("referral", "2584", true, "case-k", "k-1", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Nearest("caseworker", "1400", false, "", "", &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Regression (found by this test, fixed): FindNearestProviderResponse documents the white-spot answer as
// FAILED_PRECONDITION "proximity.no_provider"; registry_rpc_choice.cc (DoFindNearestProvider)
// answers "proximity.available: no approved provider with capacity ...". Callers (the referral
// service) match on the documented rule name.
TEST_F(RegistryServiceTest, NoProviderNamesTheDocumentedRule) {
  v1::FindNearestProviderResponse r;
  grpc::Status s = Nearest("caseworker", "2584", false, "", "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("proximity.no_provider"));
}

// ---------------------------------------------------------------------------------------------
// Ratings.
// ---------------------------------------------------------------------------------------------

struct Participant {
  std::string org;
  v1::Level level;
  absl::CivilDay started;
  std::optional<absl::CivilDay> verified;
};

TEST_F(RegistryServiceTest, RatingsFromRecordedOutcomesMatchAnIndependentComputation) {
  const std::string r1 = Org("556800001"), r2 = Org("556800002"), r3 = Org("556800003"), r4 = Org("556800004");
  const std::string area = MustArea("Göteborg", {"1480"});
  const std::map<std::string, Point> office = {{r1, {57.70, 11.97}}, {r2, {57.72, 11.95}}, {r3, {57.69, 11.99}},
                                               {r4, {57.71, 11.96}}};
  for (const auto& org : {r1, r2, r3, r4}) {
    MustApply(ApplyReq(org, "Betyg " + org));
    MustApprove(org, org == r4 ? D(2025, 3, 1) : D(2024, 1, 1));
    MustContract(org, area, D(2024, 1, 1));
    MustOffice(org, "41301", office.at(org).lat, office.at(org).lon);
  }

  // Participants: (provider, level, started, verified).
  std::vector<Participant> ps;
  const absl::CivilDay base(2024, 10, 1);
  auto add = [&](const std::string& org, v1::Level level, int n, int verified) {
    for (int i = 0; i < n; ++i) {
      Participant p{org, level, base + static_cast<int>(ps.size()) % 200, std::nullopt};
      if (i < verified) p.verified = p.started + 90;
      ps.push_back(p);
    }
  };
  add(r1, v1::LEVEL_A, 8, 6);
  add(r1, v1::LEVEL_B, 6, 3);
  add(r1, v1::LEVEL_C, 6, 3);
  add(r2, v1::LEVEL_A, 6, 3);
  add(r2, v1::LEVEL_B, 6, 2);
  add(r2, v1::LEVEL_C, 6, 1);
  add(r3, v1::LEVEL_A, 5, 2);
  add(r4, v1::LEVEL_C, 18, 4);
  // Outside the window (started before 2024-09-16), and a result verified after the as_of date.
  ps.push_back({r1, v1::LEVEL_A, absl::CivilDay(2024, 9, 1), absl::CivilDay(2024, 12, 1)});
  ps.push_back({r2, v1::LEVEL_A, absl::CivilDay(2025, 9, 1), absl::CivilDay(2025, 10, 1)});

  for (size_t i = 0; i < ps.size(); ++i) {
    v1::RecordParticipantOutcomeRequest req;
    req.set_request_id(Rid());
    v1::ParticipantOutcome* o = req.mutable_outcome();
    o->set_case_id(absl::StrCat("case-", i));
    o->set_organisation_number(ps[i].org);
    o->set_level(ps[i].level);
    *o->mutable_started_on() = D(static_cast<int>(ps[i].started.year()), ps[i].started.month(), ps[i].started.day());
    ASSERT_TRUE(Try("referral", &Stub::RecordParticipantOutcome, req).ok());
    if (ps[i].verified) {  // the verified result arrives later: an upsert
      req.set_request_id(Rid());
      *o->mutable_result_verified_on() =
          D(static_cast<int>(ps[i].verified->year()), ps[i].verified->month(), ps[i].verified->day());
      v1::RecordParticipantOutcomeResponse merged;
      ASSERT_TRUE(Call("referral", &Stub::RecordParticipantOutcome, req, &merged).ok());
      EXPECT_TRUE(merged.outcome().has_result_verified_on());
    }
  }
  // The start and level are fixed once recorded; providers may not record; unknown provider.
  v1::RecordParticipantOutcomeRequest change;
  change.set_request_id(Rid());
  change.mutable_outcome()->set_case_id("case-0");
  change.mutable_outcome()->set_organisation_number(r1);
  change.mutable_outcome()->set_level(v1::LEVEL_C);
  *change.mutable_outcome()->mutable_started_on() = D(2024, 10, 1);
  EXPECT_EQ(Try("referral", &Stub::RecordParticipantOutcome, change).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  change.set_request_id(Rid());
  change.mutable_outcome()->set_case_id("case-p");
  EXPECT_EQ(Try("provider", &Stub::RecordParticipantOutcome, change).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  change.mutable_outcome()->set_organisation_number(Org("556800099"));
  EXPECT_EQ(Try("referral", &Stub::RecordParticipantOutcome, change).error_code(), grpc::StatusCode::NOT_FOUND);
  change.mutable_outcome()->set_level(v1::LEVEL_UNSPECIFIED);
  EXPECT_EQ(Try("referral", &Stub::RecordParticipantOutcome, change).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Independent computation for as_of = today, window (2024-09-15, 2025-09-15].
  const absl::CivilDay as_of = kToday, window_start(2024, 9, 15);
  std::map<v1::Level, int> started_n, verified_n;
  std::map<std::string, std::map<v1::Level, int>> started_p;
  std::map<std::string, int> verified_p;
  int sample = 0;
  for (const Participant& p : ps) {
    if (!(p.started > window_start && p.started <= as_of)) continue;
    ++sample;
    ++started_n[p.level];
    ++started_p[p.org][p.level];
    if (p.verified && *p.verified <= as_of) {
      ++verified_n[p.level];
      ++verified_p[p.org];
    }
  }
  std::map<std::string, double> ratio;
  std::map<std::string, int> size;
  for (const auto& org : {r1, r2, r3, r4}) {
    double expected = 0;
    for (const auto& [level, n] : started_p[org]) {
      expected += n * static_cast<double>(verified_n[level]) / started_n[level];
      size[org] += n;
    }
    ratio[org] = verified_p[org] / expected;
  }
  ASSERT_EQ(size[r1], 20);
  ASSERT_EQ(size[r2], 19);
  ASSERT_EQ(size[r3], 5);
  ASSERT_EQ(size[r4], 18);
  // Qualifying: r1 and r2 (r3 too few, r4 approved less than 12 months ago). Relative stars.
  const std::vector<std::string> qualifying = {r1, r2};
  std::map<std::string, int> stars;
  for (const auto& org : qualifying) {
    int k = 0;
    for (const auto& other : qualifying) k += ratio[other] <= ratio[org] + 1e-12 ? 1 : 0;
    stars[org] = static_cast<int>(std::ceil(4.0 * k / qualifying.size()));
  }
  ASSERT_NE(ratio[r1], ratio[r2]);

  v1::ComputeRatingsRequest compute;
  compute.set_request_id(Rid());
  EXPECT_EQ(Try("caseworker", &Stub::ComputeRatings, compute).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ComputeRatingsRequest future = compute;
  *future.mutable_as_of() = D(2025, 12, 1);
  EXPECT_EQ(Try("admin", &Stub::ComputeRatings, future).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ComputeRatingsResponse computed;
  ASSERT_TRUE(Call("admin", &Stub::ComputeRatings, compute, &computed).ok());
  const v1::RatingRun& run = computed.run();
  EXPECT_FALSE(run.rating_run_id().empty());
  EXPECT_EQ(run.as_of().year(), 2025);
  EXPECT_EQ(run.as_of().month(), 9);
  EXPECT_EQ(run.as_of().day(), 15);
  EXPECT_EQ(run.sample_size(), sample);
  EXPECT_EQ(run.rated_providers(), 2);
  EXPECT_EQ(run.unrated_providers(), 2);
  EXPECT_FALSE(run.rule_version().empty());
  EXPECT_EQ(run.computed_by().id(), "spiffe://rusta.local/admin/admin-0001");
  ASSERT_EQ(run.providers_size(), 4);
  for (const v1::RatedProvider& rp : run.providers()) {
    const std::string& org = rp.organisation_number();
    EXPECT_EQ(rp.rating().sample_size(), size[org]) << org;
    EXPECT_EQ(rp.verified_results(), verified_p[org]) << org;
    EXPECT_NEAR(rp.rating().adjusted_result_ratio(), ratio[org], 1e-9) << org;
    EXPECT_EQ(rp.rating().rating_run_id(), run.rating_run_id());
    if (stars.count(org)) {
      EXPECT_EQ(rp.rating().stars(), stars[org]) << org;
      EXPECT_TRUE(rp.rating().unrated_reason().empty()) << org;
    } else {
      EXPECT_EQ(rp.rating().stars(), 0) << org;
    }
  }
  for (const v1::RatedProvider& rp : run.providers()) {
    if (rp.organisation_number() == r3) {
      EXPECT_THAT(rp.rating().unrated_reason(), HasSubstr("too few participants"));
      EXPECT_THAT(rp.rating().unrated_reason(), HasSubstr("18"));
    }
    if (rp.organisation_number() == r4) {
      EXPECT_THAT(rp.rating().unrated_reason(), HasSubstr("12 months"));
    }
  }

  // The rating shows on the provider and in the search (rated first by stars, then by distance).
  for (const auto& org : {r1, r2, r3, r4}) {
    v1::Provider p = Get(org, "municipality");
    EXPECT_EQ(p.rating().stars(), stars.count(org) ? stars[org] : 0) << org;
    EXPECT_EQ(p.rating().sample_size(), size[org]) << org;
    EXPECT_EQ(p.rating().rating_run_id(), run.rating_run_id()) << org;
  }
  std::vector<ModelProvider> model;
  for (const auto& org : {r1, r2, r3, r4}) {
    ModelProvider m;
    m.org = org;
    m.contracts = {{{"1480"}, absl::CivilDay(2024, 1, 1), {}}};
    m.offices = {office.at(org)};
    m.stars = stars.count(org) ? stars[org] : 0;
    model.push_back(m);
  }
  v1::SearchProvidersResponse by_rating = Search(SearchIn("1480", v1::SEARCH_ORDER_RATING));
  ExpectSameResults(ExpectedSearch(model, "1480", points_["1480"], kToday, {}, std::nullopt, Order::kRating),
                    Rows(by_rating), "by rating");
  for (const auto& r : by_rating.results()) {
    EXPECT_EQ(r.rating().stars(), stars.count(r.organisation_number()) ? stars[r.organisation_number()] : 0);
  }

  // Runs are kept: get by id, list newest first without the providers.
  v1::GetRatingRunRequest get;
  get.set_rating_run_id(run.rating_run_id());
  v1::GetRatingRunResponse got;
  ASSERT_TRUE(Call("provider", &Stub::GetRatingRun, get, &got).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got.run(), run)) << got.run().DebugString();
  get.set_rating_run_id("rating-nope");
  EXPECT_EQ(Try("provider", &Stub::GetRatingRun, get).error_code(), grpc::StatusCode::NOT_FOUND);

  clock_.Advance(absl::Minutes(5));
  v1::ComputeRatingsRequest earlier;
  earlier.set_request_id(Rid());
  *earlier.mutable_as_of() = D(2025, 3, 31);  // recomputed for a date: the earlier picture
  v1::ComputeRatingsResponse second;
  ASSERT_TRUE(Call("pfu", &Stub::ComputeRatings, earlier, &second).ok());
  int sample_march = 0;
  for (const Participant& p : ps) {
    if (p.started > absl::CivilDay(2024, 3, 31) && p.started <= absl::CivilDay(2025, 3, 31)) ++sample_march;
  }
  EXPECT_EQ(second.run().sample_size(), sample_march);
  EXPECT_NE(second.run().rating_run_id(), run.rating_run_id());
  v1::ListRatingRunsResponse runs;
  ASSERT_TRUE(Call("caseworker", &Stub::ListRatingRuns, v1::ListRatingRunsRequest(), &runs).ok());
  ASSERT_EQ(runs.runs_size(), 2);
  EXPECT_EQ(runs.runs(0).rating_run_id(), second.run().rating_run_id());
  EXPECT_EQ(runs.runs(1).rating_run_id(), run.rating_run_id());
  EXPECT_EQ(runs.runs(0).providers_size(), 0);
  EXPECT_EQ(runs.runs(1).sample_size(), sample);
}

// ---------------------------------------------------------------------------------------------
// Follow-up: complaints, sanctions, the risk-based queue.
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, ComplaintsAndSanctions) {
  const std::string org = kProviderOrg, other = provider2_org_;
  MustApply(ApplyReq(org, "Egen AB"));
  MustApply(ApplyReq(other, "Andra AB"));
  MustApprove(org);
  MustApprove(other);

  v1::FileComplaintRequest file;
  file.set_request_id(Rid());
  file.set_organisation_number(org);
  file.set_complainant_kind(v1::COMPLAINANT_KIND_PARTICIPANT);
  file.set_case_id("case-17");
  file.set_description("Inga möten på sex veckor");
  EXPECT_EQ(Try("provider", &Stub::FileComplaint, file).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("municipality", &Stub::FileComplaint, file).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::FileComplaintResponse filed;
  ASSERT_TRUE(Call("pfu", &Stub::FileComplaint, file, &filed).ok());
  const v1::Complaint& c = filed.complaint();
  EXPECT_FALSE(c.complaint_id().empty());
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_RECEIVED);
  EXPECT_EQ(c.organisation_number(), org);
  EXPECT_EQ(c.version(), 1);
  v1::FileComplaintRequest by_cw = file;
  by_cw.set_request_id(Rid());
  by_cw.set_complainant_kind(v1::COMPLAINANT_KIND_CASEWORKER);
  ASSERT_TRUE(Try("caseworker", &Stub::FileComplaint, by_cw).ok());
  v1::FileComplaintRequest bad = file;
  bad.set_request_id(Rid());
  bad.set_complainant_kind(v1::COMPLAINANT_KIND_UNSPECIFIED);
  EXPECT_EQ(Try("pfu", &Stub::FileComplaint, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_complainant_kind(v1::COMPLAINANT_KIND_EMPLOYER);
  bad.set_organisation_number(Org("556900099"));
  EXPECT_EQ(Try("pfu", &Stub::FileComplaint, bad).error_code(), grpc::StatusCode::NOT_FOUND);

  // Investigate, then close with an outcome.
  v1::UpdateComplaintRequest update;
  update.set_request_id(Rid());
  update.set_complaint_id(c.complaint_id());
  update.set_status(v1::COMPLAINT_STATUS_INVESTIGATING);
  EXPECT_EQ(Try("caseworker", &Stub::UpdateComplaint, update).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::UpdateComplaintResponse updated;
  ASSERT_TRUE(Call("pfu", &Stub::UpdateComplaint, update, &updated).ok());
  EXPECT_EQ(updated.complaint().status(), v1::COMPLAINT_STATUS_INVESTIGATING);
  EXPECT_EQ(updated.complaint().version(), 2);
  update.set_request_id(Rid());
  update.set_status(v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(Try("pfu", &Stub::UpdateComplaint, update).error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // no outcome
  update.set_outcome(v1::COMPLAINT_OUTCOME_UPHELD);
  update.set_outcome_note("befogat");
  update.set_expected_version(1);
  EXPECT_EQ(Try("pfu", &Stub::UpdateComplaint, update).error_code(), grpc::StatusCode::ABORTED);
  update.set_expected_version(2);
  ASSERT_TRUE(Call("pfu", &Stub::UpdateComplaint, update, &updated).ok());
  EXPECT_EQ(updated.complaint().status(), v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(updated.complaint().outcome(), v1::COMPLAINT_OUTCOME_UPHELD);
  EXPECT_EQ(updated.complaint().outcome_note(), "befogat");
  EXPECT_TRUE(updated.complaint().has_closed_at());
  update.set_request_id(Rid());
  update.set_expected_version(0);
  update.set_outcome(v1::COMPLAINT_OUTCOME_WITHDRAWN);
  EXPECT_EQ(Try("pfu", &Stub::UpdateComplaint, update).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::ListComplaintsRequest lc;
  lc.set_organisation_number(org);
  v1::ListComplaintsResponse complaints;
  ASSERT_TRUE(Call("admin", &Stub::ListComplaints, lc, &complaints).ok());
  EXPECT_EQ(complaints.complaints_size(), 2);
  lc.set_status(v1::COMPLAINT_STATUS_CLOSED);
  ASSERT_TRUE(Call("pfu", &Stub::ListComplaints, lc, &complaints).ok());
  ASSERT_EQ(complaints.complaints_size(), 1);
  EXPECT_EQ(complaints.complaints(0).complaint_id(), c.complaint_id());
  EXPECT_EQ(Try("provider", &Stub::ListComplaints, lc).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Sanctions only for mandatory activities.
  v1::ImposeSanctionRequest sanction;
  sanction.set_request_id(Rid());
  sanction.set_organisation_number(org);
  sanction.set_mandatory_activity("COFFEE_BREAK");
  sanction.set_reason("möten uteblev");
  sanction.mutable_amount()->set_ore(500000);
  sanction.set_complaint_id(c.complaint_id());
  grpc::Status s = Try("pfu", &Stub::ImposeSanction, sanction);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("mandatory_activity"));
  sanction.set_mandatory_activity("");
  EXPECT_EQ(Try("pfu", &Stub::ImposeSanction, sanction).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  sanction.set_mandatory_activity("MEETING_EVERY_14_DAYS");
  sanction.mutable_amount()->set_ore(0);
  EXPECT_EQ(Try("pfu", &Stub::ImposeSanction, sanction).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  sanction.mutable_amount()->set_ore(500000);
  EXPECT_EQ(Try("admin", &Stub::ImposeSanction, sanction).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ImposeSanctionResponse imposed;
  ASSERT_TRUE(Call("pfu", &Stub::ImposeSanction, sanction, &imposed).ok());
  EXPECT_EQ(imposed.sanction().organisation_number(), org);
  EXPECT_EQ(imposed.sanction().mandatory_activity(), "MEETING_EVERY_14_DAYS");
  EXPECT_EQ(imposed.sanction().amount().ore(), 500000);
  EXPECT_EQ(imposed.sanction().complaint_id(), c.complaint_id());
  EXPECT_EQ(imposed.sanction().decided_on().day(), 15);
  EXPECT_EQ(imposed.sanction().decided_by().id(), "spiffe://rusta.local/provider-follow-up/pf-1");
  v1::ImposeSanctionRequest on_other = sanction;
  on_other.set_request_id(Rid());
  on_other.set_organisation_number(other);
  on_other.set_mandatory_activity("FINAL_REPORT");
  ASSERT_TRUE(Try("pfu", &Stub::ImposeSanction, on_other).ok());

  // The provider lists only its own sanctions.
  v1::ListSanctionsRequest ls;
  ls.set_organisation_number(org);
  v1::ListSanctionsResponse own;
  ASSERT_TRUE(Call("provider", &Stub::ListSanctions, ls, &own).ok());
  ASSERT_EQ(own.sanctions_size(), 1);
  EXPECT_EQ(own.sanctions(0).sanction_id(), imposed.sanction().sanction_id());
  ls.set_organisation_number(other);
  EXPECT_EQ(Try("provider", &Stub::ListSanctions, ls).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ls.clear_organisation_number();
  EXPECT_EQ(Try("provider", &Stub::ListSanctions, ls).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("caseworker", &Stub::ListSanctions, ls).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListSanctionsResponse all;
  ASSERT_TRUE(Call("admin", &Stub::ListSanctions, ls, &all).ok());
  EXPECT_EQ(all.sanctions_size(), 2);
}

TEST_F(RegistryServiceTest, FollowUpQueueIsScheduledFromApprovalAndRiskFirst) {
  const std::string calm = Org("556900001"), risky = Org("556900002"), gone = Org("556900003");
  for (const auto& org : {calm, risky, gone}) {
    MustApply(ApplyReq(org, "Uppföljning " + org));
    MustApprove(org);  // today: the first follow-up in half a year
  }
  v1::TerminateProviderRequest t;
  t.set_request_id(Rid());
  t.set_organisation_number(gone);
  t.set_reason("hävning");
  *t.mutable_effective_date() = D(2025, 9, 15);
  ASSERT_TRUE(Try("admin", &Stub::TerminateProvider, t).ok());

  v1::GetFollowUpQueueStatsResponse stats;
  ASSERT_TRUE(Call("admin", &Stub::GetFollowUpQueueStats, v1::GetFollowUpQueueStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.stats().delayed(), 3);
  EXPECT_EQ(stats.stats().depth(), 0);
  EXPECT_EQ(Try("caseworker", &Stub::GetFollowUpQueueStats, v1::GetFollowUpQueueStatsRequest()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Nothing is due today.
  v1::ClaimFollowUpRequest claim;
  claim.set_request_id(Rid());
  v1::ClaimFollowUpResponse claimed;
  ASSERT_TRUE(Call("pfu", &Stub::ClaimFollowUp, claim, &claimed).ok());
  EXPECT_FALSE(claimed.has_item());
  EXPECT_EQ(Try("admin", &Stub::ClaimFollowUp, claim).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Two complaints against `risky`, one of them closed.
  std::string first_complaint;
  for (int i = 0; i < 2; ++i) {
    v1::FileComplaintRequest f;
    f.set_request_id(Rid());
    f.set_organisation_number(risky);
    f.set_complainant_kind(v1::COMPLAINANT_KIND_EMPLOYER);
    f.set_description(absl::StrCat("klagomål ", i));
    v1::FileComplaintResponse filed;
    ASSERT_TRUE(Call("pfu", &Stub::FileComplaint, f, &filed).ok());
    if (i == 0) first_complaint = filed.complaint().complaint_id();
  }
  v1::UpdateComplaintRequest close;
  close.set_request_id(Rid());
  close.set_complaint_id(first_complaint);
  close.set_status(v1::COMPLAINT_STATUS_CLOSED);
  close.set_outcome(v1::COMPLAINT_OUTCOME_NOT_UPHELD);
  ASSERT_TRUE(Try("pfu", &Stub::UpdateComplaint, close).ok());

  // About seven months later both are due; the one with an open complaint comes first.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 4, 15, 10, 0, 0), absl::UTCTimeZone()));
  const absl::CivilDay later(2026, 4, 15);
  claim.set_request_id(Rid());
  ASSERT_TRUE(Call("pfu", &Stub::ClaimFollowUp, claim, &claimed).ok());
  ASSERT_TRUE(claimed.has_item());
  EXPECT_EQ(claimed.provider().organisation_number(), risky);
  EXPECT_EQ(claimed.item().subject_id(), risky);
  EXPECT_EQ(claimed.risk().open_complaints(), 1);
  EXPECT_EQ(claimed.risk().complaints_last_12_months(), 2);
  EXPECT_EQ(claimed.risk().stars(), 0);
  EXPECT_GT(claimed.risk().score(), 0);
  EXPECT_FALSE(claimed.risk().trigger().empty());
  const std::string risky_item = claimed.item().item_id();
  // A repeat of the claim (a lost answer, a retry) gets the same item, not the next one.
  v1::ClaimFollowUpResponse repeated;
  ASSERT_TRUE(Call("pfu", &Stub::ClaimFollowUp, claim, &repeated).ok());
  EXPECT_EQ(repeated.item().item_id(), risky_item);
  EXPECT_EQ(repeated.provider().organisation_number(), risky);
  ASSERT_TRUE(Call("pfu", &Stub::GetFollowUpQueueStats, v1::GetFollowUpQueueStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.stats().pending(), 1);
  EXPECT_EQ(stats.stats().delayed(), 0);

  // Completing returns the next date; bad completions are refused.
  v1::CompleteFollowUpRequest complete;
  complete.set_request_id(Rid());
  complete.set_item_id(risky_item);
  complete.set_outcome(v1::WORK_OUTCOME_NO_ACTION);
  EXPECT_EQ(Try("pfu", &Stub::CompleteFollowUp, complete).error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // findings
  complete.set_findings("Stickprov utan anmärkning");
  complete.add_sampled_case_ids("case-1");
  v1::CompleteFollowUpRequest unknown = complete;
  unknown.set_request_id(Rid());
  unknown.set_item_id("0-1");
  EXPECT_EQ(Try("pfu", &Stub::CompleteFollowUp, unknown).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::CompleteFollowUpResponse risky_next;
  ASSERT_TRUE(Call("pfu", &Stub::CompleteFollowUp, complete, &risky_next).ok());
  ASSERT_TRUE(risky_next.has_next_follow_up());
  const absl::CivilDay risky_day(risky_next.next_follow_up().year(), risky_next.next_follow_up().month(),
                                 risky_next.next_follow_up().day());
  EXPECT_GT(risky_day, later);

  claim.set_request_id(Rid());
  ASSERT_TRUE(Call("pfu", &Stub::ClaimFollowUp, claim, &claimed).ok());
  ASSERT_TRUE(claimed.has_item());
  EXPECT_EQ(claimed.provider().organisation_number(), calm);  // the terminated one is skipped
  EXPECT_EQ(claimed.risk().open_complaints(), 0);
  EXPECT_EQ(claimed.risk().score(), 0);
  complete.set_request_id(Rid());
  complete.set_item_id(claimed.item().item_id());
  v1::CompleteFollowUpResponse calm_next;
  ASSERT_TRUE(Call("pfu", &Stub::CompleteFollowUp, complete, &calm_next).ok());
  // Twice a year: the regular interval (182 days) from today; the risky one sooner.
  const absl::CivilDay calm_day(calm_next.next_follow_up().year(), calm_next.next_follow_up().month(),
                                calm_next.next_follow_up().day());
  EXPECT_EQ(calm_day, later + 182);
  EXPECT_LT(risky_day, calm_day);

  claim.set_request_id(Rid());
  ASSERT_TRUE(Call("pfu", &Stub::ClaimFollowUp, claim, &claimed).ok());
  EXPECT_FALSE(claimed.has_item());
  ASSERT_TRUE(Call("pfu", &Stub::GetFollowUpQueueStats, v1::GetFollowUpQueueStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.stats().pending(), 0);
  EXPECT_EQ(stats.stats().depth(), 0);
  EXPECT_EQ(stats.stats().delayed(), 2);

  // Half a year later the calm one is due again, and a claim can be released back.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 10, 16, 10, 0, 0), absl::UTCTimeZone()));
  claim.set_request_id(Rid());
  ASSERT_TRUE(Call("pfu", &Stub::ClaimFollowUp, claim, &claimed).ok());
  ASSERT_TRUE(claimed.has_item());
  v1::ReleaseFollowUpRequest release;
  release.set_request_id(Rid());
  release.set_item_id(claimed.item().item_id());
  release.set_reason("semester");
  ASSERT_TRUE(Try("pfu", &Stub::ReleaseFollowUp, release).ok());
  v1::ClaimFollowUpResponse reclaimed;  // a released claim is given out again first
  claim.set_request_id(Rid());
  ASSERT_TRUE(Call("pfu", &Stub::ClaimFollowUp, claim, &reclaimed).ok());
  ASSERT_TRUE(reclaimed.has_item());
  EXPECT_EQ(reclaimed.item().item_id(), claimed.item().item_id());
}

// ---------------------------------------------------------------------------------------------
// Access per role and the public lookup.
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, AccessRulesPerRole) {
  const std::string own = kProviderOrg, other = provider2_org_;
  // A provider applies for itself only.
  v1::ApplyProviderRequest for_other = ApplyReq(other, "Andra AB");
  for_other.set_request_id(Rid());
  EXPECT_EQ(Try("provider", &Stub::ApplyProvider, for_other).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::Provider mine = MustApply(ApplyReq(own, "Egen AB"), "provider");
  EXPECT_EQ(mine.admission().result(), v1::ADMISSION_CHECK_RESULT_PASSED);  // its own admission, visible
  MustApply(ApplyReq(other, "Andra AB"), "provider2");
  // A municipality cannot apply.
  v1::ApplyProviderRequest by_mun = ApplyReq(Org("557000001"), "Kommun AB");
  by_mun.set_request_id(Rid());
  EXPECT_EQ(Try("municipality", &Stub::ApplyProvider, by_mun).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("caseworker", &Stub::ApplyProvider, by_mun).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A provider cannot approve (itself or anyone); pfu cannot approve either.
  v1::ApproveProviderRequest approve;
  approve.set_request_id(Rid());
  approve.set_organisation_number(own);
  EXPECT_EQ(Try("provider", &Stub::ApproveProvider, approve).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("pfu", &Stub::ApproveProvider, approve).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  MustApprove(own, D(2025, 1, 1));
  MustApprove(other, D(2025, 1, 1));
  v1::SuspendProviderRequest suspend;
  suspend.set_request_id(Rid());
  suspend.set_organisation_number(other);
  suspend.set_reason("x");
  EXPECT_EQ(Try("provider", &Stub::SuspendProvider, suspend).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("caseworker", &Stub::SuspendProvider, suspend).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Own profile: description and languages yes, name no; another's: no.
  v1::UpdateProviderProfileRequest update;
  update.set_request_id(Rid());
  update.set_organisation_number(own);
  update.mutable_profile()->set_description("Vi finns i hela Göteborg");
  update.mutable_profile()->add_languages("sv");
  update.mutable_profile()->add_languages("fa");
  update.mutable_update_mask()->add_paths("description");
  update.mutable_update_mask()->add_paths("languages");
  v1::UpdateProviderProfileResponse updated;
  ASSERT_TRUE(Call("provider", &Stub::UpdateProviderProfile, update, &updated).ok());
  EXPECT_EQ(updated.provider().profile().description(), "Vi finns i hela Göteborg");
  EXPECT_THAT(std::vector<std::string>(updated.provider().profile().languages().begin(),
                                       updated.provider().profile().languages().end()),
              ElementsAreArray({"sv", "fa"}));
  EXPECT_EQ(updated.provider().profile().name(), "Egen AB");
  v1::UpdateProviderProfileRequest others = update;
  others.set_request_id(Rid());
  others.set_organisation_number(other);
  EXPECT_EQ(Try("provider", &Stub::UpdateProviderProfile, others).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(Get(other).profile().description(), "Vi finns i hela Göteborg");
  v1::UpdateProviderProfileRequest rename;
  rename.set_request_id(Rid());
  rename.set_organisation_number(own);
  rename.mutable_profile()->set_name("Nytt Namn AB");
  rename.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(Try("provider", &Stub::UpdateProviderProfile, rename).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(own).profile().name(), "Egen AB");
  rename.set_request_id(Rid());
  ASSERT_TRUE(Try("admin", &Stub::UpdateProviderProfile, rename).ok());  // the admin may
  EXPECT_EQ(Get(own).profile().name(), "Nytt Namn AB");
  v1::UpdateProviderProfileRequest no_mask = update;
  no_mask.set_request_id(Rid());
  no_mask.clear_update_mask();
  EXPECT_EQ(Try("provider", &Stub::UpdateProviderProfile, no_mask).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Offices: own yes, another's no (not even visible as existing).
  MustOffice(own, "41301", 57.70, 11.97, "provider");
  EXPECT_EQ(Try("provider", &Stub::AddOffice, OfficeReq(other, "41301", 57.70, 11.97)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Office theirs = MustOffice(other, "41301", 57.71, 11.98, "provider2");
  v1::RemoveOfficeRequest remove;
  remove.set_request_id(Rid());
  remove.set_office_id(theirs.office_id());
  EXPECT_EQ(Try("provider", &Stub::RemoveOffice, remove).error_code(), grpc::StatusCode::NOT_FOUND);
  // Areas and contracts are for admins.
  v1::CreateDeliveryAreaRequest area;
  area.set_request_id(Rid());
  area.set_name("Egen");
  area.add_municipality_codes("1480");
  EXPECT_EQ(Try("provider", &Stub::CreateDeliveryArea, area).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const std::string area_id = MustArea("Göteborg", {"1480"});
  v1::CreateContractRequest contract;
  contract.set_request_id(Rid());
  contract.set_organisation_number(own);
  contract.set_area_id(area_id);
  *contract.mutable_period()->mutable_start() = D(2025, 1, 1);
  EXPECT_EQ(Try("provider", &Stub::CreateContract, contract).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  MustContract(own, area_id, D(2025, 1, 1));

  // The municipality searches and looks up.
  EXPECT_TRUE(Try("municipality", &Stub::SearchProviders, SearchIn("1480")).ok());
  v1::LookupPostalCodeRequest postal;
  postal.set_postal_code("41301");
  EXPECT_TRUE(Try("municipality", &Stub::LookupPostalCode, postal).ok());
  EXPECT_TRUE(Try("auditor", &Stub::SearchProviders, SearchIn("1480")).ok());

  // Admission details: admin, pfu and the provider itself; not another provider or a caseworker.
  EXPECT_TRUE(Get(own, "admin").has_admission());
  EXPECT_TRUE(Get(own, "pfu").has_admission());
  EXPECT_TRUE(Get(own, "provider").has_admission());
  EXPECT_FALSE(Get(own, "provider2").has_admission());
  EXPECT_FALSE(Get(own, "caseworker").has_admission());
  EXPECT_FALSE(Get(own, "municipality").has_admission());
  EXPECT_FALSE(Get(own, "referral").has_admission());
  EXPECT_EQ(Get(own, "caseworker").profile().name(), "Nytt Namn AB");  // public data still there
  v1::ListProvidersResponse listed;
  ASSERT_TRUE(Call("caseworker", &Stub::ListProviders, v1::ListProvidersRequest(), &listed).ok());
  ASSERT_EQ(listed.providers_size(), 2);
  for (const auto& p : listed.providers()) EXPECT_FALSE(p.has_admission()) << p.organisation_number();
  ASSERT_TRUE(Call("provider", &Stub::ListProviders, v1::ListProvidersRequest(), &listed).ok());
  for (const auto& p : listed.providers()) {
    EXPECT_EQ(p.has_admission(), p.organisation_number() == own) << p.organisation_number();
  }

  // Ratings and follow-up work are not for providers.
  v1::ComputeRatingsRequest compute;
  compute.set_request_id(Rid());
  EXPECT_EQ(Try("provider", &Stub::ComputeRatings, compute).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ClaimFollowUpRequest claim;
  claim.set_request_id(Rid());
  EXPECT_EQ(Try("provider", &Stub::ClaimFollowUp, claim).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Public lookup: approved with areas, since when; unknown: NOT_FOUND, with no data.
  v1::LookupProviderRequest lookup;
  lookup.set_organisation_number(own);
  v1::LookupProviderResponse found;
  ASSERT_TRUE(Call("municipality", &Stub::LookupProvider, lookup, &found).ok());
  EXPECT_TRUE(found.approved());
  EXPECT_EQ(found.status(), v1::PROVIDER_STATUS_APPROVED);
  EXPECT_EQ(found.name(), "Nytt Namn AB");
  EXPECT_EQ(found.approved_since().year(), 2025);
  ASSERT_EQ(found.areas_size(), 1);
  EXPECT_EQ(found.areas(0).area_id(), area_id);
  EXPECT_EQ(found.areas(0).area_name(), "Göteborg");
  const std::string unknown = Org("557000009");
  lookup.set_organisation_number(unknown);
  v1::LookupProviderResponse none;
  grpc::Status s = Call("caseworker", &Stub::LookupProvider, lookup, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "provider: not found");
  lookup.set_organisation_number("5560360794");
  EXPECT_EQ(Try("caseworker", &Stub::LookupProvider, lookup).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Without a client certificate: no access at all.
  auto anonymous = v1::ProviderRegistryService::NewStub(
      testing::Pki::Channel(host_->port(), pki_.NoClientCertCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListMunicipalitiesResponse m;
  EXPECT_FALSE(anonymous->ListMunicipalities(&ctx, v1::ListMunicipalitiesRequest(), &m).ok());
}

// Regression (found by this test, fixed): LookupProviderResponse.approved is documented as "True only when
// APPROVED with at least one active contract today", and `areas` as the areas "a provider has an
// active contract for". DoLookupProvider (registry_rpc_providers.cc) sets approved from the status
// alone and lists every contract that has not ended, including ones that start in the future.
TEST_F(RegistryServiceTest, LookupProviderCountsOnlyActiveContracts) {
  const std::string org = Org("557100001");
  MustApply(ApplyReq(org, "Framtid AB"));
  MustApprove(org, D(2025, 1, 1));
  v1::LookupProviderRequest lookup;
  lookup.set_organisation_number(org);
  v1::LookupProviderResponse r;
  ASSERT_TRUE(Call("caseworker", &Stub::LookupProvider, lookup, &r).ok());
  EXPECT_FALSE(r.approved()) << "approved without any contract";
  MustContract(org, MustArea("Göteborg", {"1480"}), D(2026, 1, 1));  // starts next year
  ASSERT_TRUE(Call("caseworker", &Stub::LookupProvider, lookup, &r).ok());
  EXPECT_FALSE(r.approved()) << "approved with only a future contract";
  EXPECT_EQ(r.areas_size(), 0) << "a future contract listed as an active area";
}

// Regression (found by this test, fixed): Office.location is documented as "inside Sweden's bounding
// box (lat 55.0..69.1, lon 10.9..24.2)"; domain/geo.cc InSweden uses 55.0–69.2 °N, 10.5–24.3 °E,
// so an office in central Oslo (59.91 N, 10.75 E) is accepted as Swedish.
TEST_F(RegistryServiceTest, OfficeCoordinatesFollowTheDocumentedBoundingBox) {
  const std::string org = Org("557300001");
  MustApply(ApplyReq(org, "Oslo AB"));
  grpc::Status s = Try("admin", &Stub::AddOffice, OfficeReq(org, "41301", 59.91, 10.75));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "an office in Oslo was accepted";
}

// ---------------------------------------------------------------------------------------------
// The audit trail.
// ---------------------------------------------------------------------------------------------

TEST_F(RegistryServiceTest, EveryChangeIsAuditedAndTheChainHolds) {
  const std::string org = Org("557200001");
  const int64_t before = AuditEvents();
  MustApply(ApplyReq(org, "Granskad AB"));
  MustApprove(org, D(2025, 1, 1));
  const std::string area = MustArea("Göteborg", {"1480"});
  MustContract(org, area, D(2025, 1, 1));
  MustOffice(org, "41301", 57.70, 11.97);
  MustSuspend(org);
  v1::FileComplaintRequest f;
  f.set_request_id(Rid());
  f.set_organisation_number(org);
  f.set_complainant_kind(v1::COMPLAINANT_KIND_OTHER);
  f.set_description("x");
  ASSERT_TRUE(Try("pfu", &Stub::FileComplaint, f).ok());
  EXPECT_EQ(AuditEvents(), before + 7);
  // Reads and refusals leave no change event.
  Get(org);
  v1::SuspendProviderRequest refused;  // SUSPENDED -> SUSPENDED
  refused.set_request_id(Rid());
  refused.set_organisation_number(org);
  refused.set_reason("igen");
  EXPECT_FALSE(Try("admin", &Stub::SuspendProvider, refused).ok());
  EXPECT_EQ(AuditEvents(), before + 7);

  auto audit = v1::AuditService::NewStub(testing::Pki::Channel(host_->port(), pki_.ClientCredentials("auditor")));
  grpc::ClientContext c1;
  v1::ListAuditEventsRequest list;
  list.mutable_subject()->set_kind(v1::SUBJECT_KIND_PROVIDER);
  list.mutable_subject()->set_id(org);
  v1::ListAuditEventsResponse events;
  ASSERT_TRUE(audit->ListAuditEvents(&c1, list, &events).ok());
  std::vector<std::string> actions;
  for (const auto& e : events.events()) actions.push_back(e.event().action());
  EXPECT_THAT(actions, ElementsAreArray({"provider-registry.ApplyProvider", "provider-registry.ApproveProvider",
                                         "provider-registry.CreateContract", "provider-registry.AddOffice",
                                         "provider-registry.SuspendProvider", "provider-registry.FileComplaint"}));
  for (const auto& e : events.events()) {
    bool names_provider = false;
    for (const auto& s : e.event().subjects()) names_provider = names_provider || (s.kind() == v1::SUBJECT_KIND_PROVIDER && s.id() == org);
    EXPECT_TRUE(names_provider) << e.event().action();
    EXPECT_FALSE(e.event().actor_id().empty());
  }
  EXPECT_EQ(events.events(0).event().actor_id(), "spiffe://rusta.local/admin/admin-0001");
  EXPECT_EQ(events.events(5).event().actor_id(), "spiffe://rusta.local/provider-follow-up/pf-1");

  grpc::ClientContext c2;
  v1::VerifyAuditChainResponse verified;
  ASSERT_TRUE(audit->VerifyAuditChain(&c2, {}, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.description();
  EXPECT_GE(verified.events_checked(), 7);
}

TEST(RegistryPolicyTest, EveryRpcOfTheServiceIsInThePolicyTable) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("rusta.v1.ProviderRegistryService");
  ASSERT_NE(service, nullptr);
  const identity::Policy policy = RegistryHandler::MakePolicy();
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_TRUE(policy.Covers(service->method(i)->name())) << service->method(i)->name();
  }
}

}  // namespace
}  // namespace rusta::registry
