// The provider registry's read path over mutual TLS against the trivial echo baseline (issue 4,
// "Tests and benchmark"): the choice search (SearchProviders) and the proximity rule
// (FindNearestProvider, dry run) with 300 providers, 2,000 offices and all 290 municipalities
// loaded; the same closed-loop load generator and load options for every run, in the same run,
//   echo, SearchProviders, FindNearestProvider, echo
// so that drift of this shared machine shows; plus the memory the registry takes in Redis.
//
// Everything is in this one process plus one redis-server: the load generator (client), the echo
// host, the registry host (RegistryHandler with the common and registry Redis function libraries,
// the reference data of RUSTA_SHARED_DATA_DIR, the system clock) and Redis all share the
// machine's cores, so every figure includes the client's own cost.
//
// The data is put in through the gRPC API as admin, so it is what the service itself stored:
//  - providers with valid organisation numbers (Luhn check digit computed here, third digit >= 2)
//    and an admission that passes (2-3 references, credit rating >= 40, no payment remarks),
//    then approved;
//  - 40 delivery areas: one per county (21) and multi-county ones (two neighbouring counties in
//    code order), every one leaving out the same ~5 % of municipalities, which stay white spots;
//  - one or two contracts per provider, active today (some open-ended, some ending within two
//    years; every third with a default-assignment capacity);
//  - offices spread over the municipalities each provider's areas cover, a few km around the
//    municipality's point (municipality_coordinates.csv), with a real postal code of that
//    municipality (postal_to_municipality.csv).
// Every load call is checked against an independent computation from what was put in: the
// search's total and its nearest distance, the proximity rule's distance (haversine here).
//
//   registry_bench [--duration-ms=3000] [--warmup-ms=500] [--in-flight=64] [--channels=4]
//                  [--providers=300] [--offices=2000] [--after-reservation=0]
// --after-reservation=1 adds, after those four runs, one FindNearestProvider that reserves capacity
// (as the case flow does) and one more SearchProviders run: the assignment counts then differ from
// those of the cached snapshot.
// Exits non-zero if any call failed (population or load). No timing is asserted.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/lua/common_library.h"
#include "common/log/log.h"
#include "common/redis/redis_connection.h"
#include "common/server/clock.h"
#include "common/server/service_host.h"
#include "rusta/v1/provider_registry.grpc.pb.h"
#include "services/provider-registry/reference_data.h"
#include "services/provider-registry/registry_handler.h"
#include "tests/bench/echo.grpc.pb.h"
#include "tests/bench/support/echo_service.h"
#include "common/server/proto_convert.h"
#include "tests/bench/support/bench_figures.h"
#include "tests/bench/support/bench_flags.h"
#include "tests/bench/support/load_generator.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"

namespace rusta::lua {
const redis::FunctionLibrary& RegistryLibrary();
}

namespace {

using rusta::bench::Info;
using rusta::bench::InfoField;
using rusta::bench::PrintCommandStats;
using rusta::bench::ProcessCpuSeconds;
using rusta::bench::RedisCpuSeconds;
using rusta::bench::UsedMemory;
using rusta::bench::WaitHealthy;

namespace v1 = rusta::v1;
using rusta::bench::EchoRequest;
using rusta::bench::EchoResponse;
using rusta::bench::EchoService;
using Stub = v1::ProviderRegistryService::Stub;

constexpr int kAreas = 40;
constexpr int kPageSize = 20;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Flags {
  rusta::bench::LoadOptions load;
  int providers = 300;
  int offices = 2000;
  int after_reservation = 0;  // 1: one more SearchProviders run after one capacity reservation
};


Flags ParseFlags(int argc, char** argv) {
  Flags f;
  rusta::bench::ParseBenchFlags(argc, argv, &f.load, {{"--providers", 1, &f.providers}, {"--offices", 0, &f.offices}, {"--after-reservation", 0, &f.after_reservation}});
  if (f.providers > 899999) {
    std::fprintf(stderr, "--providers: at most 899999\n");
    std::exit(2);
  }
  return f;
}

// A valid organisationsnummer: "55" + a third digit >= 2 ("556"), a 6-digit serial, and the Luhn
// check digit over the first nine digits (weights 2,1,2,...), computed here independently of
// common/validation.
std::string OrganisationNumber(int serial) {
  const std::string nine = absl::StrFormat("556%06d", 100000 + serial);
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    const int d = (nine[static_cast<size_t>(i)] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return absl::StrCat(nine, (10 - sum % 10) % 10);
}

// Great-circle distance (haversine, mean Earth radius), independent of the service's geo.cc.
double HaversineMeters(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) {
  constexpr double kRadius = 6371008.8, kRad = 3.14159265358979323846 / 180.0;
  const double lat1 = lat1_deg * kRad, lat2 = lat2_deg * kRad;
  const double dlat = (lat2_deg - lat1_deg) * kRad, dlon = (lon2_deg - lon1_deg) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1) * std::cos(lat2) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kRadius * std::asin(std::sqrt(std::min(1.0, std::max(0.0, h))));
}








// MEMORY USAGE of every key, by group: each registry:* key on its own, the rest by first segment.
void PrintKeyMemory(rusta::redis::RedisConnection& redis, const char* indent) {
  std::map<std::string, std::pair<int64_t, int64_t>> groups;  // name -> (keys, bytes)
  std::string cursor = "0";
  do {
    auto scan = redis.Command({"SCAN", cursor, "COUNT", "1000"});
    if (!scan.ok() || !scan->is_array() || scan->size() != 2) break;
    cursor = (*scan)[0].str;
    std::vector<std::vector<std::string>> usage;
    std::vector<std::string> keys;
    for (const auto& k : (*scan)[1].elements) {
      keys.push_back(k.str);
      usage.push_back({"MEMORY", "USAGE", k.str, "SAMPLES", "0"});
    }
    if (usage.empty()) continue;
    auto replies = redis.Pipeline(usage);
    if (!replies.ok()) break;
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string group = absl::StartsWith(keys[i], "registry:")
                              ? keys[i]
                              : std::string(keys[i].substr(0, keys[i].find(':'))) + ":*";
      auto& g = groups[group];
      g.first += 1;
      g.second += (*replies)[i].integer;
    }
  } while (cursor != "0");
  int64_t total = 0;
  for (const auto& [name, g] : groups) {
    std::printf("%s%-44s %6lld keys %10.1f KiB\n", indent, name.c_str(), static_cast<long long>(g.first),
                static_cast<double>(g.second) / 1024.0);
    total += g.second;
  }
  std::printf("%s%-44s %6s      %10.1f KiB (MEMORY USAGE, without the keyspace's own overhead)\n", indent,
              "sum", "", static_cast<double>(total) / 1024.0);
}

struct Measured {
  rusta::bench::LoadResult result;
  double process_cpu_s = 0;  // this process (client + both hosts), whole run incl. warm-up
  double redis_cpu_s = 0;    // redis-server, whole run incl. warm-up
  double wall_s = 0;
  int64_t issued = 0;        // calls started, warm-up and drain included
};

Measured Run(const rusta::bench::LoadOptions& load, const rusta::bench::StartCall& start_call,
             rusta::redis::RedisConnection& stats) {
  Measured m;
  std::atomic<int64_t> issued{0};
  const double cpu0 = ProcessCpuSeconds(), redis0 = RedisCpuSeconds(stats);
  const auto t0 = std::chrono::steady_clock::now();
  m.result = rusta::bench::RunLoad(load, [&](int channel, int64_t index, rusta::bench::CallDone done) {
    issued.fetch_add(1, std::memory_order_relaxed);
    start_call(channel, index, std::move(done));
  });
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.process_cpu_s = ProcessCpuSeconds() - cpu0;
  m.redis_cpu_s = RedisCpuSeconds(stats) - redis0;
  m.issued = issued.load();
  return m;
}

void Print(const std::string& name, const Measured& m) {
  std::printf("%s\n", rusta::bench::FormatResult(name, m.result).c_str());
  std::printf("    cpu over %.2f s wall (incl. warm-up): this process %.2f s (%.0f%% of one core), "
              "redis-server %.2f s (%.0f%%); %.0f us process cpu per call\n",
              m.wall_s, m.process_cpu_s, 100.0 * m.process_cpu_s / m.wall_s, m.redis_cpu_s,
              100.0 * m.redis_cpu_s / m.wall_s,
              m.issued > 0 ? 1e6 * m.process_cpu_s / static_cast<double>(m.issued) : 0.0);
  std::fflush(stdout);
}


// ---- population through the API ----

struct Muni {
  std::string code, county;
  double lat = 0, lon = 0;
  std::vector<std::string> postal_codes;
};

struct Office {
  std::string org;
  double lat = 0, lon = 0;
};

// One phase of the population: blocking calls as admin, timed, each call's latency kept so that
// growth with the amount already stored shows.
class Phase {
 public:
  explicit Phase(std::string name) : name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}

  template <typename Req, typename Resp>
  bool Call(Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), const Req& req,
            Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    const auto t0 = std::chrono::steady_clock::now();
    const grpc::Status status = (stub->*method)(&ctx, req, resp);
    latencies_ms_.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (!status.ok()) {
      std::fprintf(stderr, "%s failed: %s %s\n  request: %s\n", name_.c_str(),
                   rusta::StatusCodeName(status.error_code()), status.error_message().c_str(),
                   req.ShortDebugString().substr(0, 400).c_str());
      return false;
    }
    return true;
  }

  void Report() const {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const size_t n = latencies_ms_.size();
    auto mean = [&](size_t from, size_t to) {
      double sum = 0;
      for (size_t i = from; i < to; ++i) sum += latencies_ms_[i];
      return to > from ? sum / static_cast<double>(to - from) : 0.0;
    };
    const size_t tenth = std::max<size_t>(1, n / 10);
    std::printf("  %-22s %5zu calls in %6.2f s: %6.2f ms/call (first tenth %.2f, last tenth %.2f ms/call)\n",
                name_.c_str(), n, s, mean(0, n), mean(0, std::min(n, tenth)), mean(n - std::min(n, tenth), n));
    std::fflush(stdout);
  }

 private:
  std::string name_;
  std::chrono::steady_clock::time_point start_;
  std::vector<double> latencies_ms_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace rusta;
  const Flags flags = ParseFlags(argc, argv);
  // The interceptor's per-RPC info lines would dominate both the output and the CPU.
  log::SetMinLevel(log::Level::kWarning);

  // The reference data as the service's main loads it; the bench plans its data from the same.
  auto reference = registry::LoadReferenceData(RUSTA_SHARED_DATA_DIR);
  if (!reference.ok()) {
    std::fprintf(stderr, "reference data: %s\n", std::string(reference.status().message()).c_str());
    return 1;
  }
  std::vector<Muni> munis;
  std::map<std::string, size_t> muni_index;
  for (const v1::Municipality& m : reference->municipalities) {
    if (!m.has_location()) continue;
    muni_index[m.code()] = munis.size();
    munis.push_back({m.code(), m.county_code(), m.location().latitude(), m.location().longitude(), {}});
  }
  for (const auto& [postal, entry] : reference->postal_codes) {
    auto it = muni_index.find(entry.municipality_code);
    if (it != muni_index.end()) munis[it->second].postal_codes.push_back(postal);
  }
  if (munis.empty()) {
    std::fprintf(stderr, "reference data: no municipality with coordinates in %s\n", RUSTA_SHARED_DATA_DIR);
    return 1;
  }

  testing::RedisServer redis;
  testing::Pki pki;

  auto echo_host = bench::StartEchoHost(bench::BenchServerConfig(pki, redis));
  if (!echo_host.ok()) {
    std::fprintf(stderr, "echo host: %s\n", std::string(echo_host.status().message()).c_str());
    return 1;
  }

  redis::FunctionRegistry functions;
  functions.Add(lua::CommonLibrary());
  functions.Add(lua::RegistryLibrary());
  server::ServiceHost host(bench::BenchServerConfig(pki, redis, "provider-registry"), functions);
  const size_t reference_municipalities = reference->municipalities.size();
  registry::RegistryHandler handler(host, registry::RegistryConfig{}, std::move(*reference));
  host.AddService(&handler, "rusta.v1.ProviderRegistryService");
  struct ShutdownFirst {
    server::ServiceHost& host;
    ~ShutdownFirst() { host.Shutdown(); }
  } shutdown_first{host};
  if (absl::Status s = host.Start(); !s.ok()) {
    std::fprintf(stderr, "registry host: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (!WaitHealthy((*echo_host)->host(), "echo") || !WaitHealthy(host, "registry")) return 1;

  redis::RedisConnection stats(redis.options());
  const int64_t memory_empty = UsedMemory(stats);
  if (absl::Status s = handler.LoadMunicipalities(stats); !s.ok()) {
    std::fprintf(stderr, "LoadMunicipalities: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const int64_t memory_municipalities = UsedMemory(stats);

  std::printf("registry_bench: SearchProviders and FindNearestProvider vs echo over mutual TLS, each on "
              "its own ServiceHost, %d in flight over %d channels, %lld ms warm-up + %lld ms per run; "
              "client, both servers and Redis share this machine's %u cores\n",
              flags.load.in_flight, flags.load.channels, static_cast<long long>(flags.load.warmup.count()),
              static_cast<long long>(flags.load.duration.count()), std::thread::hardware_concurrency());
  std::printf("populating through the API as admin: %d providers, %d delivery areas, %d offices, %zu "
              "reference municipalities\n",
              flags.providers, kAreas, flags.offices, reference_municipalities);
  std::fflush(stdout);

  // ---- populate ----
  auto admin_channel = testing::Pki::Channel(host.port(), pki.ClientCredentials("admin"));
  if (!admin_channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot connect to the registry host\n");
    return 1;
  }
  auto admin = v1::ProviderRegistryService::NewStub(admin_channel);
  std::mt19937_64 rng(20250916);
  auto pick = [&rng](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  auto uniform = [&rng](double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(rng() >> 11) / static_cast<double>(1ULL << 53));
  };
  const absl::CivilDay today = server::SwedishDay(absl::Now());
  (void)stats.Command({"CONFIG", "RESETSTAT"});
  const auto populate_start = std::chrono::steady_clock::now();
  int64_t population_calls = 0;

  // Providers: apply, then approve.
  static const v1::ProviderSector kSectors[] = {
      v1::PROVIDER_SECTOR_EDUCATION, v1::PROVIDER_SECTOR_STAFFING, v1::PROVIDER_SECTOR_REHABILITATION,
      v1::PROVIDER_SECTOR_NON_PROFIT, v1::PROVIDER_SECTOR_FOLK_HIGH_SCHOOL, v1::PROVIDER_SECTOR_CONSULTANCY,
      v1::PROVIDER_SECTOR_OTHER};
  static const char* const kLanguages[] = {"en", "ar", "so", "ti", "fa", "prs", "ku", "pl", "bs", "es", "fi"};
  std::vector<std::string> orgs;
  {
    Phase apply("ApplyProvider");
    for (int i = 0; i < flags.providers; ++i) {
      v1::ApplyProviderRequest req;
      req.set_request_id(absl::StrCat("bench-apply-", i));
      req.set_organisation_number(OrganisationNumber(i));
      v1::ProviderProfile* p = req.mutable_profile();
      p->set_name(absl::StrCat("Rusta Bench Leverantör ", i, " AB"));
      p->set_sector(kSectors[rng() % (sizeof kSectors / sizeof *kSectors)]);
      p->set_description(absl::StrCat("Matchning och förberedande insatser, leverantör ", i,
                                      ". Individuellt stöd, yrkesvägledning och kontakt med arbetsgivare."));
      p->add_languages("sv");
      for (int k = pick(0, 3); k > 0; --k) {
        const char* l = kLanguages[rng() % (sizeof kLanguages / sizeof *kLanguages)];
        if (std::find(p->languages().begin(), p->languages().end(), l) == p->languages().end()) p->add_languages(l);
      }
      p->set_remote_delivery(rng() % 3 == 0);
      p->set_contact_mailbox(absl::StrCat("rom@leverantor", i, ".se"));
      p->set_website(absl::StrCat("https://leverantor", i, ".se"));
      v1::AdmissionCheck* a = req.mutable_admission();
      for (int k = pick(2, 3); k > 0; --k) {
        v1::ReferenceAssignment* r = a->add_references();
        r->set_client_name(absl::StrCat("Kommun ", pick(1, 290)));
        r->set_description("Arbetsmarknadsinsats för arbetssökande");
        *r->mutable_period()->mutable_start() = rusta::server::FromCivilDay(today - pick(800, 2000));
        *r->mutable_period()->mutable_end() = rusta::server::FromCivilDay(today - pick(30, 700));
        r->set_contact("arbetsmarknad@kommun.se");
      }
      a->set_credit_rating(pick(40, 100));
      a->set_payment_remarks(false);
      v1::ApplyProviderResponse resp;
      if (!apply.Call(admin.get(), &Stub::ApplyProvider, req, &resp)) return 1;
      if (resp.provider().admission().result() != v1::ADMISSION_CHECK_RESULT_PASSED) {
        std::fprintf(stderr, "ApplyProvider %s: admission did not pass\n", req.organisation_number().c_str());
        return 1;
      }
      orgs.push_back(resp.provider().organisation_number());
    }
    apply.Report();
    Phase approve("ApproveProvider");
    for (int i = 0; i < flags.providers; ++i) {
      v1::ApproveProviderRequest req;
      req.set_request_id(absl::StrCat("bench-approve-", i));
      req.set_organisation_number(orgs[static_cast<size_t>(i)]);
      req.set_expected_version(1);
      req.set_reason("Kvalificeringskraven uppfyllda");
      v1::ApproveProviderResponse resp;
      if (!approve.Call(admin.get(), &Stub::ApproveProvider, req, &resp)) return 1;
      if (resp.provider().status() != v1::PROVIDER_STATUS_APPROVED) {
        std::fprintf(stderr, "ApproveProvider %s: not approved\n", req.organisation_number().c_str());
        return 1;
      }
    }
    approve.Report();
  }

  // Delivery areas: one per county, then two neighbouring counties each, all leaving out every
  // 20th municipality (those stay white spots).
  std::vector<std::string> counties;
  std::map<std::string, std::vector<size_t>> by_county;
  for (size_t i = 0; i < munis.size(); ++i) {
    if (by_county[munis[i].county].empty()) counties.push_back(munis[i].county);
    if (i % 20 != 7) by_county[munis[i].county].push_back(i);
  }
  std::sort(counties.begin(), counties.end());
  struct Area {
    std::string id;
    std::vector<size_t> munis;
  };
  std::vector<Area> areas;
  {
    Phase create("CreateDeliveryArea");
    for (int a = 0; a < kAreas; ++a) {
      v1::CreateDeliveryAreaRequest req;
      req.set_request_id(absl::StrCat("bench-area-", a));
      std::vector<size_t> members;
      const size_t n = counties.size();
      if (static_cast<size_t>(a) < n) {
        req.set_name(absl::StrCat("Län ", counties[static_cast<size_t>(a)]));
        members = by_county[counties[static_cast<size_t>(a)]];
      } else {
        const size_t k = (static_cast<size_t>(a) - n) % n;
        const std::string &c1 = counties[k], &c2 = counties[(k + 1) % n];
        req.set_name(absl::StrCat("Region ", c1, "+", c2, " ", a));
        members = by_county[c1];
        members.insert(members.end(), by_county[c2].begin(), by_county[c2].end());
      }
      if (members.empty()) continue;
      for (size_t i : members) req.add_municipality_codes(munis[i].code);
      v1::CreateDeliveryAreaResponse resp;
      if (!create.Call(admin.get(), &Stub::CreateDeliveryArea, req, &resp)) return 1;
      areas.push_back({resp.area().area_id(), std::move(members)});
    }
    create.Report();
  }

  // Contracts: one or two areas per provider, active today.
  std::vector<std::vector<size_t>> provider_areas(orgs.size());
  {
    Phase create("CreateContract");
    int contract = 0;
    for (size_t p = 0; p < orgs.size(); ++p) {
      const size_t a1 = p % areas.size();
      provider_areas[p].push_back(a1);
      if (p % 3 != 2 && areas.size() > 1) {
        size_t a2 = (p * 7 + 11) % areas.size();
        if (a2 == a1) a2 = (a1 + 1) % areas.size();
        provider_areas[p].push_back(a2);
      }
      for (size_t a : provider_areas[p]) {
        v1::CreateContractRequest req;
        req.set_request_id(absl::StrCat("bench-contract-", contract));
        req.set_organisation_number(orgs[p]);
        req.set_area_id(areas[a].id);
        *req.mutable_period()->mutable_start() = rusta::server::FromCivilDay(today - pick(30, 600));
        if (rng() % 2 == 0) *req.mutable_period()->mutable_end() = rusta::server::FromCivilDay(today + pick(60, 700));
        if (contract % 3 == 0) req.set_default_assignment_capacity(pick(20, 200));
        v1::CreateContractResponse resp;
        if (!create.Call(admin.get(), &Stub::CreateContract, req, &resp)) return 1;
        ++contract;
      }
    }
    create.Report();
  }

  // Offices: provider j % providers, in a municipality its areas cover (with a postal code).
  std::vector<Office> offices;
  std::set<size_t> office_munis;
  {
    Phase add("AddOffice");
    static const char* const kStreets[] = {"Storgatan", "Kungsgatan", "Drottninggatan", "Järnvägsgatan",
                                           "Torggatan", "Skolgatan", "Nygatan", "Södra vägen"};
    for (int j = 0; j < flags.offices; ++j) {
      const size_t p = static_cast<size_t>(j) % orgs.size();
      std::vector<size_t> candidates;
      for (size_t a : provider_areas[p]) {
        for (size_t m : areas[a].munis) {
          if (!munis[m].postal_codes.empty()) candidates.push_back(m);
        }
      }
      if (candidates.empty()) {
        for (size_t m = 0; m < munis.size(); ++m) {
          if (!munis[m].postal_codes.empty()) candidates.push_back(m);
        }
      }
      const Muni& m = munis[candidates[rng() % candidates.size()]];
      // A few km around the municipality's point, kept inside Sweden's box.
      const double lat = std::min(69.1, std::max(55.0, m.lat + uniform(-0.03, 0.03)));
      const double lon = std::min(24.2, std::max(10.9, m.lon + uniform(-0.05, 0.05)));
      v1::AddOfficeRequest req;
      req.set_request_id(absl::StrCat("bench-office-", j));
      req.set_organisation_number(orgs[p]);
      req.set_name(absl::StrCat("Kontor ", j));
      req.mutable_address()->set_street(absl::StrCat(kStreets[rng() % (sizeof kStreets / sizeof *kStreets)], " ",
                                                     pick(1, 120)));
      req.mutable_address()->set_postal_code(m.postal_codes[rng() % m.postal_codes.size()]);
      req.mutable_location()->set_latitude(lat);
      req.mutable_location()->set_longitude(lon);
      v1::AddOfficeResponse resp;
      if (!add.Call(admin.get(), &Stub::AddOffice, req, &resp)) return 1;
      if (resp.office().address().municipality_code() != m.code) {
        std::fprintf(stderr, "AddOffice: postal code %s resolved to %s, not %s\n",
                     req.address().postal_code().c_str(), resp.office().address().municipality_code().c_str(),
                     m.code.c_str());
        return 1;
      }
      offices.push_back({orgs[p], resp.office().location().latitude(), resp.office().location().longitude()});
      office_munis.insert(muni_index[m.code]);
    }
    add.Report();
  }
  const double populate_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - populate_start).count();
  population_calls = static_cast<int64_t>(orgs.size()) * 2 + static_cast<int64_t>(areas.size()) +
                     static_cast<int64_t>(offices.size());
  for (const auto& pa : provider_areas) population_calls += static_cast<int64_t>(pa.size());
  std::printf("  redis commandstats of the population (%lld writes; every write reloads the snapshot):\n",
              static_cast<long long>(population_calls));
  PrintCommandStats(stats, "    ", population_calls, "write");
  const int64_t memory_populated = UsedMemory(stats);

  // ---- the expected answers, computed here from what was put in ----
  // Every provider is approved and every contract active today, so a municipality is served by
  // the providers with a contract on an area containing it.
  std::vector<std::set<size_t>> serving(munis.size());
  for (size_t p = 0; p < orgs.size(); ++p) {
    for (size_t a : provider_areas[p]) {
      for (size_t m : areas[a].munis) serving[m].insert(p);
    }
  }
  std::map<std::string, std::vector<size_t>> offices_of;
  for (size_t o = 0; o < offices.size(); ++o) offices_of[offices[o].org].push_back(o);
  std::map<std::string, int> expected_total;       // municipality -> providers serving it
  std::map<std::string, double> expected_nearest;  // municipality -> metres to the nearest such office
  std::vector<std::string> search_homes, nearest_homes;
  for (size_t m = 0; m < munis.size(); ++m) {
    if (serving[m].empty()) continue;
    double best = kInf;
    for (size_t p : serving[m]) {
      for (size_t o : offices_of[orgs[p]]) {
        best = std::min(best, HaversineMeters(munis[m].lat, munis[m].lon, offices[o].lat, offices[o].lon));
      }
    }
    expected_total[munis[m].code] = static_cast<int>(serving[m].size());
    expected_nearest[munis[m].code] = best;
    search_homes.push_back(munis[m].code);
    if (best < kInf) nearest_homes.push_back(munis[m].code);
  }
  if (search_homes.empty() || nearest_homes.empty()) {
    std::fprintf(stderr, "no municipality is served (providers %d, offices %d)\n", flags.providers, flags.offices);
    return 1;
  }
  {
    v1::ListWhiteSpotsRequest req;
    req.set_page_size(1000);
    v1::ListWhiteSpotsResponse resp;
    Phase check("ListWhiteSpots");  // also checks the population: every served one is served
    if (!check.Call(admin.get(), &Stub::ListWhiteSpots, req, &resp)) return 1;
    const size_t expected = reference_municipalities - search_homes.size();
    std::printf("populated in %.1f s: %zu of %zu municipalities served (white spots: %d from the service, %zu "
                "expected), %zu with an office, avg %.1f providers per served municipality\n",
                populate_s, search_homes.size(), munis.size(), resp.municipalities_size(), expected,
                office_munis.size(),
                [&] {
                  double sum = 0;
                  for (const auto& [code, n] : expected_total) sum += n;
                  return sum / static_cast<double>(expected_total.size());
                }());
    if (static_cast<size_t>(resp.municipalities_size()) != expected) {
      std::fprintf(stderr, "ListWhiteSpots: %d white spots, expected %zu\n", resp.municipalities_size(), expected);
      return 1;
    }
  }
  std::printf("redis used_memory: %.1f KiB empty (function libraries loaded), %.1f KiB with the reference "
              "municipalities (+%.1f KiB), %.1f KiB populated (+%.1f KiB for the population, +%.1f KiB "
              "registry total); dbsize %lld\n",
              static_cast<double>(memory_empty) / 1024.0, static_cast<double>(memory_municipalities) / 1024.0,
              static_cast<double>(memory_municipalities - memory_empty) / 1024.0,
              static_cast<double>(memory_populated) / 1024.0,
              static_cast<double>(memory_populated - memory_municipalities) / 1024.0,
              static_cast<double>(memory_populated - memory_empty) / 1024.0, [&] {
                auto r = stats.Command({"DBSIZE"});
                return r.ok() ? static_cast<long long>(r->integer) : -1LL;
              }());
  std::printf("  by key:\n");
  PrintKeyMemory(stats, "    ");
  std::fflush(stdout);

  // ---- load ----
  auto credentials = pki.ClientCredentials("caseworker");
  std::vector<std::unique_ptr<EchoService::Stub>> echo_stubs;
  std::vector<std::unique_ptr<Stub>> registry_stubs;
  for (int i = 0; i < flags.load.channels; ++i) {
    auto echo_channel = testing::Pki::Channel((*echo_host)->port(), credentials);
    auto registry_channel = testing::Pki::Channel(host.port(), credentials);
    const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(10);
    if (!echo_channel->WaitForConnected(deadline) || !registry_channel->WaitForConnected(deadline)) {
      std::fprintf(stderr, "channel %d: cannot connect to the hosts\n", i);
      return 1;
    }
    echo_stubs.push_back(EchoService::NewStub(echo_channel));
    registry_stubs.push_back(v1::ProviderRegistryService::NewStub(registry_channel));
  }

  const std::string payload(16, 'x');
  auto echo_call = [&](int channel, int64_t, bench::CallDone done) {
    EchoRequest request;
    request.set_payload(payload);
    bench::AsyncUnary(
        echo_stubs[static_cast<size_t>(channel)].get(), &EchoService::Stub::async::Echo, std::move(request),
        std::move(done), std::chrono::seconds(10), [](const EchoRequest& req, const EchoResponse& resp) {
          return resp.payload() == req.payload() ? grpc::Status::OK
                                                 : grpc::Status(grpc::StatusCode::DATA_LOSS, "echo differs");
        });
  };

  // Homes: a fixed-seed sequence of served municipalities, shared by both RPCs' runs.
  std::vector<size_t> home_sequence(4096);
  for (size_t& h : home_sequence) h = static_cast<size_t>(rng());
  std::atomic<int64_t> next_call{0};
  std::atomic<int> errors_printed{0};
  auto report_error = [&errors_printed](const char* what, bench::CallDone done) {
    return [&errors_printed, what, done = std::move(done)](const grpc::Status& status) {
      if (!status.ok() && errors_printed.fetch_add(1) < 10) {
        std::fprintf(stderr, "%s failed: %s %s\n", what, rusta::StatusCodeName(status.error_code()),
                     status.error_message().c_str());
      }
      done(status);
    };
  };
  auto near = [](double got, double want) { return std::fabs(got - want) <= 2.0; };  // rounding to metres

  auto search_call = [&](int channel, int64_t, bench::CallDone done) {
    const int64_t n = next_call.fetch_add(1, std::memory_order_relaxed);
    v1::SearchProvidersRequest request;
    request.mutable_home()->set_municipality_code(
        search_homes[home_sequence[static_cast<size_t>(n) % home_sequence.size()] % search_homes.size()]);
    request.set_order(v1::SEARCH_ORDER_DISTANCE);
    request.set_page_size(kPageSize);
    bench::AsyncUnary(
        registry_stubs[static_cast<size_t>(channel)].get(), &Stub::async::SearchProviders, std::move(request),
        report_error("SearchProviders", std::move(done)), std::chrono::seconds(10),
        [&](const v1::SearchProvidersRequest& req, const v1::SearchProvidersResponse& resp) {
          const std::string& code = req.home().municipality_code();
          const int total = expected_total.at(code);
          if (resp.municipality_code() != code || resp.total() != total ||
              resp.results_size() != std::min(total, kPageSize)) {
            return grpc::Status(grpc::StatusCode::DATA_LOSS,
                                absl::StrCat("search ", code, ": total ", resp.total(), " rows ",
                                             resp.results_size(), ", expected total ", total));
          }
          int64_t previous = -1;
          for (const v1::ProviderSearchResult& r : resp.results()) {
            if (!r.has_nearest_office()) continue;  // providers without an office sort last
            if (r.nearest_office_distance_m() < previous) {
              return grpc::Status(grpc::StatusCode::DATA_LOSS, absl::StrCat("search ", code, ": not by distance"));
            }
            previous = r.nearest_office_distance_m();
          }
          const double want = expected_nearest.at(code);
          if (want < kInf && (!resp.results(0).has_nearest_office() ||
                              !near(static_cast<double>(resp.results(0).nearest_office_distance_m()), want))) {
            return grpc::Status(grpc::StatusCode::DATA_LOSS,
                                absl::StrCat("search ", code, ": nearest ", resp.results(0).nearest_office_distance_m(),
                                             " m, expected ", want));
          }
          return grpc::Status::OK;
        });
  };

  auto nearest_call = [&](int channel, int64_t, bench::CallDone done) {
    const int64_t n = next_call.fetch_add(1, std::memory_order_relaxed);
    v1::FindNearestProviderRequest request;
    request.set_request_id(absl::StrCat("bench-nearest-", n));
    request.mutable_home()->set_municipality_code(
        nearest_homes[home_sequence[static_cast<size_t>(n) % home_sequence.size()] % nearest_homes.size()]);
    request.set_reserve_capacity(false);
    bench::AsyncUnary(
        registry_stubs[static_cast<size_t>(channel)].get(), &Stub::async::FindNearestProvider, std::move(request),
        report_error("FindNearestProvider", std::move(done)), std::chrono::seconds(10),
        [&](const v1::FindNearestProviderRequest& req, const v1::FindNearestProviderResponse& resp) {
          const std::string& code = req.home().municipality_code();
          const double want = expected_nearest.at(code);
          if (resp.provider().organisation_number().empty() || resp.rule_version().empty() ||
              !near(static_cast<double>(resp.distance_m()), want)) {
            return grpc::Status(grpc::StatusCode::DATA_LOSS,
                                absl::StrCat("nearest ", code, ": ", resp.provider().organisation_number(), " at ",
                                             resp.distance_m(), " m, expected ", want, " m"));
          }
          return grpc::Status::OK;
        });
  };

  std::printf("\nload: %zu served municipalities as homes (order by distance, page_size %d), %zu for the "
              "proximity rule (dry run), caller caseworker\n",
              search_homes.size(), kPageSize, nearest_homes.size());
  std::fflush(stdout);
  const Measured echo1 = Run(flags.load, echo_call, stats);
  Print("echo baseline run 1", echo1);
  (void)stats.Command({"CONFIG", "RESETSTAT"});
  const Measured search = Run(flags.load, search_call, stats);
  Print("SearchProviders", search);
  std::printf("    redis commandstats of this run (warm-up included):\n");
  PrintCommandStats(stats, "      ", search.issued);
  std::fflush(stdout);
  (void)stats.Command({"CONFIG", "RESETSTAT"});
  const Measured nearest = Run(flags.load, nearest_call, stats);
  Print("FindNearestProvider", nearest);
  std::printf("    redis commandstats of this run (warm-up included):\n");
  PrintCommandStats(stats, "      ", nearest.issued);
  std::fflush(stdout);
  const Measured echo2 = Run(flags.load, echo_call, stats);
  Print("echo baseline run 2", echo2);

  Measured after;
  if (flags.after_reservation != 0) {
    v1::FindNearestProviderRequest req;
    req.set_request_id("bench-reserve-1");
    req.set_case_id("case-bench-1");
    req.set_reserve_capacity(true);
    req.mutable_home()->set_municipality_code(nearest_homes.front());
    v1::FindNearestProviderResponse resp;
    Phase reserve("FindNearestProvider (reserve)");
    if (!reserve.Call(registry_stubs[0].get(), &Stub::FindNearestProvider, req, &resp)) return 1;
    std::printf("reserved one default assignment with %s for %s\n", resp.provider().organisation_number().c_str(),
                nearest_homes.front().c_str());
    (void)stats.Command({"CONFIG", "RESETSTAT"});
    after = Run(flags.load, search_call, stats);
    Print("SearchProviders after one reservation", after);
    std::printf("    redis commandstats of this run (warm-up included):\n");
    PrintCommandStats(stats, "      ", after.issued);
    std::fflush(stdout);
  }

  const double baseline = (echo1.result.calls_per_second + echo2.result.calls_per_second) / 2;
  std::printf("\necho baseline drift: run 2 is %.1f%% of run 1; mean baseline %.0f calls/s\n",
              echo1.result.calls_per_second > 0
                  ? 100.0 * echo2.result.calls_per_second / echo1.result.calls_per_second
                  : 0.0,
              baseline);
  for (const auto& [name, m] : {std::pair<const char*, const Measured*>{"SearchProviders", &search},
                                std::pair<const char*, const Measured*>{"FindNearestProvider", &nearest},
                                std::pair<const char*, const Measured*>{"Search after reserve", &after}}) {
    if (m == &after && flags.after_reservation == 0) continue;
    std::printf("%-20s %7.0f calls/s = %5.1f%% of the mean echo baseline; p50 %.3f p90 %.3f p99 %.3f ms "
                "(echo p50 %.3f p99 %.3f ms); %lld errors\n",
                name, m->result.calls_per_second, baseline > 0 ? 100.0 * m->result.calls_per_second / baseline : 0.0,
                m->result.p50_ms, m->result.p90_ms, m->result.p99_ms, echo1.result.p50_ms, echo1.result.p99_ms,
                static_cast<long long>(m->result.errors));
  }
  std::printf("redis used_memory after the load: %.1f KiB\n", static_cast<double>(UsedMemory(stats)) / 1024.0);
  std::fflush(stdout);

  int64_t errors = 0, empty_runs = 0;
  for (const Measured* m : {&echo1, &search, &nearest, &echo2, static_cast<const Measured*>(&after)}) {
    if (m == &after && flags.after_reservation == 0) continue;
    errors += m->result.errors;
    empty_runs += m->result.calls == 0 ? 1 : 0;
  }
  if (errors != 0) {
    std::fprintf(stderr, "registry_bench: %lld calls failed\n", static_cast<long long>(errors));
    return 1;
  }
  if (empty_runs != 0) {
    std::fprintf(stderr, "registry_bench: no call completed in a measurement window\n");
    return 1;
  }
  return 0;
}
