// Unit tests of the distance, the choice search, white spots and the proximity rule
// (services/provider-registry/domain/geo.h, choice.h). Expected values are computed here
// independently: distances with a chord-length formula instead of haversine, and the randomized
// cross-check with a brute-force search written without the library's helpers.
#include "services/provider-registry/domain/choice.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/provider-registry/domain/geo.h"
#include "services/provider-registry/domain/registry_types.h"

namespace rusta::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kRadius = 6371008.8;
constexpr double kPiValue = 3.14159265358979323846;

// Great-circle distance through the chord between the two points on the unit sphere: a different
// formula from the haversine under test, exact on the sphere as well.
double ChordDistance(const GeoPoint& a, const GeoPoint& b) {
  auto unit = [](const GeoPoint& p) {
    const double lat = p.latitude * kPiValue / 180;
    const double lon = p.longitude * kPiValue / 180;
    return std::array<double, 3>{std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon),
                                 std::sin(lat)};
  };
  const auto u = unit(a);
  const auto v = unit(b);
  double sum = 0;
  for (int i = 0; i < 3; ++i) sum += (u[i] - v[i]) * (u[i] - v[i]);
  return 2 * kRadius * std::asin(std::min(1.0, std::sqrt(sum) / 2));
}

const GeoPoint kStockholm{59.3293, 18.0686};
const GeoPoint kGoteborg{57.7089, 11.9746};
const GeoPoint kMalmo{55.6050, 13.0038};
const GeoPoint kKiruna{67.8558, 20.2253};

// ---------------------------------------------------------------------------------------------
// Distance and InSweden

TEST(DistanceTest, StockholmToGoteborgIsAbout398Km) {
  const double d = DistanceMeters(kStockholm, kGoteborg);
  EXPECT_NEAR(d, 398000, 3980);  // within 1 %
  EXPECT_NEAR(d, ChordDistance(kStockholm, kGoteborg), 1e-3);
}

TEST(DistanceTest, PointToItselfIsZero) {
  EXPECT_EQ(DistanceMeters(kStockholm, kStockholm), 0);
  EXPECT_EQ(DistanceMeters(kKiruna, kKiruna), 0);
  EXPECT_EQ(DistanceMeters(GeoPoint{0, 0}, GeoPoint{0, 0}), 0);
}

TEST(DistanceTest, IsSymmetric) {
  const std::vector<GeoPoint> points{kStockholm, kGoteborg, kMalmo, kKiruna, {63.8258, 20.2630}};
  for (const GeoPoint& a : points) {
    for (const GeoPoint& b : points) {
      EXPECT_DOUBLE_EQ(DistanceMeters(a, b), DistanceMeters(b, a));
    }
  }
}

TEST(DistanceTest, OneDegreeAlongAMeridian) {
  // An arc of one degree is R * pi / 180 whatever the latitude.
  const double expected = kRadius * kPiValue / 180;  // 111,194.9 m
  EXPECT_NEAR(DistanceMeters({59, 18}, {60, 18}), expected, 1e-6);
  EXPECT_NEAR(DistanceMeters({0, 0}, {0, 1}), expected, 1e-6);  // along the equator too
}

TEST(DistanceTest, AgreesWithChordFormulaOverSweden) {
  std::mt19937 rng(7);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * (rng() / 4294967296.0); };
  for (int i = 0; i < 1000; ++i) {
    const GeoPoint a{uniform(55, 69), uniform(11, 24)};
    // Half the pairs close together, to cover metre-scale distances.
    const GeoPoint b = i % 2 == 0 ? GeoPoint{uniform(55, 69), uniform(11, 24)}
                                  : GeoPoint{a.latitude + uniform(-1e-4, 1e-4),
                                             a.longitude + uniform(-1e-4, 1e-4)};
    const double expected = ChordDistance(a, b);
    EXPECT_NEAR(DistanceMeters(a, b), expected, 1e-6 + expected * 1e-12);
  }
}

TEST(DistanceTest, MalmoToKirunaIsAbout1412Km) {
  EXPECT_NEAR(DistanceMeters(kMalmo, kKiruna), 1412000, 14120);
}

TEST(InSwedenTest, Edges) {
  EXPECT_TRUE(InSweden(kStockholm));
  EXPECT_TRUE(InSweden(kKiruna));
  EXPECT_TRUE(InSweden({55.0, 10.9}));  // corners are inside
  EXPECT_TRUE(InSweden({69.1, 24.2}));
  EXPECT_TRUE(InSweden({55.0, 24.2}));
  EXPECT_TRUE(InSweden({69.1, 10.9}));
  EXPECT_FALSE(InSweden({54.99, 15}));
  EXPECT_FALSE(InSweden({69.11, 15}));
  EXPECT_FALSE(InSweden({60, 10.89}));
  EXPECT_FALSE(InSweden({60, 24.21}));
  EXPECT_FALSE(InSweden({59.91, 10.75}));  // central Oslo
  EXPECT_FALSE(InSweden({18.0686, 59.3293}));  // Stockholm with the coordinates swapped
  EXPECT_FALSE(InSweden({0, 0}));              // unset coordinates
  EXPECT_FALSE(InSweden({-59.3293, 18.0686}));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(InSweden({nan, 18}));
  EXPECT_FALSE(InSweden({59, nan}));
}

// ---------------------------------------------------------------------------------------------
// A hand-built snapshot

class ChoiceTest : public ::testing::Test {
 protected:
  static constexpr absl::CivilDay kDay = absl::CivilDay(2025, 3, 1);

  void SetUp() override {
    AddMunicipality("0180", "Stockholm", "01", kStockholm);
    AddMunicipality("0114", "Upplands Väsby", "01", {59.5184, 17.9113});
    AddMunicipality("0380", "Uppsala", "03", {59.8586, 17.6389});
    AddMunicipality("1480", "Göteborg", "14", kGoteborg);
    AddMunicipality("2505", "Arvidsjaur", "25", {65.5920, 19.1800});
    AddMunicipality("2506", "Arjeplog", "25", {66.0514, 17.8867});
    AddArea("STHLM", {"0180", "0114"});
    AddArea("UPPS", {"0380", "0114"});
    AddArea("GBG", {"1480"});
    AddArea("NORR", {"2505"});
  }

  void AddMunicipality(const std::string& code, const std::string& name, const std::string& county,
                       GeoPoint location) {
    s_.municipalities[code] = MunicipalityInfo{code, name, county, location};
  }
  void AddArea(const std::string& id, std::set<std::string> codes) {
    s_.areas[id] = AreaInfo{id, id, std::move(codes)};
  }
  ProviderInfo& AddProvider(const std::string& org,
                            ProviderStatus status = ProviderStatus::kApproved) {
    ProviderInfo& p = s_.providers[org];
    p.organisation_number = org;
    p.name = "Provider " + org;
    p.status = status;
    p.languages = {"sv"};
    return p;
  }
  void AddContract(const std::string& org, const std::string& area,
                   absl::CivilDay start = absl::CivilDay(2024, 1, 1),
                   std::optional<absl::CivilDay> end = std::nullopt, int capacity = 0) {
    ContractInfo c;
    c.contract_id = "C" + std::to_string(s_.contracts.size() + 1);
    c.organisation_number = org;
    c.area_id = area;
    c.start = start;
    c.end = end;
    c.capacity = capacity;
    s_.contracts.push_back(c);
  }
  void AddOffice(const std::string& id, const std::string& org, GeoPoint location) {
    s_.offices.push_back(OfficeInfo{id, org, location});
  }
  // An approved provider with a contract for `area` and one office.
  void AddServing(const std::string& org, const std::string& area, GeoPoint office,
                  int capacity = 0) {
    AddProvider(org);
    AddContract(org, area, absl::CivilDay(2024, 1, 1), std::nullopt, capacity);
    AddOffice("O-" + org, org, office);
  }

  static std::vector<std::string> Orgs(const std::vector<ChoiceRow>& rows) {
    std::vector<std::string> orgs;
    for (const ChoiceRow& r : rows) orgs.push_back(r.organisation_number);
    return orgs;
  }

  std::vector<ChoiceRow> Search(const std::string& code, GeoPoint home, ChoiceOrder order,
                                ChoiceFilter filter = {}) {
    return SearchForChoice(s_, code, home, kDay, filter, order);
  }

  RegistrySnapshot s_;
};

// Points due north/south of Stockholm at a given distance in metres (along the meridian the
// distance is exactly R * dlat).
GeoPoint North(double metres) {
  return {kStockholm.latitude + metres / kRadius * 180 / kPiValue, kStockholm.longitude};
}
GeoPoint South(double metres) {
  return {kStockholm.latitude - metres / kRadius * 180 / kPiValue, kStockholm.longitude};
}

// --- ProvidersServing ---

TEST_F(ChoiceTest, OnlyApprovedProvidersServe) {
  const std::vector<std::pair<std::string, ProviderStatus>> providers{
      {"5560000001", ProviderStatus::kApproved},  {"5560000002", ProviderStatus::kApplied},
      {"5560000003", ProviderStatus::kSuspended}, {"5560000004", ProviderStatus::kTerminated},
      {"5560000005", ProviderStatus::kRejected},  {"5560000006", ProviderStatus::kApproved}};
  for (const auto& [org, status] : providers) {
    AddProvider(org, status);
    AddContract(org, "STHLM");
  }
  EXPECT_THAT(ProvidersServing(s_, "0180", kDay), ElementsAre("5560000001", "5560000006"));
}

TEST_F(ChoiceTest, ContractDatesAreInclusive) {
  AddProvider("5560000001");
  AddContract("5560000001", "STHLM", absl::CivilDay(2025, 3, 1), absl::CivilDay(2025, 3, 31));
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2025, 2, 28)), IsEmpty());
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2025, 3, 1)), ElementsAre("5560000001"));
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2025, 3, 31)), ElementsAre("5560000001"));
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2025, 4, 1)), IsEmpty());
}

TEST_F(ChoiceTest, OpenEndedContractServesIndefinitely) {
  AddProvider("5560000001");
  AddContract("5560000001", "STHLM", absl::CivilDay(2025, 3, 1));
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2025, 2, 28)), IsEmpty());
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2025, 3, 1)), ElementsAre("5560000001"));
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2040, 12, 31)),
              ElementsAre("5560000001"));
}

TEST_F(ChoiceTest, OnlyTheContractActiveOnTheDayCounts) {
  // Two contracts for the same provider: an ended one for STHLM, a current one for GBG.
  AddProvider("5560000001");
  AddContract("5560000001", "STHLM", absl::CivilDay(2024, 1, 1), absl::CivilDay(2024, 12, 31));
  AddContract("5560000001", "GBG", absl::CivilDay(2025, 1, 1));
  EXPECT_THAT(ProvidersServing(s_, "0180", kDay), IsEmpty());
  EXPECT_THAT(ProvidersServing(s_, "1480", kDay), ElementsAre("5560000001"));
  EXPECT_THAT(ProvidersServing(s_, "0180", absl::CivilDay(2024, 6, 1)), ElementsAre("5560000001"));
  EXPECT_THAT(ProvidersServing(s_, "1480", absl::CivilDay(2024, 6, 1)), IsEmpty());
}

TEST_F(ChoiceTest, AreaMustContainTheMunicipality) {
  AddProvider("5560000001");
  AddContract("5560000001", "STHLM");
  AddProvider("5560000002");
  AddContract("5560000002", "UPPS");
  AddProvider("5560000003");
  AddContract("5560000003", "NO-SUCH-AREA");
  EXPECT_THAT(ProvidersServing(s_, "0180", kDay), ElementsAre("5560000001"));
  EXPECT_THAT(ProvidersServing(s_, "0380", kDay), ElementsAre("5560000002"));
  EXPECT_THAT(ProvidersServing(s_, "0114", kDay), ElementsAre("5560000001", "5560000002"));
  EXPECT_THAT(ProvidersServing(s_, "1480", kDay), IsEmpty());
  EXPECT_THAT(ProvidersServing(s_, "9999", kDay), IsEmpty());
}

TEST_F(ChoiceTest, ProviderWithTwoCoveringContractsIsListedOnce) {
  AddProvider("5560000001");
  AddContract("5560000001", "STHLM");
  AddContract("5560000001", "UPPS");
  EXPECT_THAT(ProvidersServing(s_, "0114", kDay), ElementsAre("5560000001"));
  EXPECT_THAT(Orgs(Search("0114", kStockholm, ChoiceOrder::kDistance)), ElementsAre("5560000001"));
}

// --- SearchForChoice ---

TEST_F(ChoiceTest, LanguageFilterRequiresEveryLanguage) {
  AddServing("5560000001", "STHLM", North(1000));
  s_.providers["5560000001"].languages = {"sv", "ar"};
  AddServing("5560000002", "STHLM", North(2000));
  s_.providers["5560000002"].languages = {"sv", "ar", "so"};
  AddServing("5560000003", "STHLM", North(3000));
  s_.providers["5560000003"].languages = {"sv", "en"};

  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance, {{"ar"}, std::nullopt})),
              ElementsAre("5560000001", "5560000002"));
  EXPECT_THAT(
      Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance, {{"ar", "so"}, std::nullopt})),
      ElementsAre("5560000002"));
  EXPECT_THAT(
      Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance, {{"en", "so"}, std::nullopt})),
      IsEmpty());
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance, {{"sv"}, std::nullopt})),
              ElementsAre("5560000001", "5560000002", "5560000003"));
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance)),
              ElementsAre("5560000001", "5560000002", "5560000003"));
}

TEST_F(ChoiceTest, RemoteFilter) {
  AddServing("5560000001", "STHLM", North(1000));
  s_.providers["5560000001"].remote_delivery = true;
  AddServing("5560000002", "STHLM", North(2000));
  s_.providers["5560000002"].remote_delivery = false;
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance, {{}, true})),
              ElementsAre("5560000001"));
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance, {{}, false})),
              ElementsAre("5560000002"));
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance, {{}, std::nullopt})),
              ElementsAre("5560000001", "5560000002"));
}

TEST_F(ChoiceTest, SearchExcludesNonApprovedAndInactive) {
  AddServing("5560000001", "STHLM", North(1000));
  AddServing("5560000002", "STHLM", North(2000));
  s_.providers["5560000002"].status = ProviderStatus::kSuspended;
  AddProvider("5560000003");
  AddContract("5560000003", "STHLM", absl::CivilDay(2025, 3, 2));  // starts tomorrow
  AddOffice("O-3", "5560000003", North(10));
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance)), ElementsAre("5560000001"));
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kRating)), ElementsAre("5560000001"));
}

TEST_F(ChoiceTest, DistanceOrderUsesNearestOfficeAndPutsOfficelessLast) {
  // 5560000001: offices 5 km and 500 m away -> 500 m. 5560000002: 2 km. 5560000003: no office.
  // 5560000004: 2 km as well (tie with 0002, broken by organisation number).
  AddServing("5560000001", "STHLM", North(5000));
  AddOffice("O-1-near", "5560000001", South(500));
  AddServing("5560000002", "STHLM", North(2000));
  AddProvider("5560000003");
  AddContract("5560000003", "STHLM");
  AddServing("5560000004", "STHLM", South(2000));
  AddProvider("5560000000");  // also officeless; before 0003 by organisation number
  AddContract("5560000000", "STHLM");

  const std::vector<ChoiceRow> rows = Search("0180", kStockholm, ChoiceOrder::kDistance);
  ASSERT_THAT(Orgs(rows),
              ElementsAre("5560000001", "5560000002", "5560000004", "5560000000", "5560000003"));
  EXPECT_EQ(rows[0].nearest_office_id, "O-1-near");
  EXPECT_NEAR(rows[0].nearest_office_distance_m, 500, 1e-6);
  EXPECT_EQ(rows[1].nearest_office_id, "O-5560000002");
  EXPECT_NEAR(rows[1].nearest_office_distance_m, 2000, 1e-6);
  EXPECT_NEAR(rows[2].nearest_office_distance_m, 2000, 1e-6);
  EXPECT_EQ(rows[3].nearest_office_id, std::nullopt);
  EXPECT_EQ(rows[3].nearest_office_distance_m, -1);
  EXPECT_EQ(rows[4].nearest_office_id, std::nullopt);
  EXPECT_EQ(rows[4].nearest_office_distance_m, -1);
}

TEST_F(ChoiceTest, NearestOfficeMayLieOutsideTheArea) {
  // Offices are not tied to areas: a Göteborg office of a Stockholm-area provider still counts.
  AddServing("5560000001", "STHLM", kGoteborg);
  const std::vector<ChoiceRow> rows = Search("0180", kStockholm, ChoiceOrder::kDistance);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(rows[0].nearest_office_distance_m, ChordDistance(kStockholm, kGoteborg), 1e-3);
}

TEST_F(ChoiceTest, RatingOrder) {
  // stars: 0001 3★ 3 km; 0002 4★ 9 km; 0003 unrated 100 m; 0004 3★ 1 km; 0005 3★ 1 km (tie with
  // 0004 on stars and distance); 0006 1★ no office; 0007 1★ 8 km; 0008 unrated no office;
  // 0009 unrated 5 km.
  AddServing("5560000001", "STHLM", North(3000));
  s_.providers["5560000001"].stars = 3;
  AddServing("5560000002", "STHLM", North(9000));
  s_.providers["5560000002"].stars = 4;
  AddServing("5560000003", "STHLM", North(100));
  AddServing("5560000004", "STHLM", North(1000));
  s_.providers["5560000004"].stars = 3;
  AddServing("5560000005", "STHLM", South(1000));
  s_.providers["5560000005"].stars = 3;
  AddProvider("5560000006").stars = 1;
  AddContract("5560000006", "STHLM");
  AddServing("5560000007", "STHLM", North(8000));
  s_.providers["5560000007"].stars = 1;
  AddProvider("5560000008");
  AddContract("5560000008", "STHLM");
  AddServing("5560000009", "STHLM", North(5000));

  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kRating)),
              ElementsAre("5560000002", "5560000004", "5560000005", "5560000001", "5560000007",
                          "5560000006", "5560000003", "5560000009", "5560000008"));
  EXPECT_THAT(Orgs(Search("0180", kStockholm, ChoiceOrder::kDistance)),
              ElementsAre("5560000003", "5560000004", "5560000005", "5560000001", "5560000009",
                          "5560000007", "5560000002", "5560000006", "5560000008"));
}

TEST_F(ChoiceTest, SearchInWhiteSpotIsEmpty) {
  AddServing("5560000001", "STHLM", North(1000));
  EXPECT_THAT(Search("2506", {66.0514, 17.8867}, ChoiceOrder::kRating), IsEmpty());
  EXPECT_THAT(Search("2506", {66.0514, 17.8867}, ChoiceOrder::kDistance), IsEmpty());
}

// --- WhiteSpots ---

TEST_F(ChoiceTest, WhiteSpotsWithoutAnyProviderAreAllMunicipalities) {
  EXPECT_THAT(WhiteSpots(s_, kDay), ElementsAre("0114", "0180", "0380", "1480", "2505", "2506"));
}

TEST_F(ChoiceTest, WhiteSpotsAndCountyFilter) {
  AddServing("5560000001", "STHLM", North(1000));        // 0180, 0114
  AddServing("5560000002", "NORR", {65.5920, 19.1800});  // 2505
  EXPECT_THAT(WhiteSpots(s_, kDay), ElementsAre("0380", "1480", "2506"));
  EXPECT_THAT(WhiteSpots(s_, kDay, "01"), IsEmpty());
  EXPECT_THAT(WhiteSpots(s_, kDay, "25"), ElementsAre("2506"));
  EXPECT_THAT(WhiteSpots(s_, kDay, "14"), ElementsAre("1480"));
  EXPECT_THAT(WhiteSpots(s_, kDay, "99"), IsEmpty());
}

TEST_F(ChoiceTest, SuspendedProviderMakesItsMunicipalitiesWhite) {
  AddServing("5560000001", "STHLM", North(1000));
  AddServing("5560000002", "UPPS", {59.8586, 17.6389});
  EXPECT_THAT(WhiteSpots(s_, kDay, "01"), IsEmpty());
  s_.providers["5560000001"].status = ProviderStatus::kSuspended;
  // 0114 is still served through UPPS; 0180 only had 0001.
  EXPECT_THAT(WhiteSpots(s_, kDay, "01"), ElementsAre("0180"));
  s_.providers["5560000002"].status = ProviderStatus::kTerminated;
  EXPECT_THAT(WhiteSpots(s_, kDay, "01"), ElementsAre("0114", "0180"));
}

TEST_F(ChoiceTest, WhiteSpotsFollowContractDates) {
  AddProvider("5560000001");
  AddContract("5560000001", "GBG", absl::CivilDay(2025, 1, 1), absl::CivilDay(2025, 3, 1));
  EXPECT_THAT(WhiteSpots(s_, absl::CivilDay(2024, 12, 31), "14"), ElementsAre("1480"));
  EXPECT_THAT(WhiteSpots(s_, absl::CivilDay(2025, 3, 1), "14"), IsEmpty());
  EXPECT_THAT(WhiteSpots(s_, absl::CivilDay(2025, 3, 2), "14"), ElementsAre("1480"));
}

// --- FindNearest ---

TEST_F(ChoiceTest, NearestOfficeWins) {
  AddServing("5560000001", "STHLM", North(3000));
  AddServing("5560000002", "STHLM", North(2000));
  AddOffice("O-2-far", "5560000002", kGoteborg);
  AddServing("5560000003", "STHLM", South(2500));
  const auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000002");
  EXPECT_EQ(result->office_id, "O-5560000002");
  EXPECT_EQ(result->area_id, "STHLM");
  EXPECT_NEAR(result->distance_m, 2000, 1e-6);
  EXPECT_EQ(result->tie_break, TieBreak::kNone);
  EXPECT_THAT(result->tied_with, IsEmpty());
  EXPECT_THAT(result->skipped_for_capacity, IsEmpty());
}

TEST_F(ChoiceTest, NearestReportsTheAreaCoveringTheHome) {
  AddServing("5560000001", "UPPS", North(3000));
  AddServing("5560000002", "STHLM", North(4000));
  const auto result = FindNearest(s_, "0114", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000001");
  EXPECT_EQ(result->area_id, "UPPS");
}

TEST_F(ChoiceTest, TieWithinOneMetreBrokenByFewestAssignments) {
  AddServing("5560000001", "STHLM", North(2000));
  AddServing("5560000002", "STHLM", South(2000.6));  // 0.6 m farther: still a tie
  AddServing("5560000003", "STHLM", North(2000.9));  // within 1 m of the nearest
  AddServing("5560000004", "STHLM", North(2001.5));  // 1.5 m: not tied
  s_.assignments["5560000001|STHLM"] = 5;
  s_.assignments["5560000002|STHLM"] = 2;
  s_.assignments["5560000003|STHLM"] = 3;
  s_.assignments["5560000002|UPPS"] = 99;  // another area does not count
  s_.assignments["5560000004|STHLM"] = 0;
  const auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000002");
  EXPECT_EQ(result->tie_break, TieBreak::kFewestAssignments);
  EXPECT_THAT(result->tied_with, ElementsAre("5560000001", "5560000003"));
  EXPECT_NEAR(result->distance_m, 2000.6, 1e-6);
  EXPECT_THAT(result->skipped_for_capacity, IsEmpty());
}

TEST_F(ChoiceTest, TieWithEqualAssignmentsBrokenByOrganisationNumber) {
  AddServing("5560000009", "STHLM", North(2000));
  AddServing("5560000003", "STHLM", South(2000));
  AddServing("5560000005", "STHLM", North(2000.5));
  AddServing("5560000001", "STHLM", North(2000.5));
  s_.assignments["5560000009|STHLM"] = 1;
  s_.assignments["5560000003|STHLM"] = 1;
  s_.assignments["5560000005|STHLM"] = 1;
  s_.assignments["5560000001|STHLM"] = 4;  // lowest number, but more assignments
  const auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000003");
  EXPECT_EQ(result->tie_break, TieBreak::kOrganisationNumber);
  EXPECT_THAT(result->tied_with, ElementsAre("5560000001", "5560000005", "5560000009"));
}

TEST_F(ChoiceTest, MoreThanOneMetreIsNoTie) {
  AddServing("5560000002", "STHLM", North(2000));
  AddServing("5560000001", "STHLM", South(2001.2));
  s_.assignments["5560000002|STHLM"] = 10;
  const auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000002");
  EXPECT_EQ(result->tie_break, TieBreak::kNone);
  EXPECT_THAT(result->tied_with, IsEmpty());
}

TEST_F(ChoiceTest, CapacityReachedIsSkippedAndReported) {
  AddServing("5560000001", "STHLM", North(1000), /*capacity=*/3);
  AddServing("5560000002", "STHLM", North(1500), /*capacity=*/2);
  AddServing("5560000003", "STHLM", North(2000), /*capacity=*/2);
  AddServing("5560000004", "STHLM", North(3000), /*capacity=*/1);  // full but farther
  AddServing("5560000005", "STHLM", North(4000), /*capacity=*/0);  // no limit
  s_.assignments["5560000001|STHLM"] = 3;                          // full
  s_.assignments["5560000002|STHLM"] = 7;                          // over full
  s_.assignments["5560000003|STHLM"] = 1;                          // room for one more
  s_.assignments["5560000004|STHLM"] = 1;
  s_.assignments["5560000005|STHLM"] = 1000;
  auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000003");
  EXPECT_THAT(result->skipped_for_capacity, ElementsAre("5560000001", "5560000002"));
  EXPECT_EQ(result->tie_break, TieBreak::kNone);

  s_.assignments["5560000003|STHLM"] = 2;  // now full too: the unlimited one is chosen
  result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000005");
  EXPECT_THAT(result->skipped_for_capacity,
              ElementsAre("5560000001", "5560000002", "5560000003", "5560000004"));
}

TEST_F(ChoiceTest, FullProviderDoesNotTakePartInTheTie) {
  AddServing("5560000001", "STHLM", North(2000), /*capacity=*/1);
  AddServing("5560000002", "STHLM", South(2000.5));
  AddServing("5560000003", "STHLM", South(2000.7));
  s_.assignments["5560000001|STHLM"] = 1;
  s_.assignments["5560000002|STHLM"] = 4;
  s_.assignments["5560000003|STHLM"] = 4;
  const auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000002");
  EXPECT_EQ(result->tie_break, TieBreak::kOrganisationNumber);
  EXPECT_THAT(result->tied_with, ElementsAre("5560000003"));
  EXPECT_THAT(result->skipped_for_capacity, ElementsAre("5560000001"));
}

TEST_F(ChoiceTest, CapacityIsPerArea) {
  // 0001 is full in STHLM but has room in UPPS; both cover Upplands Väsby (0114).
  AddServing("5560000001", "STHLM", North(1000), /*capacity=*/2);
  AddContract("5560000001", "UPPS", absl::CivilDay(2024, 1, 1), std::nullopt, 2);
  AddServing("5560000002", "STHLM", North(2000));
  s_.assignments["5560000001|STHLM"] = 2;
  s_.assignments["5560000001|UPPS"] = 1;
  auto result = FindNearest(s_, "0114", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000001");
  EXPECT_EQ(result->area_id, "UPPS");
  EXPECT_THAT(result->skipped_for_capacity, IsEmpty());
  // In Stockholm (0180) only the STHLM contract covers the home: 0001 is full there.
  result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000002");
  EXPECT_THAT(result->skipped_for_capacity, ElementsAre("5560000001"));
}

TEST_F(ChoiceTest, AllFullIsNotFound) {
  AddServing("5560000001", "STHLM", North(1000), /*capacity=*/1);
  AddServing("5560000002", "STHLM", North(2000), /*capacity=*/2);
  s_.assignments["5560000001|STHLM"] = 1;
  s_.assignments["5560000002|STHLM"] = 2;
  const auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ChoiceTest, ExcludedProvidersAreSkipped) {
  AddServing("5560000001", "STHLM", North(1000));
  AddServing("5560000002", "STHLM", North(2000));
  AddServing("5560000003", "STHLM", North(3000));
  auto result = FindNearest(s_, "0180", kStockholm, kDay, {"5560000001"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000002");
  EXPECT_THAT(result->skipped_for_capacity, IsEmpty());
  result = FindNearest(s_, "0180", kStockholm, kDay, {"5560000002", "5560000001", "9999999999"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000003");
  result = FindNearest(s_, "0180", kStockholm, kDay, {"5560000001", "5560000002", "5560000003"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ChoiceTest, ProviderWithoutOfficeIsNeverChosen) {
  AddProvider("5560000001");
  AddContract("5560000001", "STHLM");
  auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  AddServing("5560000002", "STHLM", kGoteborg);  // far away, but has an office
  result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000002");
  EXPECT_EQ(result->tie_break, TieBreak::kNone);
}

TEST_F(ChoiceTest, NearestIgnoresNonApprovedAndInactive) {
  AddServing("5560000001", "STHLM", North(100));
  s_.providers["5560000001"].status = ProviderStatus::kSuspended;
  AddServing("5560000002", "STHLM", North(200));
  s_.providers["5560000002"].status = ProviderStatus::kApplied;
  AddProvider("5560000003");
  AddContract("5560000003", "STHLM", absl::CivilDay(2024, 1, 1), absl::CivilDay(2025, 2, 28));
  AddOffice("O-3", "5560000003", North(300));
  AddServing("5560000004", "STHLM", North(5000));
  const auto result = FindNearest(s_, "0180", kStockholm, kDay, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->organisation_number, "5560000004");
}

TEST_F(ChoiceTest, WhiteSpotIsNotFound) {
  AddServing("5560000001", "STHLM", North(1000));
  const auto result = FindNearest(s_, "2506", {66.0514, 17.8867}, kDay, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindNearest(s_, "9999", kStockholm, kDay, {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RuleVersionTest, IsProximityOne) { EXPECT_STREQ(kProximityRuleVersion, "proximity/1"); }

// ---------------------------------------------------------------------------------------------
// Randomized cross-check against a brute-force computation

class Random {
 public:
  explicit Random(uint32_t seed) : rng_(seed) {}
  double Uniform(double lo, double hi) { return lo + (hi - lo) * (rng_() / 4294967296.0); }
  int Int(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  bool Chance(double p) { return Uniform(0, 1) < p; }

 private:
  std::mt19937 rng_;
};

struct Place {
  const char* code;
  double lat;
  double lon;
};
constexpr Place kPlaces[] = {
    {"0180", 59.3293, 18.0686}, {"1480", 57.7089, 11.9746}, {"1280", 55.6050, 13.0038},
    {"0380", 59.8586, 17.6389}, {"1980", 59.6099, 16.5448}, {"1880", 59.2741, 15.2066},
    {"0580", 58.4108, 15.6214}, {"1283", 56.0465, 12.6945}, {"0680", 57.7826, 14.1618},
    {"0581", 58.5877, 16.1924}, {"1281", 55.7047, 13.1910}, {"2480", 63.8258, 20.2630},
    {"2180", 60.6749, 17.1413}, {"1490", 57.7210, 12.9401}, {"2281", 62.3908, 17.3069},
    {"2580", 65.5848, 22.1547}, {"2584", 67.8558, 20.2253}, {"2380", 63.1792, 14.6357},
    {"1780", 59.4022, 13.5115}, {"0780", 56.8777, 14.8091}, {"2506", 66.0514, 17.8867},
};
constexpr int kPlaceCount = sizeof(kPlaces) / sizeof(kPlaces[0]);

RegistrySnapshot RandomSnapshot(Random& r) {
  RegistrySnapshot s;
  for (const Place& p : kPlaces) {
    s.municipalities[p.code] =
        MunicipalityInfo{p.code, p.code, std::string(p.code).substr(0, 2), {p.lat, p.lon}};
  }
  for (int a = 0; a < 6; ++a) {
    AreaInfo area{"AREA-" + std::to_string(a), "Area", {}};
    const int size = 2 + r.Int(6);
    for (int i = 0; i < size; ++i) area.municipality_codes.insert(kPlaces[r.Int(kPlaceCount)].code);
    s.areas[area.area_id] = area;
  }
  const std::vector<std::string> languages{"sv", "en", "ar", "so", "fi"};
  std::vector<std::string> orgs;
  for (int i = 0; i < 30; ++i) {
    ProviderInfo p;
    p.organisation_number = std::to_string(5560100000LL + 37 * (29 - i));  // not in input order
    p.name = "P" + std::to_string(i);
    const int status = r.Int(10);
    p.status = status < 7    ? ProviderStatus::kApproved
               : status == 7 ? ProviderStatus::kSuspended
               : status == 8 ? ProviderStatus::kApplied
                             : ProviderStatus::kTerminated;
    for (const std::string& l : languages) {
      if (l == "sv" || r.Chance(0.35)) p.languages.insert(l);
    }
    p.remote_delivery = r.Chance(0.5);
    if (r.Chance(0.75)) p.stars = 1 + r.Int(4);
    orgs.push_back(p.organisation_number);
    s.providers[p.organisation_number] = p;
  }
  int contract_number = 0;
  for (const std::string& org : orgs) {
    const int contracts = r.Int(4);
    for (int c = 0; c < contracts; ++c) {
      ContractInfo contract;
      contract.contract_id = "K" + std::to_string(++contract_number);
      contract.organisation_number = org;
      // Sometimes an area that does not exist.
      contract.area_id = r.Chance(0.05) ? "AREA-X" : "AREA-" + std::to_string(r.Int(6));
      contract.start = absl::CivilDay(2023, 6, 1) + r.Int(900);
      if (r.Chance(0.6)) contract.end = contract.start + r.Int(700);
      contract.capacity = r.Chance(0.5) ? 0 : 1 + r.Int(4);
      s.contracts.push_back(contract);
      if (r.Chance(0.8)) {
        s.assignments[org + "|" + contract.area_id] = r.Int(6);
      }
    }
  }
  // 120 office sites near the places; 200 offices placed on them, so that offices of different
  // providers often share a site (exact distance ties).
  std::vector<GeoPoint> sites;
  for (int i = 0; i < 120; ++i) {
    const Place& p = kPlaces[r.Int(kPlaceCount)];
    sites.push_back({p.lat + r.Uniform(-0.3, 0.3), p.lon + r.Uniform(-0.5, 0.5)});
  }
  for (int i = 0; i < 200; ++i) {
    // Providers with an index divisible by 7 get no office.
    int provider = r.Int(30);
    while (provider % 7 == 0) provider = r.Int(30);
    s.offices.push_back(
        OfficeInfo{"OF" + std::to_string(1000 - i), orgs[provider], sites[r.Int(120)]});
  }
  return s;
}

// --- The brute force, straight from the header's words ---

bool BruteCovers(const RegistrySnapshot& s, const ContractInfo& c, const std::string& code,
                 absl::CivilDay day) {
  if (c.start > day) return false;
  if (c.end.has_value() && *c.end < day) return false;
  auto area = s.areas.find(c.area_id);
  return area != s.areas.end() && area->second.municipality_codes.count(code) > 0;
}

bool BruteServes(const RegistrySnapshot& s, const ProviderInfo& p, const std::string& code,
                 absl::CivilDay day) {
  if (p.status != ProviderStatus::kApproved) return false;
  for (const ContractInfo& c : s.contracts) {
    if (c.organisation_number == p.organisation_number && BruteCovers(s, c, code, day)) return true;
  }
  return false;
}

// Nearest office: (distance, office id), or none.
std::optional<std::pair<double, std::string>> BruteNearestOffice(const RegistrySnapshot& s,
                                                                 const std::string& org,
                                                                 const GeoPoint& home) {
  std::optional<std::pair<double, std::string>> best;
  for (const OfficeInfo& o : s.offices) {
    if (o.organisation_number != org) continue;
    std::pair<double, std::string> candidate{ChordDistance(home, o.location), o.office_id};
    if (!best || candidate < *best) best = candidate;
  }
  return best;
}

struct BruteRow {
  std::string org;
  std::optional<std::pair<double, std::string>> office;
  int stars_key;  // lower sorts first: -stars, or 1 when unrated
};

std::vector<BruteRow> BruteSearch(const RegistrySnapshot& s, const std::string& code,
                                  const GeoPoint& home, absl::CivilDay day,
                                  const ChoiceFilter& filter, ChoiceOrder order) {
  std::vector<BruteRow> rows;
  for (const auto& [org, p] : s.providers) {
    if (!BruteServes(s, p, code, day)) continue;
    bool languages_ok = true;
    for (const std::string& l : filter.languages) {
      if (p.languages.find(l) == p.languages.end()) languages_ok = false;
    }
    if (!languages_ok) continue;
    if (filter.remote_delivery.has_value() && p.remote_delivery != *filter.remote_delivery) {
      continue;
    }
    rows.push_back({org, BruteNearestOffice(s, org, home), p.stars ? -*p.stars : 1});
  }
  auto key = [&](const BruteRow& row) {
    const double distance =
        row.office ? row.office->first : std::numeric_limits<double>::infinity();
    return std::make_tuple(order == ChoiceOrder::kRating ? row.stars_key : 0, distance, row.org);
  };
  std::sort(rows.begin(), rows.end(),
            [&](const BruteRow& a, const BruteRow& b) { return key(a) < key(b); });
  return rows;
}

struct BruteNearest {
  bool found = false;
  std::string org;
  std::string area;
  std::string office;
  double distance = 0;
  TieBreak tie_break = TieBreak::kNone;
  std::vector<std::string> tied_with;
  std::vector<std::string> skipped;
};

BruteNearest BruteFindNearest(const RegistrySnapshot& s, const std::string& code,
                              const GeoPoint& home, absl::CivilDay day,
                              const std::vector<std::string>& excluded) {
  struct Entry {
    std::string org;
    double distance;
    std::string office;
    std::optional<std::string> open_area;  // lowest area id with room
  };
  std::vector<Entry> entries;
  for (const auto& [org, p] : s.providers) {
    if (std::find(excluded.begin(), excluded.end(), org) != excluded.end()) continue;
    if (!BruteServes(s, p, code, day)) continue;
    const auto office = BruteNearestOffice(s, org, home);
    if (!office) continue;
    std::optional<std::string> open_area;
    for (const ContractInfo& c : s.contracts) {
      if (c.organisation_number != org || !BruteCovers(s, c, code, day)) continue;
      auto it = s.assignments.find(org + "|" + c.area_id);
      const int used = it == s.assignments.end() ? 0 : it->second;
      const bool room = c.capacity == 0 || used < c.capacity;
      if (room && (!open_area || c.area_id < *open_area)) open_area = c.area_id;
    }
    entries.push_back({org, office->first, office->second, open_area});
  }
  BruteNearest out;
  double nearest_open = std::numeric_limits<double>::infinity();
  for (const Entry& e : entries) {
    if (e.open_area) nearest_open = std::min(nearest_open, e.distance);
  }
  if (nearest_open == std::numeric_limits<double>::infinity()) return out;
  out.found = true;

  auto used_in = [&](const Entry& e) {
    auto it = s.assignments.find(e.org + "|" + *e.open_area);
    return it == s.assignments.end() ? 0 : it->second;
  };
  std::vector<const Entry*> tied;
  std::vector<std::pair<double, std::string>> skipped;
  for (const Entry& e : entries) {
    if (e.distance > nearest_open + 1.0) continue;
    if (e.open_area) {
      tied.push_back(&e);
    } else {
      skipped.push_back({e.distance, e.org});
    }
  }
  std::sort(skipped.begin(), skipped.end());
  for (const auto& [d, org] : skipped) out.skipped.push_back(org);

  const Entry* winner = tied[0];
  for (const Entry* e : tied) {
    if (std::make_pair(used_in(*e), e->org) < std::make_pair(used_in(*winner), winner->org)) {
      winner = e;
    }
  }
  if (tied.size() > 1) {
    int with_same_count = 0;
    for (const Entry* e : tied) with_same_count += used_in(*e) == used_in(*winner) ? 1 : 0;
    out.tie_break =
        with_same_count > 1 ? TieBreak::kOrganisationNumber : TieBreak::kFewestAssignments;
    for (const Entry* e : tied) {
      if (e != winner) out.tied_with.push_back(e->org);
    }
    std::sort(out.tied_with.begin(), out.tied_with.end());
  }
  out.org = winner->org;
  out.area = *winner->open_area;
  out.office = winner->office;
  out.distance = winner->distance;
  return out;
}

TEST(RandomizedCrossCheckTest, SearchAndNearestMatchBruteForce) {
  Random r(20250301);
  int found = 0, not_found = 0, ties = 0, capacity_skips = 0, nonempty_searches = 0;
  for (int snapshot_number = 0; snapshot_number < 10; ++snapshot_number) {
    const RegistrySnapshot s = RandomSnapshot(r);

    // White spots: a municipality is white when no provider serves it by the brute force.
    for (const std::string county : {"", "01", "25", "14"}) {
      std::vector<std::string> expected;
      for (const auto& [code, m] : s.municipalities) {
        if (!county.empty() && m.county_code != county) continue;
        bool served = false;
        for (const auto& [org, p] : s.providers)
          served = served || BruteServes(s, p, code, absl::CivilDay(2025, 1, 1));
        if (!served) expected.push_back(code);
      }
      EXPECT_EQ(WhiteSpots(s, absl::CivilDay(2025, 1, 1), county), expected);
    }

    for (int query = 0; query < 60; ++query) {
      const Place& place = kPlaces[r.Int(kPlaceCount)];
      const GeoPoint home{place.lat + r.Uniform(-0.2, 0.2), place.lon + r.Uniform(-0.3, 0.3)};
      const absl::CivilDay day = absl::CivilDay(2024, 1, 1) + r.Int(730);
      SCOPED_TRACE(testing::Message() << "snapshot " << snapshot_number << " query " << query
                                      << " municipality " << place.code << " day " << day);

      ChoiceFilter filter;
      if (r.Chance(0.3)) filter.languages.push_back(r.Chance(0.5) ? "en" : "ar");
      if (r.Chance(0.1)) filter.languages.push_back("sv");
      if (r.Chance(0.3)) filter.remote_delivery = r.Chance(0.5);

      for (ChoiceOrder order : {ChoiceOrder::kDistance, ChoiceOrder::kRating}) {
        const std::vector<ChoiceRow> rows =
            SearchForChoice(s, place.code, home, day, filter, order);
        const std::vector<BruteRow> expected = BruteSearch(s, place.code, home, day, filter, order);
        ASSERT_EQ(rows.size(), expected.size());
        nonempty_searches += rows.empty() ? 0 : 1;
        for (size_t i = 0; i < rows.size(); ++i) {
          EXPECT_EQ(rows[i].organisation_number, expected[i].org) << "row " << i;
          if (expected[i].office) {
            EXPECT_EQ(rows[i].nearest_office_id, expected[i].office->second) << "row " << i;
            EXPECT_NEAR(rows[i].nearest_office_distance_m, expected[i].office->first, 1e-3);
          } else {
            EXPECT_EQ(rows[i].nearest_office_id, std::nullopt) << "row " << i;
            EXPECT_EQ(rows[i].nearest_office_distance_m, -1) << "row " << i;
          }
        }
      }
      // ProvidersServing is the unfiltered search's membership, in organisation-number order.
      std::vector<std::string> serving;
      for (const auto& [org, p] : s.providers) {
        if (BruteServes(s, p, place.code, day)) serving.push_back(org);
      }
      EXPECT_EQ(ProvidersServing(s, place.code, day), serving);

      // Exclude up to two of the serving providers now and then.
      std::vector<std::string> excluded;
      if (!serving.empty() && r.Chance(0.3)) excluded.push_back(serving[r.Int(serving.size())]);
      if (!serving.empty() && r.Chance(0.1)) excluded.push_back(serving[r.Int(serving.size())]);

      const auto result = FindNearest(s, place.code, home, day, excluded);
      const BruteNearest expected = BruteFindNearest(s, place.code, home, day, excluded);
      ASSERT_EQ(result.ok(), expected.found) << result.status();
      if (!result.ok()) {
        EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
        ++not_found;
        continue;
      }
      ++found;
      ties += expected.tie_break != TieBreak::kNone ? 1 : 0;
      capacity_skips += expected.skipped.empty() ? 0 : 1;
      EXPECT_EQ(result->organisation_number, expected.org);
      EXPECT_EQ(result->area_id, expected.area);
      EXPECT_EQ(result->office_id, expected.office);
      EXPECT_NEAR(result->distance_m, expected.distance, 1e-3);
      EXPECT_EQ(result->tie_break, expected.tie_break);
      EXPECT_EQ(result->tied_with, expected.tied_with);
      EXPECT_EQ(result->skipped_for_capacity, expected.skipped);
    }
  }
  // The random data must actually exercise every branch.
  EXPECT_GT(found, 50);
  EXPECT_GT(not_found, 20);
  EXPECT_GT(ties, 5);
  EXPECT_GT(capacity_skips, 5);
  EXPECT_GT(nonempty_searches, 100);
  RecordProperty("found", found);
  RecordProperty("not_found", not_found);
  RecordProperty("ties", ties);
  RecordProperty("capacity_skips", capacity_skips);
}

}  // namespace
}  // namespace rusta::registry
