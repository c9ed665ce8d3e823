// Assess over mutual TLS against the trivial echo baseline (issue 3, "Tests and benchmark"): the
// same closed-loop load generator and load options for both, in the same run, interleaved
//   echo, Assess, echo, Assess
// so that drift of this shared machine shows. Target: Assess sustains at least 70 % of the mean
// baseline throughput. The figures are printed; missing the target is reported, not failed.
//
// Everything is in this one process plus one redis-server: the load generator (client), the echo
// host, the assessment host (AssessmentHandler with the common and assessment Redis function
// libraries, the shipped model files, the reference data, the system clock) and Redis all share
// the machine's cores (2 on the bench machines), so both figures include the client's own cost.
//
// Every Assess call carries a fresh request_id and one of 5,000 valid requests precomputed with a
// fixed-seed RNG (varied person, postal code/municipality/county from the reference data, age,
// education, history, area statistics...); every personnummer has its Luhn check digit computed
// here, independently of the code under test.
//
//   assessment_bench [--duration-ms=3000] [--warmup-ms=500] [--in-flight=64] [--channels=4]
// Exits non-zero if any call failed. No timing is asserted.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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
#include "common/validation/municipality_codes.h"
#include "rusta/v1/assessment.grpc.pb.h"
#include "services/assessment/assessment_config.h"
#include "services/assessment/assessment_handler.h"
#include "services/assessment/assessment_store.h"
#include "services/assessment/domain/model.h"
#include "tests/bench/echo.grpc.pb.h"
#include "tests/bench/support/echo_service.h"
#include "tests/bench/support/bench_figures.h"
#include "tests/bench/support/bench_flags.h"
#include "tests/bench/support/load_generator.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"

namespace rusta::lua {
const redis::FunctionLibrary& AssessmentLibrary();
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

constexpr double kTargetPercent = 70.0;
constexpr int kDistinctRequests = 5000;

struct Flags {
  rusta::bench::LoadOptions load;
};


Flags ParseFlags(int argc, char** argv) {
  Flags f;
  rusta::bench::ParseBenchFlags(argc, argv, &f.load, {});
  return f;
}

// A valid personnummer (12 digits) for a birth date and serial: Luhn over the 10-digit form,
// weights 2,1,2,1,... (as the service test's helper, independent of common/validation).
std::string PersonNumber(int year, int month, int day, int serial) {
  const std::string ten = absl::StrFormat("%02d%02d%02d%03d", year % 100, month, day, serial);
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    const int d = (ten[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return absl::StrFormat("%04d%02d%02d%03d%d", year, month, day, serial, (10 - sum % 10) % 10);
}

struct Place {
  std::string postal_code, municipality_code;
};

// Postal codes with their municipality, from postal_to_municipality.csv, keeping only those whose
// municipality is a known one (so the county derived from it is right too).
std::vector<Place> LoadPlaces(const std::string& path, const rusta::validation::MunicipalityCodes& known) {
  std::vector<Place> places;
  std::ifstream in(path);
  std::string line;
  int postal_col = -1, municipality_col = -1;
  bool header = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cols = absl::StrSplit(line, ',');
    if (header) {
      for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i] == "postal_code") postal_col = static_cast<int>(i);
        if (cols[i] == "municipality_code") municipality_col = static_cast<int>(i);
      }
      header = false;
      continue;
    }
    if (postal_col < 0 || municipality_col < 0) break;
    if (static_cast<int>(cols.size()) <= std::max(postal_col, municipality_col)) continue;
    const std::string& m = cols[static_cast<size_t>(municipality_col)];
    if (!known.Contains(m)) continue;
    places.push_back({cols[static_cast<size_t>(postal_col)], m});
  }
  return places;
}

// kDistinctRequests valid requests without request_id (set per call), from a fixed-seed RNG.
std::vector<v1::AssessRequest> MakeRequests(const std::vector<Place>& places, absl::CivilDay today) {
  std::mt19937_64 rng(20250915);
  auto pick = [&rng](int lo, int hi) {  // inclusive
    return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  static const char* const kCountries[] = {"SE", "SE", "SE", "SE", "FI", "NO", "DK", "PL", "DE", "IQ",
                                           "SY", "SO", "IR", "AF", "ER", "TR", "BA", "CL", "TH", "IN"};
  static const char* const kOrientations[] = {"", "1", "14", "21", "31", "345", "42", "52", "62",
                                              "72", "76", "81", "86", "9"};
  static const char* const kOccupations[] = {"5120", "2512", "4111", "5321", "7111", "8211", "9111",
                                             "3313", "2221", "5131", "9412", "7231", "4222", "2341"};
  static const char* const kProgrammes[] = {"AUB", "PRAO", "ARBP", "FBU", "JOBB", "STOM"};
  static const char* const kDisabilityCodes[] = {"11", "21", "31", "41", "51", "61"};

  std::vector<v1::AssessRequest> requests;
  requests.reserve(kDistinctRequests);
  for (int i = 0; i < kDistinctRequests; ++i) {
    v1::AssessRequest req;
    const int age = pick(18, 64);
    const int birth_year = static_cast<int>(today.year()) - age - 1 + pick(0, 1);
    const int birth_month = pick(1, 12);
    const int birth_day = pick(1, 28);
    // Age in whole years on `today`, from the birth date (the service does not cross-check it).
    const absl::CivilDay birth(birth_year, birth_month, birth_day);
    int years = static_cast<int>(today.year() - birth.year());
    if (today.month() < birth.month() || (today.month() == birth.month() && today.day() < birth.day())) {
      --years;
    }
    std::string person = PersonNumber(birth_year, birth_month, birth_day, pick(1, 999));
    // Both accepted long forms: YYYYMMDDNNNC and YYYYMMDD-NNNC.
    if (i % 3 == 0) person.insert(8, "-");
    req.set_person_id(person);

    v1::AssessmentFactors& f = *req.mutable_factors();
    const Place& place = places[rng() % places.size()];
    f.set_country_of_birth(kCountries[rng() % (sizeof kCountries / sizeof *kCountries)]);
    f.set_postal_code(place.postal_code);
    f.set_municipality_code(place.municipality_code);
    f.set_county_code(place.municipality_code.substr(0, 2));
    f.set_education_level(static_cast<v1::EducationLevel>(pick(1, 7)));
    f.set_education_orientation(kOrientations[rng() % (sizeof kOrientations / sizeof *kOrientations)]);
    const int occupations = pick(0, 4);
    for (int k = 0; k < occupations; ++k) {
      f.add_occupation_groups_sought(kOccupations[rng() % (sizeof kOccupations / sizeof *kOccupations)]);
    }
    f.set_age(years);
    f.set_sex(rng() % 2 ? v1::SEX_FEMALE : v1::SEX_MALE);
    f.set_fund_membership(rng() % 3 ? v1::FUND_MEMBERSHIP_MEMBER : v1::FUND_MEMBERSHIP_NOT_MEMBER);
    const absl::CivilDay registered = today - pick(0, 700);
    f.mutable_registration_date()->set_year(static_cast<int>(registered.year()));
    f.mutable_registration_date()->set_month(registered.month());
    f.mutable_registration_date()->set_day(registered.day());
    const int periods = pick(0, 4);
    f.set_previous_period_count(periods);
    if (periods > 0) {
      f.set_days_registered_previous_period(pick(10, 900));
      f.set_days_since_previous_period(pick(1, 2000));
      const int programmes = pick(0, 3);
      int total = 0;
      for (int k = 0; k < programmes; ++k) {
        v1::ProgrammeHistory* p = f.add_previous_programmes();
        p->set_programme_code(kProgrammes[rng() % (sizeof kProgrammes / sizeof *kProgrammes)]);
        p->set_days(pick(5, 180));
        total += p->days();
      }
      f.set_days_in_programmes_previous_periods(total);
    } else {
      f.set_days_registered_previous_period(0);
      f.set_days_in_programmes_previous_periods(0);
    }
    if (rng() % 5 == 0) {
      f.set_disability_status(v1::DISABILITY_STATUS_REGISTERED);
      f.set_disability_code(kDisabilityCodes[rng() % (sizeof kDisabilityCodes / sizeof *kDisabilityCodes)]);
    } else {
      f.set_disability_status(v1::DISABILITY_STATUS_NONE);
    }
    if (rng() % 2 == 0) f.set_days_registered_current_period(pick(0, 700));
    v1::AreaStatistics* a = f.mutable_area_statistics();
    a->set_unemployment_share(pick(1, 25) / 100.0);
    a->mutable_median_annual_income()->set_ore(static_cast<int64_t>(pick(180, 520)) * 100000);
    a->set_post_secondary_education_share(pick(10, 70) / 100.0);
    a->set_foreign_citizen_share(pick(2, 45) / 100.0);
    a->set_single_household_share(pick(20, 65) / 100.0);
    a->set_statistics_version("scb-2024");
    requests.push_back(std::move(req));
  }
  return requests;
}

std::string StripDash(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
  return s;
}






struct Measured {
  rusta::bench::LoadResult result;
  double process_cpu_s = 0;  // this process (client + both hosts), whole run incl. warm-up
  double redis_cpu_s = 0;    // redis-server, whole run incl. warm-up
  double wall_s = 0;
};

Measured Run(const rusta::bench::LoadOptions& load, const rusta::bench::StartCall& start_call,
             rusta::redis::RedisConnection& stats) {
  Measured m;
  const double cpu0 = ProcessCpuSeconds(), redis0 = RedisCpuSeconds(stats);
  const auto t0 = std::chrono::steady_clock::now();
  m.result = rusta::bench::RunLoad(load, start_call);
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.process_cpu_s = ProcessCpuSeconds() - cpu0;
  m.redis_cpu_s = RedisCpuSeconds(stats) - redis0;
  return m;
}

void Print(const std::string& name, const Measured& m) {
  std::printf("%s\n", rusta::bench::FormatResult(name, m.result).c_str());
  std::printf("    cpu over %.2f s wall (incl. warm-up): this process %.2f s (%.0f%% of one core), "
              "redis-server %.2f s (%.0f%%)\n",
              m.wall_s, m.process_cpu_s, 100.0 * m.process_cpu_s / m.wall_s, m.redis_cpu_s,
              100.0 * m.redis_cpu_s / m.wall_s);
  std::fflush(stdout);
}


}  // namespace

int main(int argc, char** argv) {
  using namespace rusta;
  const Flags flags = ParseFlags(argc, argv);
  // The interceptor's per-RPC info lines would dominate both the output and the CPU.
  log::SetMinLevel(log::Level::kWarning);

  // Reference data and models, as the service's main loads them.
  auto municipalities = validation::MunicipalityCodes::LoadCsv(RUSTA_SHARED_DATA_DIR "/municipalities.csv");
  auto postal_codes =
      validation::PostalCodeDirectory::LoadCsv(RUSTA_SHARED_DATA_DIR "/postal_to_municipality.csv");
  if (!municipalities.ok() || !postal_codes.ok()) {
    std::fprintf(stderr, "reference data: %s\n",
                 std::string((!municipalities.ok() ? municipalities.status() : postal_codes.status()).message())
                     .c_str());
    return 1;
  }
  auto models = assessment::ModelRegistry::LoadDirectory(RUSTA_SOURCE_DIR "/services/assessment/models");
  if (!models.ok()) {
    std::fprintf(stderr, "models: %s\n", std::string(models.status().message()).c_str());
    return 1;
  }
  const std::vector<Place> places =
      LoadPlaces(RUSTA_SHARED_DATA_DIR "/postal_to_municipality.csv", *municipalities);
  if (places.empty()) {
    std::fprintf(stderr, "reference data: no postal code with a known municipality\n");
    return 1;
  }
  const std::vector<v1::AssessRequest> requests = MakeRequests(places, server::SwedishDay(absl::Now()));

  testing::RedisServer redis;
  testing::Pki pki;

  auto echo_host = bench::StartEchoHost(bench::BenchServerConfig(pki, redis));
  if (!echo_host.ok()) {
    std::fprintf(stderr, "echo host: %s\n", std::string(echo_host.status().message()).c_str());
    return 1;
  }

  config::ConfigParser parser({}, {});
  assessment::AssessmentConfig config = assessment::ReadAssessmentConfig(parser);
  config.model_dir = RUSTA_SOURCE_DIR "/services/assessment/models";
  config.pseudonym_secret = "bench-pseudonym-secret";
  redis::FunctionRegistry functions;
  functions.Add(lua::CommonLibrary());
  functions.Add(lua::AssessmentLibrary());
  // The production worker count and health interval, like the echo host.
  server::ServiceHost host(bench::BenchServerConfig(pki, redis), functions);
  assessment::AssessmentHandler handler(host, config, *models, &*municipalities, &*postal_codes);
  host.AddService(&handler, "rusta.v1.AssessmentService");
  // Shut the host down before the handler it serves goes away, whichever way main returns.
  struct ShutdownFirst {
    server::ServiceHost& host;
    ~ShutdownFirst() { host.Shutdown(); }
  } shutdown_first{host};
  if (absl::Status s = host.Start(); !s.ok()) {
    std::fprintf(stderr, "assessment host: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  // The health monitors load the function libraries when they first reach Redis.
  if (!WaitHealthy((*echo_host)->host(), "echo") || !WaitHealthy(host, "assessment")) return 1;

  // One connection per channel (Pki::Channel uses a local subchannel pool), connected up front.
  auto credentials = pki.ClientCredentials("caseworker");
  std::vector<std::unique_ptr<EchoService::Stub>> echo_stubs;
  std::vector<std::unique_ptr<v1::AssessmentService::Stub>> assess_stubs;
  for (int i = 0; i < flags.load.channels; ++i) {
    auto echo_channel = testing::Pki::Channel((*echo_host)->port(), credentials);
    auto assess_channel = testing::Pki::Channel(host.port(), credentials);
    const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(10);
    if (!echo_channel->WaitForConnected(deadline) || !assess_channel->WaitForConnected(deadline)) {
      std::fprintf(stderr, "channel %d: cannot connect to the hosts\n", i);
      return 1;
    }
    echo_stubs.push_back(EchoService::NewStub(echo_channel));
    assess_stubs.push_back(v1::AssessmentService::NewStub(assess_channel));
  }

  const std::string payload(16, 'x');
  auto echo_call = [&](int channel, int64_t, bench::CallDone done) {
    EchoRequest request;
    request.set_payload(payload);
    bench::AsyncUnary(
        echo_stubs[static_cast<size_t>(channel)].get(), &EchoService::Stub::async::Echo,
        std::move(request), std::move(done), std::chrono::seconds(10),
        [](const EchoRequest& req, const EchoResponse& resp) {
          return resp.payload() == req.payload()
                     ? grpc::Status::OK
                     : grpc::Status(grpc::StatusCode::DATA_LOSS, "echo differs from request");
        });
  };

  std::atomic<int64_t> next_request{0};
  std::atomic<int> first_errors_printed{0};
  auto assess_call = [&](int channel, int64_t, bench::CallDone done) {
    const int64_t n = next_request.fetch_add(1, std::memory_order_relaxed);
    v1::AssessRequest request = requests[static_cast<size_t>(n % kDistinctRequests)];
    request.set_request_id(absl::StrCat("bench-", n));
    bench::AsyncUnary(
        assess_stubs[static_cast<size_t>(channel)].get(), &v1::AssessmentService::Stub::async::Assess,
        std::move(request),
        [&first_errors_printed, done = std::move(done)](const grpc::Status& status) {
          if (!status.ok() && first_errors_printed.fetch_add(1) < 5) {
            std::fprintf(stderr, "Assess failed: %s %s\n", rusta::StatusCodeName(status.error_code()),
                         status.error_message().c_str());
          }
          done(status);
        },
        std::chrono::seconds(10), [](const v1::AssessRequest& req, const v1::AssessResponse& resp) {
          const v1::Assessment& a = resp.assessment();
          if (a.assessment_id().rfind("as-", 0) != 0 || a.person_id() != StripDash(req.person_id()) ||
              a.result().outcome() == v1::ASSESSMENT_OUTCOME_UNSPECIFIED ||
              a.result().model_version().empty()) {
            return grpc::Status(grpc::StatusCode::DATA_LOSS, "assessment does not match the request");
          }
          return grpc::Status::OK;
        });
  };

  redis::RedisConnection stats(redis.options());
  std::printf("assessment_bench: Assess vs echo over mutual TLS, each on its own ServiceHost, %d in "
              "flight over %d channels, %lld ms warm-up + %lld ms per run; client, both servers and "
              "Redis share this machine's %u cores; %d distinct valid requests (%zu postal codes)\n",
              flags.load.in_flight, flags.load.channels,
              static_cast<long long>(flags.load.warmup.count()),
              static_cast<long long>(flags.load.duration.count()), std::thread::hardware_concurrency(),
              kDistinctRequests, places.size());
  std::fflush(stdout);

  std::vector<Measured> echo_runs, assess_runs;
  for (int round = 1; round <= 2; ++round) {
    echo_runs.push_back(Run(flags.load, echo_call, stats));
    Print(absl::StrCat("echo baseline run ", round), echo_runs.back());
    (void)stats.Command({"CONFIG", "RESETSTAT"});
    assess_runs.push_back(Run(flags.load, assess_call, stats));
    Print(absl::StrCat("Assess run ", round), assess_runs.back());
    std::printf("    redis commandstats of this Assess run (warm-up included):\n");
    PrintCommandStats(stats, "      ");
    std::fflush(stdout);
  }

  const double baseline = (echo_runs[0].result.calls_per_second + echo_runs[1].result.calls_per_second) / 2;
  const double assess = (assess_runs[0].result.calls_per_second + assess_runs[1].result.calls_per_second) / 2;
  std::printf("\necho baseline drift: run 2 is %.1f%% of run 1\n",
              echo_runs[0].result.calls_per_second > 0
                  ? 100.0 * echo_runs[1].result.calls_per_second / echo_runs[0].result.calls_per_second
                  : 0.0);
  for (int i = 0; i < 2; ++i) {
    std::printf("Assess run %d: %.0f calls/s = %.1f%% of the mean baseline (%.0f calls/s); p50 %.3f "
                "vs %.3f ms, p99 %.3f vs %.3f ms (Assess vs echo run %d)\n",
                i + 1, assess_runs[i].result.calls_per_second,
                baseline > 0 ? 100.0 * assess_runs[i].result.calls_per_second / baseline : 0.0, baseline,
                assess_runs[i].result.p50_ms, echo_runs[i].result.p50_ms, assess_runs[i].result.p99_ms,
                echo_runs[i].result.p99_ms, i + 1);
  }
  const double percent = baseline > 0 ? 100.0 * assess / baseline : 0.0;
  std::printf("Assess mean %.0f calls/s = %.1f%% of the mean echo baseline %.0f calls/s: target "
              "%.0f%% %s\n",
              assess, percent, baseline, kTargetPercent, percent >= kTargetPercent ? "MET" : "NOT MET");

  const std::string memory = Info(stats, "memory");
  auto stored = stats.Command({"ZCARD", assessment::AssessmentStore::TimeIndexKey()});
  auto chain = stats.Command({"XLEN", host.audit().events_key()});
  std::printf("redis: used_memory_human %s, stored assessments %lld, audit chain length %lld "
              "(%lld Assess calls issued)\n",
              InfoField(memory, "used_memory_human").c_str(),
              stored.ok() ? static_cast<long long>(stored->integer) : -1LL,
              chain.ok() ? static_cast<long long>(chain->integer) : -1LL,
              static_cast<long long>(next_request.load()));
  std::fflush(stdout);

  int64_t errors = 0, empty_runs = 0;
  for (const auto* runs : {&echo_runs, &assess_runs}) {
    for (const Measured& m : *runs) {
      errors += m.result.errors;
      empty_runs += m.result.calls == 0 ? 1 : 0;
    }
  }
  if (errors != 0) {
    std::fprintf(stderr, "assessment_bench: %lld calls failed\n", static_cast<long long>(errors));
    return 1;
  }
  if (empty_runs != 0) {
    std::fprintf(stderr, "assessment_bench: no call completed in a measurement window\n");
    return 1;
  }
  return 0;
}
