// The referral service through a simulated year (issue 5, "Tests and benchmark"): N participants
// (--participants, default 20,000) go through the whole case flow over gRPC and mutual TLS against
// the real services: the assessment service, the provider registry and the referral service, each
// on its own in-process ServiceHost (production worker count), all on one redis-server, sharing one
// ManualClock that the bench moves through the year:
//   2026-01-05  Assess (caseworker; a participant whose outcome is not IN_BETWEEN is assessed again
//               with other inputs, up to kAssessRounds times), CreateCase with the assessment
//               (→ ASSESSED), Decide refer (basis ASSESSMENT, the assessment's level, full time;
//               links the assessment in the assessment service), ChooseProvider (active choice of
//               one of the --providers approved providers, checked against the registry's search)
//   2026-02-01  Start (period 1 from 2026-02-01)
//   2026-03-01 .. 2027-01-01  on the 1st of each month, SubmitMonthlyReport of the month before, by
//               the certificate of the case's provider (hours within the month's possible hours);
//               on 2026-07-01 also Prolong (period 2, up to the 12 months)
//   2027-02-01  End: MAXIMUM_TIME on 2027-01-31 (the clock's last day), every 5th participant WORK
//               on 2027-01-15; then the report of January 2027, after the end (the last provider)
// so 18 referral RPCs per participant, after at least one Assess. The registry is populated first
// through its API as admin: --providers approved providers, one national delivery area, one
// open-ended contract each, kOfficesPerProvider offices each.
//
// Every phase is ONE RPC type issued once per live participant, closed loop: --in-flight calls
// outstanding over --channels channels (per caller: caseworker, and each provider), the next call
// issued as one completes. What is printed:
//  - per RPC type: calls, RPC/s over the phase's wall time, p50/p90/p99/max latency (issue →
//    completion callback, so the client's own queueing on these shared cores is included);
//  - Redis round trips per RPC, per service: the RedisConnection of every Redis worker of each host
//    counts its round trips (a pipeline or an FCALL is one); the bench reads the counters between
//    phases with one task per worker (all workers blocked at once, so each counter is read once).
//    These are exact for the service's handlers; the health monitors have their own connections;
//  - Redis commands per RPC from INFO commandstats of the phase (CONFIG RESETSTAT before each): all
//    services share the redis-server, so a phase's commands are those of every service it touches
//    (e.g. Decide: the referral's and the assessment's), plus the health pings (4 hosts, every
//    500 ms) and this bench's own INFO calls;
//  - per phase the CPU of this process (client and all four hosts), of redis-server, and of the
//    whole machine from /proc/stat (busy incl. kernel time such as loopback softirq, and steal: the
//    time the hypervisor gave to other guests), so that a phase slowed by others shows;
//  - cases per second (participants that finished the year / the phases' total wall time) and RPC/s
//    over the whole year against the echo baseline (same load generator, --in-flight and
//    --channels; run before and after the year, time-based with --warmup-ms/--duration-ms);
//  - Redis used_memory before the first case (after the registry and the Assess calls), with every
//    case active (after Start) and with every case ended (after the last report): delta per case;
//    the same by key group (MEMORY USAGE of every key, grouped by key shape), and the share of the
//    idempotency records, measured twice: by MEMORY USAGE, and by deleting the case flow's
//    idempotency records at the end (they expire after 48 h) and measuring used_memory again.
//
//   referral_bench [--participants=20000] [--providers=8] [--in-flight=64] [--channels=4]
//                  [--duration-ms=3000] [--warmup-ms=500] [--commandstats=1]
// Exits non-zero if any RPC failed (population, load or echo). No timing is asserted.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
#include "absl/time/time.h"
#include "common/lua/common_library.h"
#include "common/log/log.h"
#include "common/redis/redis_connection.h"
#include "common/server/clock.h"
#include "common/server/proto_convert.h"
#include "common/server/service_host.h"
#include "common/validation/municipality_codes.h"
#include "rusta/v1/assessment.grpc.pb.h"
#include "rusta/v1/provider_registry.grpc.pb.h"
#include "rusta/v1/referral.grpc.pb.h"
#include "services/assessment/assessment_config.h"
#include "services/assessment/assessment_handler.h"
#include "services/assessment/domain/model.h"
#include "services/provider-registry/reference_data.h"
#include "services/provider-registry/registry_handler.h"
#include "services/referral/referral_config.h"
#include "services/compensation/compensation_handler.h"
#include "services/compensation/domain/tariff.h"
#include "services/referral/compensation_case_source.h"
#include "rusta/v1/compensation.grpc.pb.h"
#include "services/referral/referral_handler.h"
#include "services/referral/upstream_clients.h"
#include "tests/bench/echo.grpc.pb.h"
#include "tests/bench/support/bench_figures.h"
#include "tests/bench/support/bench_flags.h"
#include "tests/bench/support/echo_service.h"
#include "tests/bench/support/load_generator.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"

namespace rusta::lua {
const redis::FunctionLibrary& AssessmentLibrary();
const redis::FunctionLibrary& RegistryLibrary();
const redis::FunctionLibrary& ReferralLibrary();
const redis::FunctionLibrary& CompensationLibrary();
}  // namespace rusta::lua

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
using RegistryStub = v1::ProviderRegistryService::Stub;
using ReferralStub = v1::ReferralService::Stub;
using AssessmentStub = v1::AssessmentService::Stub;
using SteadyClock = std::chrono::steady_clock;

constexpr int kAssessRounds = 30;
constexpr int kOfficesPerProvider = 20;
constexpr int kMonths = 12;
constexpr auto kCallTimeout = std::chrono::seconds(60);

struct Flags {
  rusta::bench::LoadOptions load;
  int participants = 20000;
  int providers = 8;
  int commandstats = 1;  // print each phase's commandstats (monthly reports: first and last month)
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  rusta::bench::ParseBenchFlags(argc, argv, &f.load,
                                {{"--participants", 1, &f.participants},
                                 {"--providers", 1, &f.providers},
                                 {"--commandstats", 0, &f.commandstats}});
  if (f.providers > 1000) {
    std::fprintf(stderr, "--providers: at most 1000\n");
    std::exit(2);
  }
  return f;
}

// Luhn over the 9 or 10 leading digits (weights 2,1,2,...), computed here independently of
// common/validation.
int LuhnCheckDigit(absl::string_view digits) {
  int sum = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    const int d = (digits[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return (10 - sum % 10) % 10;
}

// A valid personnummer (12 digits) for a birth date and serial.
std::string PersonNumber(int year, int month, int day, int serial) {
  const std::string ten = absl::StrFormat("%02d%02d%02d%03d", year % 100, month, day, serial);
  return absl::StrFormat("%04d%02d%02d%03d%d", year, month, day, serial, LuhnCheckDigit(ten.substr(0, 9)));
}

// A valid organisationsnummer: "556", a 6-digit serial and the Luhn check digit.
std::string OrganisationNumber(int serial) {
  const std::string nine = absl::StrFormat("556%06d", 200000 + serial);
  return absl::StrCat(nine, LuhnCheckDigit(nine));
}

v1::Date Day(absl::CivilDay d) { return rusta::server::FromCivilDay(d); }

absl::Time At(absl::CivilDay d) {  // 09:00 Swedish time on d
  return absl::FromCivil(absl::CivilSecond(d.year(), d.month(), d.day(), 9, 0, 0), rusta::server::SwedishTimeZone());
}

// ---- the participants ----

struct Place {
  std::string municipality, county, postal_code;
  double lat = 0, lon = 0;  // the municipality's point
};

struct Participant {
  std::string person_id;
  size_t place = 0;
  int age = 0;
  absl::CivilDay birth;
  int assess_rounds = 0;
  std::string assessment_id;
  v1::Level level = v1::LEVEL_UNSPECIFIED;
  std::string case_id;
  int64_t version = 0;
  size_t provider = 0;
  bool work_end = false;  // ends with WORK on 2027-01-15, else MAXIMUM_TIME on 2027-01-31
  int reports = 0;
  bool failed = false;    // an RPC of this participant failed: left out of later phases
  bool ended = false;
};

// An Assess request for the participant (round > 0: other inputs), shaped like
// assessment_bench's: varied education, history, area statistics, with the participant's place.
v1::AssessRequest MakeAssessRequest(const Participant& p, const Place& place, size_t index, int round,
                                    absl::CivilDay today) {
  std::mt19937_64 rng(0x5eedULL * (index + 1) + static_cast<uint64_t>(round) * 7919);
  auto pick = [&rng](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  static const char* const kCountries[] = {"SE", "SE", "SE", "SE", "FI", "NO", "DK", "PL", "DE", "IQ",
                                           "SY", "SO", "IR", "AF", "ER", "TR", "BA", "CL", "TH", "IN"};
  static const char* const kOrientations[] = {"", "1", "14", "21", "31", "345", "42", "52", "62",
                                              "72", "76", "81", "86", "9"};
  static const char* const kOccupations[] = {"5120", "2512", "4111", "5321", "7111", "8211", "9111",
                                             "3313", "2221", "5131", "9412", "7231", "4222", "2341"};
  static const char* const kProgrammes[] = {"AUB", "PRAO", "ARBP", "FBU", "JOBB", "STOM"};
  static const char* const kDisabilityCodes[] = {"11", "21", "31", "41", "51", "61"};
  v1::AssessRequest req;
  req.set_person_id(p.person_id);
  v1::AssessmentFactors& f = *req.mutable_factors();
  f.set_country_of_birth(kCountries[rng() % (sizeof kCountries / sizeof *kCountries)]);
  f.set_postal_code(place.postal_code);
  f.set_municipality_code(place.municipality);
  f.set_county_code(place.county);
  f.set_education_level(static_cast<v1::EducationLevel>(pick(1, 7)));
  f.set_education_orientation(kOrientations[rng() % (sizeof kOrientations / sizeof *kOrientations)]);
  for (int k = pick(0, 4); k > 0; --k) {
    f.add_occupation_groups_sought(kOccupations[rng() % (sizeof kOccupations / sizeof *kOccupations)]);
  }
  f.set_age(p.age);
  f.set_sex(rng() % 2 ? v1::SEX_FEMALE : v1::SEX_MALE);
  f.set_fund_membership(rng() % 3 ? v1::FUND_MEMBERSHIP_MEMBER : v1::FUND_MEMBERSHIP_NOT_MEMBER);
  *f.mutable_registration_date() = Day(today - pick(0, 700));
  const int periods = pick(0, 4);
  f.set_previous_period_count(periods);
  if (periods > 0) {
    f.set_days_registered_previous_period(pick(10, 900));
    f.set_days_since_previous_period(pick(1, 2000));
    int total = 0;
    for (int k = pick(0, 3); k > 0; --k) {
      v1::ProgrammeHistory* h = f.add_previous_programmes();
      h->set_programme_code(kProgrammes[rng() % (sizeof kProgrammes / sizeof *kProgrammes)]);
      h->set_days(pick(5, 180));
      total += h->days();
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
  return req;
}

// A month's report: 2-4 categories (never "measure with other actor" or "short training"), 20-80
// hours in total: within the possible hours of every month of this year (a full month gives at
// least 160, the 15 days of January 2027 of a WORK end ceil(40 * 15 / 7) = 86).
v1::MonthlyReport MakeMonthlyReport(size_t index, absl::CivilMonth month) {
  std::mt19937_64 rng(0xabcdefULL * (index + 1) + static_cast<uint64_t>(month.year() * 12 + month.month()));
  auto pick = [&rng](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  static const v1::ActivityCategory kCategories[] = {
      v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING,     v1::ACTIVITY_CATEGORY_PRACTICAL_SUPPORT,
      v1::ACTIVITY_CATEGORY_EMPLOYER_CONTACTS,      v1::ACTIVITY_CATEGORY_STUDY_AND_CAREER_GUIDANCE,
      v1::ACTIVITY_CATEGORY_INFORMATION,            v1::ACTIVITY_CATEGORY_MAPPING,
      v1::ACTIVITY_CATEGORY_LANGUAGE_SKILLS,        v1::ACTIVITY_CATEGORY_MOTIVATIONAL_INTERVIEWING,
      v1::ACTIVITY_CATEGORY_DIGITAL_SKILLS,         v1::ACTIVITY_CATEGORY_HEALTH_PROMOTING,
      v1::ACTIVITY_CATEGORY_OWN_WORK_PER_PLAN};
  constexpr size_t kN = sizeof kCategories / sizeof *kCategories;
  v1::MonthlyReport r;
  r.mutable_month()->set_year(static_cast<int>(month.year()));
  r.mutable_month()->set_month(month.month());
  const int categories = pick(2, 4);
  const int total = pick(20, 80);
  const size_t first = rng() % kN;
  int left = total;
  for (int k = 0; k < categories; ++k) {
    v1::ActivityHours* a = r.add_activities();
    a->set_category(kCategories[(first + static_cast<size_t>(k) * 3) % kN]);
    const int hours = k + 1 == categories ? left : pick(1, std::max(1, left - (categories - k - 1)));
    a->set_hours(hours);
    left -= hours;
  }
  r.set_interpreter_hours(pick(0, 3));
  r.set_meetings(pick(2, 4));
  r.set_in_person_meetings(pick(1, 2));
  r.set_attested_by("Handledare");
  return r;
}

// Jiffies of the whole machine (/proc/stat): busy (user nice system irq softirq, without steal),
// steal (time the hypervisor gave to others) and total, to show what else ran meanwhile.
struct MachineJiffies {
  int64_t busy = 0, steal = 0, total = 0;
  static MachineJiffies Now() {
    MachineJiffies j;
    std::FILE* f = std::fopen("/proc/stat", "r");
    if (f == nullptr) return j;
    long long v[10] = {0};
    const int n = std::fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
                              &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    std::fclose(f);
    if (n < 8) return j;
    j.busy = v[0] + v[1] + v[2] + v[5] + v[6];
    j.steal = v[7];
    j.total = j.busy + j.steal + v[3] + v[4];
    return j;
  }
};

// ---- round trips of a host's Redis workers ----

// The sum of the round-trip counters of every Redis worker's connection of `host`: one task per
// worker, each waiting until all have arrived (so no worker takes two). Call only while the host
// is idle. -1 when the workers could not all be reached.
int64_t WorkerRoundTrips(rusta::server::ServiceHost& host) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int arrived = 0, finished = 0;
    int64_t sum = 0;
    bool incomplete = false;
  };
  auto state = std::make_shared<State>();
  const int n = host.executor().workers();
  for (int i = 0; i < n; ++i) {
    const bool submitted = host.executor().Submit([state, n](rusta::redis::RedisConnection& c) {
      std::unique_lock<std::mutex> lock(state->mu);
      ++state->arrived;
      state->sum += c.round_trips();
      state->cv.notify_all();
      if (!state->cv.wait_for(lock, std::chrono::seconds(10), [&] { return state->arrived >= n; })) {
        state->incomplete = true;
      }
      ++state->finished;
      state->cv.notify_all();
    });
    if (!submitted) return -1;
  }
  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_for(lock, std::chrono::seconds(30), [&] { return state->finished >= n; })) return -1;
  return state->incomplete ? -1 : state->sum;
}

// ---- a counted closed loop: every item once, `in_flight` calls outstanding ----

using ItemDone = std::function<void(const grpc::Status&)>;
using ItemCall = std::function<void(int channel, size_t item, ItemDone done)>;

class CountedRun {
 public:
  CountedRun(int in_flight, int channels, const std::vector<size_t>& items, const ItemCall& call)
      : items_(items), call_(call),
        slots_(static_cast<size_t>(std::max(1, std::min<int>(in_flight, static_cast<int>(items.size()))))) {
    for (size_t i = 0; i < slots_.size(); ++i) slots_[i].channel = static_cast<int>(i % static_cast<size_t>(std::max(1, channels)));
  }

  // Returns the latencies of the successful calls (ns, sorted) and the number of failed ones.
  std::pair<std::vector<int64_t>, int64_t> Run() {
    if (items_.empty()) return {};
    outstanding_ = static_cast<int>(slots_.size());
    for (Slot& s : slots_) Issue(s);
    {
      std::unique_lock<std::mutex> lock(mu_);
      drained_.wait(lock, [this] { return outstanding_ == 0; });
    }
    std::vector<int64_t> all;
    int64_t errors = 0;
    for (const Slot& s : slots_) {
      all.insert(all.end(), s.latencies_ns.begin(), s.latencies_ns.end());
      errors += s.errors;
    }
    std::sort(all.begin(), all.end());
    return {std::move(all), errors};
  }

 private:
  struct Slot {
    int channel = 0;
    SteadyClock::time_point started;
    std::vector<int64_t> latencies_ns;
    int64_t errors = 0;
    enum : int { kIssuing = 0, kInFlight = 1, kCompletedWhileIssuing = 2 };
    std::atomic<int> phase{kInFlight};
  };

  void Issue(Slot& slot) {
    for (;;) {
      const size_t n = next_.fetch_add(1);
      if (n >= items_.size()) return Retire();
      slot.phase.store(Slot::kIssuing);
      slot.started = SteadyClock::now();
      call_(slot.channel, items_[n], [this, &slot](const grpc::Status& status) { Completed(slot, status); });
      int expected = Slot::kIssuing;
      if (slot.phase.compare_exchange_strong(expected, Slot::kInFlight)) return;
    }
  }

  void Completed(Slot& slot, const grpc::Status& status) {
    if (status.ok()) {
      slot.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - slot.started).count());
    } else {
      ++slot.errors;
    }
    int expected = Slot::kIssuing;
    if (slot.phase.compare_exchange_strong(expected, Slot::kCompletedWhileIssuing)) return;
    Issue(slot);
  }

  void Retire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--outstanding_ == 0) drained_.notify_all();
  }

  const std::vector<size_t>& items_;
  const ItemCall& call_;
  std::vector<Slot> slots_;
  std::atomic<size_t> next_{0};
  int outstanding_ = 0;
  std::mutex mu_;
  std::condition_variable drained_;
};

double Percentile(const std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted_ns.size())));
  rank = std::clamp<size_t>(rank, 1, sorted_ns.size());
  return static_cast<double>(sorted_ns[rank - 1]) / 1e6;
}

// ---- Redis figures ----

int64_t CommandCalls(const std::string& commandstats, absl::string_view command) {
  const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
  for (absl::string_view line : absl::StrSplit(commandstats, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&line, prefix)) continue;
    int64_t n = 0;
    (void)absl::SimpleAtoi(line.substr(0, line.find(',')), &n);
    return n;
  }
  return 0;
}

int64_t TotalCommands(rusta::redis::RedisConnection& redis) {
  int64_t n = 0;
  (void)absl::SimpleAtoi(InfoField(Info(redis, "stats"), "total_commands_processed"), &n);
  return n;
}

// "idem:{<tag>}:<sha>:<method>:<request_id>" → the owner (by tag) and method; "" otherwise.
bool ParseIdemKey(absl::string_view key, std::string* owner, std::string* method) {
  if (!absl::ConsumePrefix(&key, "idem:{")) return false;
  const size_t close = key.find('}');
  if (close == absl::string_view::npos) return false;
  const absl::string_view tag = key.substr(0, close);
  std::vector<absl::string_view> rest = absl::StrSplit(key.substr(close + 1), ':');
  if (rest.size() < 4) return false;
  *method = std::string(rest[2]);
  if (absl::StartsWith(tag, "case-") || tag == "new-case") *owner = "referral";
  else if (absl::StartsWith(tag, "as-") || tag == "assess") *owner = "assessment";
  else *owner = "other";
  return true;
}

// The shape of a key: ids (a {hash tag} or a ':' segment with a digit in it) replaced by … / *;
// idempotency records by owner and method.
std::string KeyGroup(const std::string& key) {
  std::string owner, method;
  if (ParseIdemKey(key, &owner, &method)) return absl::StrCat("idem ", owner, " ", method);
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string out;
  size_t i = 0;
  while (i < key.size()) {
    if (key[i] == '{') {
      const size_t close = key.find('}', i);
      if (close == std::string::npos) break;
      const std::string tag = key.substr(i + 1, close - i - 1);
      out += std::any_of(tag.begin(), tag.end(), is_digit) ? "{…}" : "{" + tag + "}";
      i = close + 1;
      continue;
    }
    size_t end = key.find_first_of(":{", i);
    if (end == std::string::npos) end = key.size();
    if (end == i) {
      out += key[i++];
      continue;
    }
    const std::string seg = key.substr(i, end - i);
    out += std::any_of(seg.begin(), seg.end(), is_digit) ? "*" : seg;
    i = end;
  }
  return out;
}

struct KeyMemory {
  int64_t keys = 0, bytes = 0;
};
using MemoryByGroup = std::map<std::string, KeyMemory>;

// MEMORY USAGE (SAMPLES 0: exact) of every key, by KeyGroup.
MemoryByGroup MemoryByKeyGroup(rusta::redis::RedisConnection& redis) {
  MemoryByGroup groups;
  std::string cursor = "0";
  do {
    auto scan = redis.Command({"SCAN", cursor, "COUNT", "2000"});
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
      KeyMemory& g = groups[KeyGroup(keys[i])];
      g.keys += 1;
      g.bytes += (*replies)[i].integer;
    }
  } while (cursor != "0");
  return groups;
}

int64_t SumBytes(const MemoryByGroup& g, const std::function<bool(const std::string&)>& which) {
  int64_t sum = 0;
  for (const auto& [name, m] : g) {
    if (which(name)) sum += m.bytes;
  }
  return sum;
}

// The groups that grew from `before` to `after`, largest first, per case.
void PrintMemoryGrowth(const MemoryByGroup& before, const MemoryByGroup& after, int64_t cases, const char* indent) {
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> rows;  // name, (keys, bytes) delta
  for (const auto& [name, m] : after) {
    auto it = before.find(name);
    const KeyMemory b = it == before.end() ? KeyMemory{} : it->second;
    if (m.bytes - b.bytes != 0 || m.keys - b.keys != 0) rows.push_back({name, {m.keys - b.keys, m.bytes - b.bytes}});
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  int64_t total = 0;
  for (const auto& [name, d] : rows) {
    std::printf("%s%-52s %+8lld keys %+12.1f KiB  %8.1f B/case\n", indent, name.c_str(),
                static_cast<long long>(d.first), static_cast<double>(d.second) / 1024.0,
                cases > 0 ? static_cast<double>(d.second) / static_cast<double>(cases) : 0.0);
    total += d.second;
  }
  std::printf("%s%-52s %13s %+12.1f KiB  %8.1f B/case (sum of MEMORY USAGE)\n", indent, "total", "",
              static_cast<double>(total) / 1024.0,
              cases > 0 ? static_cast<double>(total) / static_cast<double>(cases) : 0.0);
}

// ---- phases ----

struct Hosts {
  rusta::server::ServiceHost* referral;
  rusta::server::ServiceHost* assessment;
  rusta::server::ServiceHost* registry;
};

struct PhaseResult {
  std::string name;  // the RPC type
  int64_t calls = 0, errors = 0;
  double wall_s = 0, process_cpu_s = 0, redis_cpu_s = 0;
  double machine_busy_cores = 0;   // the whole machine's busy time (without steal) / wall time, in cores
  double machine_steal_cores = 0;  // time the hypervisor gave to other guests, in cores
  std::vector<int64_t> latencies_ns;  // sorted
  int64_t rt_referral = 0, rt_assessment = 0, rt_registry = 0;
  int64_t commands = 0, fcalls = 0;
};

class PhaseRunner {
 public:
  PhaseRunner(const rusta::bench::LoadOptions& load, Hosts hosts, rusta::redis::RedisConnection& stats)
      : load_(load), hosts_(hosts), stats_(stats) {}

  PhaseResult Run(const std::string& rpc, const std::string& label, const std::vector<size_t>& items,
                  const ItemCall& call, bool print_commandstats) {
    PhaseResult r;
    r.name = rpc;
    (void)stats_.Command({"CONFIG", "RESETSTAT"});
    const int64_t rt0[3] = {WorkerRoundTrips(*hosts_.referral), WorkerRoundTrips(*hosts_.assessment),
                            WorkerRoundTrips(*hosts_.registry)};
    const double cpu0 = ProcessCpuSeconds(), redis0 = RedisCpuSeconds(stats_);
    const MachineJiffies machine0 = MachineJiffies::Now();
    const auto t0 = SteadyClock::now();
    CountedRun run(load_.in_flight, load_.channels, items, call);
    auto [latencies, errors] = run.Run();
    r.wall_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    r.process_cpu_s = ProcessCpuSeconds() - cpu0;
    r.redis_cpu_s = RedisCpuSeconds(stats_) - redis0;
    const MachineJiffies machine1 = MachineJiffies::Now();
    if (machine1.total > machine0.total) {
      const double cores = static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
      const double total = static_cast<double>(machine1.total - machine0.total);
      r.machine_busy_cores = static_cast<double>(machine1.busy - machine0.busy) / total * cores;
      r.machine_steal_cores = static_cast<double>(machine1.steal - machine0.steal) / total * cores;
    }
    const int64_t rt1[3] = {WorkerRoundTrips(*hosts_.referral), WorkerRoundTrips(*hosts_.assessment),
                            WorkerRoundTrips(*hosts_.registry)};
    auto delta = [](int64_t a, int64_t b) { return a < 0 || b < 0 ? -1 : b - a; };
    r.rt_referral = delta(rt0[0], rt1[0]);
    r.rt_assessment = delta(rt0[1], rt1[1]);
    r.rt_registry = delta(rt0[2], rt1[2]);
    const std::string commandstats = Info(stats_, "commandstats");
    r.fcalls = CommandCalls(commandstats, "fcall");
    r.commands = TotalCommands(stats_);
    r.latencies_ns = std::move(latencies);
    r.errors = errors;
    r.calls = static_cast<int64_t>(items.size());
    const double n = static_cast<double>(std::max<int64_t>(1, r.calls));
    std::printf("  %-32s %6lld calls %7.2f s %7.0f RPC/s  p50 %7.3f p90 %7.3f p99 %7.3f max %8.3f ms  %lld errors\n",
                label.c_str(), static_cast<long long>(r.calls), r.wall_s, static_cast<double>(r.calls) / r.wall_s,
                Percentile(r.latencies_ns, 50), Percentile(r.latencies_ns, 90), Percentile(r.latencies_ns, 99),
                r.latencies_ns.empty() ? 0.0 : static_cast<double>(r.latencies_ns.back()) / 1e6,
                static_cast<long long>(r.errors));
    std::printf("  %-32s round trips/RPC: referral %.2f, assessment %.2f, registry %.2f; redis: %.2f commands/RPC, "
                "%.2f FCALL/RPC; cpu (%% of one core): this process %.0f, redis-server %.0f, whole machine %.0f "
                "(+ steal %.0f)\n",
                "", static_cast<double>(r.rt_referral) / n, static_cast<double>(r.rt_assessment) / n,
                static_cast<double>(r.rt_registry) / n, static_cast<double>(r.commands) / n,
                static_cast<double>(r.fcalls) / n, 100.0 * r.process_cpu_s / r.wall_s, 100.0 * r.redis_cpu_s / r.wall_s,
                100.0 * r.machine_busy_cores, 100.0 * r.machine_steal_cores);
    if (print_commandstats) {
      std::printf("    redis commandstats of this phase (every service, health pings, this bench's INFO):\n");
      PrintCommandStats(stats_, "      ", r.calls, "RPC");
    }
    std::fflush(stdout);
    return r;
  }

 private:
  rusta::bench::LoadOptions load_;
  Hosts hosts_;
  rusta::redis::RedisConnection& stats_;
};

// Wraps a call's completion: a failure marks the participant failed and is printed (the first 10
// per phase).
ItemDone OnDone(const char* rpc, Participant* p, std::atomic<int>* printed, ItemDone done) {
  return [rpc, p, printed, done = std::move(done)](const grpc::Status& status) {
    if (!status.ok()) {
      p->failed = true;
      if (printed->fetch_add(1) < 10) {
        std::fprintf(stderr, "%s failed for %s (case %s): %s %s\n", rpc, p->person_id.c_str(), p->case_id.c_str(),
                     rusta::StatusCodeName(status.error_code()), status.error_message().c_str());
      }
    }
    done(status);
  };
}

grpc::Status Mismatch(const std::string& what) { return grpc::Status(grpc::StatusCode::DATA_LOSS, what); }

// ---- population of the registry (blocking, as admin) ----

template <typename Req, typename Resp>
bool AdminCall(RegistryStub* stub, grpc::Status (RegistryStub::*method)(grpc::ClientContext*, const Req&, Resp*),
               const char* name, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  const grpc::Status status = (stub->*method)(&ctx, req, resp);
  if (!status.ok()) {
    std::fprintf(stderr, "%s failed: %s %s\n  request: %s\n", name, rusta::StatusCodeName(status.error_code()),
                 status.error_message().c_str(), req.ShortDebugString().substr(0, 400).c_str());
    return false;
  }
  return true;
}

struct Measured {
  rusta::bench::LoadResult result;
  double wall_s = 0, process_cpu_s = 0, redis_cpu_s = 0;
};

Measured RunEcho(const rusta::bench::LoadOptions& load, const rusta::bench::StartCall& call,
                 rusta::redis::RedisConnection& stats) {
  Measured m;
  const double cpu0 = ProcessCpuSeconds(), redis0 = RedisCpuSeconds(stats);
  const auto t0 = SteadyClock::now();
  m.result = rusta::bench::RunLoad(load, call);
  m.wall_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  m.process_cpu_s = ProcessCpuSeconds() - cpu0;
  m.redis_cpu_s = RedisCpuSeconds(stats) - redis0;
  std::printf("%s\n", rusta::bench::FormatResult("echo baseline", m.result).c_str());
  std::printf("    cpu over %.2f s wall (incl. warm-up): this process %.0f%% of one core, redis-server %.0f%%\n",
              m.wall_s, 100.0 * m.process_cpu_s / m.wall_s, 100.0 * m.redis_cpu_s / m.wall_s);
  std::fflush(stdout);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rusta;
  const Flags flags = ParseFlags(argc, argv);
  // The interceptor's per-RPC info lines would dominate both the output and the CPU.
  log::SetMinLevel(log::Level::kWarning);

  // ---- reference data, as the services' mains load it ----
  auto reference = registry::LoadReferenceData(RUSTA_SHARED_DATA_DIR);
  auto municipalities = validation::MunicipalityCodes::LoadCsv(RUSTA_SHARED_DATA_DIR "/municipalities.csv");
  auto postal_codes =
      validation::PostalCodeDirectory::LoadCsv(RUSTA_SHARED_DATA_DIR "/postal_to_municipality.csv");
  if (!reference.ok() || !municipalities.ok() || !postal_codes.ok()) {
    std::fprintf(stderr, "reference data: %s\n",
                 std::string((!reference.ok()        ? reference.status()
                              : !municipalities.ok() ? municipalities.status()
                                                     : postal_codes.status())
                                 .message())
                     .c_str());
    return 1;
  }
  auto models = assessment::ModelRegistry::LoadDirectory(RUSTA_SOURCE_DIR "/services/assessment/models");
  if (!models.ok()) {
    std::fprintf(stderr, "models: %s\n", std::string(models.status().message()).c_str());
    return 1;
  }
  // Places: every known municipality with coordinates and postal codes, one postal code each.
  std::vector<Place> places;
  std::vector<std::string> area_codes;  // the national delivery area
  {
    std::map<std::string, std::vector<std::string>> postal_of;
    for (const auto& [postal, entry] : reference->postal_codes) postal_of[entry.municipality_code].push_back(postal);
    std::mt19937_64 rng(20260105);
    for (const v1::Municipality& m : reference->municipalities) {
      area_codes.push_back(m.code());
      auto it = postal_of.find(m.code());
      if (!m.has_location() || it == postal_of.end() || !municipalities->Contains(m.code())) continue;
      for (int k = 0; k < 3; ++k) {  // a few postal codes per municipality
        places.push_back({m.code(), m.county_code(), it->second[rng() % it->second.size()],
                          m.location().latitude(), m.location().longitude()});
      }
    }
  }
  if (places.empty()) {
    std::fprintf(stderr, "reference data: no municipality with coordinates and postal codes\n");
    return 1;
  }

  // ---- the year ----
  const absl::CivilDay kFirstDay(2026, 1, 5), kStart(2026, 2, 1), kProlongOn(2026, 7, 1), kEndOn(2027, 2, 1);
  const absl::CivilDay kMaximumEnd(2027, 1, 31), kWorkEnd(2027, 1, 15);
  server::ManualClock clock(At(kFirstDay));

  testing::RedisServer redis;
  testing::Pki pki;

  // ---- hosts ----
  auto echo_host = bench::StartEchoHost(bench::BenchServerConfig(pki, redis));
  if (!echo_host.ok()) {
    std::fprintf(stderr, "echo host: %s\n", std::string(echo_host.status().message()).c_str());
    return 1;
  }

  config::ConfigParser parser({}, {});
  assessment::AssessmentConfig assessment_config = assessment::ReadAssessmentConfig(parser);
  assessment_config.model_dir = RUSTA_SOURCE_DIR "/services/assessment/models";
  assessment_config.pseudonym_secret = "bench-pseudonym-secret";
  redis::FunctionRegistry assessment_functions;
  assessment_functions.Add(lua::CommonLibrary());
  assessment_functions.Add(lua::AssessmentLibrary());
  server::ServiceHost assessment_host(bench::BenchServerConfig(pki, redis, "assessment"), assessment_functions);
  assessment_host.SetClock(&clock);
  assessment::AssessmentHandler assessment_handler(assessment_host, assessment_config, *models, &*municipalities,
                                                   &*postal_codes);
  assessment_host.AddService(&assessment_handler, "rusta.v1.AssessmentService");

  redis::FunctionRegistry registry_functions;
  registry_functions.Add(lua::CommonLibrary());
  registry_functions.Add(lua::RegistryLibrary());
  server::ServiceHost registry_host(bench::BenchServerConfig(pki, redis, "provider-registry"), registry_functions);
  registry_host.SetClock(&clock);
  registry::RegistryHandler registry_handler(registry_host, registry::RegistryConfig{}, std::move(*reference));
  registry_host.AddService(&registry_handler, "rusta.v1.ProviderRegistryService");

  // Shut every host down before the handler it serves goes away, whichever way main returns
  // (the referral host's guard, declared last, runs first: it calls the other two).
  struct ShutdownFirst {
    server::ServiceHost& host;
    ~ShutdownFirst() { host.Shutdown(); }
  };
  ShutdownFirst shutdown_assessment{assessment_host};
  ShutdownFirst shutdown_registry{registry_host};
  for (auto [host, name] : {std::pair<server::ServiceHost*, const char*>{&assessment_host, "assessment"},
                            std::pair<server::ServiceHost*, const char*>{&registry_host, "registry"}}) {
    if (absl::Status s = host->Start(); !s.ok()) {
      std::fprintf(stderr, "%s host: %s\n", name, std::string(s.message()).c_str());
      return 1;
    }
  }

  // The referral service calls the other two with its own certificate.
  referral::UpstreamOptions upstream;
  upstream.assessment_address = absl::StrCat("127.0.0.1:", assessment_host.port());
  upstream.registry_address = absl::StrCat("127.0.0.1:", registry_host.port());
  upstream.tls_cert = pki.server_cert("referral");
  upstream.tls_key = pki.server_key("referral");
  upstream.tls_ca = pki.ca_cert();
  upstream.tls_name = "localhost";
  upstream.timeout_ms = 30000;
  std::unique_ptr<referral::AssessmentClient> assessment_client = *referral::MakeGrpcAssessmentClient(upstream);
  std::unique_ptr<referral::RegistryClient> registry_client = *referral::MakeGrpcRegistryClient(upstream);
  referral::ReferralConfig referral_config;
  referral_config.scheduler_interval_ms = 0;
  referral_config.upstream_timeout_ms = upstream.timeout_ms;
  referral_config.pseudonym_secret = "bench-pseudonym-secret";
  redis::FunctionRegistry referral_functions;
  referral_functions.Add(lua::CommonLibrary());
  referral_functions.Add(lua::ReferralLibrary());
  referral_functions.Add(lua::CompensationLibrary());
  server::ServiceHost referral_host(bench::BenchServerConfig(pki, redis, "referral"), referral_functions);
  referral_host.SetClock(&clock);
  referral::ReferralHandler referral_handler(referral_host, referral_config, assessment_client.get(),
                                             registry_client.get(), &*municipalities, &*postal_codes);
  referral_host.AddService(&referral_handler, "rusta.v1.ReferralService");
  // The compensation engine and ledger (issue 6) in the same process, on the shipped tariff.
  auto tariffs = compensation::LoadTariffDirectory(RUSTA_COMPENSATION_TARIFF_DIR);
  if (!tariffs.ok()) {
    std::fprintf(stderr, "tariffs: %s\n", std::string(tariffs.status().message()).c_str());
    return 1;
  }
  compensation::CompensationConfig compensation_config;
  compensation_config.engine_interval_ms = 0;  // run by hand below
  referral::InProcessCaseSource case_source(referral_handler.case_store());
  compensation::CompensationHandler compensation_handler(referral_host, compensation_config, *tariffs, case_source,
                                                         nullptr);
  referral_host.AddService(&compensation_handler, "rusta.v1.CompensationService");
  ShutdownFirst shutdown_referral{referral_host};
  if (absl::Status s = referral_host.Start(); !s.ok()) {
    std::fprintf(stderr, "referral host: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (!WaitHealthy((*echo_host)->host(), "echo") || !WaitHealthy(assessment_host, "assessment") ||
      !WaitHealthy(registry_host, "registry") || !WaitHealthy(referral_host, "referral")) {
    return 1;
  }

  redis::RedisConnection stats(redis.options());
  const int64_t memory_empty = UsedMemory(stats);
  if (absl::Status s = registry_handler.LoadMunicipalities(stats); !s.ok()) {
    std::fprintf(stderr, "LoadMunicipalities: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  std::printf("referral_bench: a simulated year of %d participants over gRPC and mutual TLS: assessment, "
              "provider registry and referral service each on its own ServiceHost (%d Redis workers each), one "
              "redis-server, a manual clock from %s; %d in flight over %d channels per caller; client, servers "
              "and Redis share this machine's %u cores\n",
              flags.participants, referral_host.executor().workers(), absl::FormatCivilTime(kFirstDay).c_str(),
              flags.load.in_flight, flags.load.channels, std::thread::hardware_concurrency());
  std::fflush(stdout);

  // ---- the registry: providers, one national area, contracts, offices (as admin) ----
  auto admin_channel = testing::Pki::Channel(registry_host.port(), pki.ClientCredentials("admin"));
  if (!admin_channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot connect to the registry host\n");
    return 1;
  }
  auto admin = v1::ProviderRegistryService::NewStub(admin_channel);
  std::vector<std::string> orgs;
  {
    const auto t0 = SteadyClock::now();
    std::mt19937_64 rng(20260106);
    auto pick = [&rng](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
    for (int i = 0; i < flags.providers; ++i) {
      v1::ApplyProviderRequest req;
      req.set_request_id(absl::StrCat("bench-apply-", i));
      req.set_organisation_number(OrganisationNumber(i));
      v1::ProviderProfile* p = req.mutable_profile();
      p->set_name(absl::StrCat("Rusta Bench Leverantör ", i, " AB"));
      p->set_sector(v1::PROVIDER_SECTOR_EDUCATION);
      p->set_description("Matchning och förberedande insatser. Individuellt stöd och kontakt med arbetsgivare.");
      p->add_languages("sv");
      p->set_contact_mailbox(absl::StrCat("rom@leverantor", i, ".se"));
      v1::AdmissionCheck* a = req.mutable_admission();
      for (int k = 0; k < 2; ++k) {
        v1::ReferenceAssignment* r = a->add_references();
        r->set_client_name(absl::StrCat("Kommun ", pick(1, 290)));
        r->set_description("Arbetsmarknadsinsats för arbetssökande");
        *r->mutable_period()->mutable_start() = Day(kFirstDay - pick(800, 2000));
        *r->mutable_period()->mutable_end() = Day(kFirstDay - pick(30, 700));
        r->set_contact("arbetsmarknad@kommun.se");
      }
      a->set_credit_rating(pick(60, 100));
      a->set_payment_remarks(false);
      v1::ApplyProviderResponse resp;
      if (!AdminCall(admin.get(), &RegistryStub::ApplyProvider, "ApplyProvider", req, &resp)) return 1;
      orgs.push_back(resp.provider().organisation_number());
      v1::ApproveProviderRequest approve;
      approve.set_request_id(absl::StrCat("bench-approve-", i));
      approve.set_organisation_number(orgs.back());
      approve.set_expected_version(resp.provider().version());
      approve.set_reason("Kvalificeringskraven uppfyllda");
      v1::ApproveProviderResponse approved;
      if (!AdminCall(admin.get(), &RegistryStub::ApproveProvider, "ApproveProvider", approve, &approved)) return 1;
    }
    v1::CreateDeliveryAreaRequest area;
    area.set_request_id("bench-area-national");
    area.set_name("Hela landet");
    for (const std::string& code : area_codes) area.add_municipality_codes(code);
    v1::CreateDeliveryAreaResponse area_resp;
    if (!AdminCall(admin.get(), &RegistryStub::CreateDeliveryArea, "CreateDeliveryArea", area, &area_resp)) return 1;
    for (size_t p = 0; p < orgs.size(); ++p) {
      v1::CreateContractRequest req;
      req.set_request_id(absl::StrCat("bench-contract-", p));
      req.set_organisation_number(orgs[p]);
      req.set_area_id(area_resp.area().area_id());
      *req.mutable_period()->mutable_start() = Day(kFirstDay - 100);  // open-ended
      v1::CreateContractResponse resp;
      if (!AdminCall(admin.get(), &RegistryStub::CreateContract, "CreateContract", req, &resp)) return 1;
      for (int j = 0; j < kOfficesPerProvider; ++j) {
        const Place& place = places[rng() % places.size()];
        v1::AddOfficeRequest office;
        office.set_request_id(absl::StrCat("bench-office-", p, "-", j));
        office.set_organisation_number(orgs[p]);
        office.set_name(absl::StrCat("Kontor ", j));
        office.mutable_address()->set_street(absl::StrCat("Storgatan ", pick(1, 120)));
        office.mutable_address()->set_postal_code(place.postal_code);
        // A few km around the municipality's point, kept inside Sweden's box.
        const double jitter_lat = static_cast<double>(pick(-300, 300)) / 10000.0;
        const double jitter_lon = static_cast<double>(pick(-500, 500)) / 10000.0;
        office.mutable_location()->set_latitude(std::min(69.1, std::max(55.0, place.lat + jitter_lat)));
        office.mutable_location()->set_longitude(std::min(24.2, std::max(10.9, place.lon + jitter_lon)));
        v1::AddOfficeResponse added;
        if (!AdminCall(admin.get(), &RegistryStub::AddOffice, "AddOffice", office, &added)) return 1;
      }
    }
    std::printf("registry populated through the API in %.1f s: %zu approved providers, one national delivery area "
                "(%zu municipalities), one open-ended contract and %d offices per provider\n",
                std::chrono::duration<double>(SteadyClock::now() - t0).count(), orgs.size(), area_codes.size(),
                kOfficesPerProvider);
    std::fflush(stdout);
  }

  // ---- callers: caseworker channels and each provider's own ----
  auto caseworker = pki.ClientCredentials("caseworker");
  std::vector<std::unique_ptr<EchoService::Stub>> echo_stubs;
  std::vector<std::unique_ptr<AssessmentStub>> assess_stubs;
  std::vector<std::unique_ptr<ReferralStub>> referral_stubs;
  std::vector<std::vector<std::unique_ptr<ReferralStub>>> provider_stubs(orgs.size());
  const auto connect_deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  for (int i = 0; i < flags.load.channels; ++i) {
    auto echo_channel = testing::Pki::Channel((*echo_host)->port(), caseworker);
    auto assess_channel = testing::Pki::Channel(assessment_host.port(), caseworker);
    auto referral_channel = testing::Pki::Channel(referral_host.port(), caseworker);
    if (!echo_channel->WaitForConnected(connect_deadline) || !assess_channel->WaitForConnected(connect_deadline) ||
        !referral_channel->WaitForConnected(connect_deadline)) {
      std::fprintf(stderr, "channel %d: cannot connect to the hosts\n", i);
      return 1;
    }
    echo_stubs.push_back(EchoService::NewStub(echo_channel));
    assess_stubs.push_back(v1::AssessmentService::NewStub(assess_channel));
    referral_stubs.push_back(v1::ReferralService::NewStub(referral_channel));
  }
  for (size_t p = 0; p < orgs.size(); ++p) {
    const std::string name = absl::StrCat("bench-provider-", p);
    pki.AddClient(name, absl::StrCat("spiffe://rusta.local/provider/", orgs[p]));
    auto credentials = pki.ClientCredentials(name);
    for (int i = 0; i < flags.load.channels; ++i) {
      auto channel = testing::Pki::Channel(referral_host.port(), credentials);
      if (!channel->WaitForConnected(connect_deadline)) {
        std::fprintf(stderr, "provider %s channel %d: cannot connect\n", orgs[p].c_str(), i);
        return 1;
      }
      provider_stubs[p].push_back(v1::ReferralService::NewStub(channel));
    }
  }

  // ---- echo baseline, before ----
  const std::string payload(16, 'x');
  auto echo_call = [&](int channel, int64_t, bench::CallDone done) {
    EchoRequest request;
    request.set_payload(payload);
    bench::AsyncUnary(echo_stubs[static_cast<size_t>(channel)].get(), &EchoService::Stub::async::Echo,
                      std::move(request), std::move(done), std::chrono::seconds(10),
                      [](const EchoRequest& req, const EchoResponse& resp) {
                        return resp.payload() == req.payload() ? grpc::Status::OK : Mismatch("echo differs");
                      });
  };
  std::printf("\n");
  const Measured echo_before = RunEcho(flags.load, echo_call, stats);

  // ---- participants ----
  std::vector<Participant> people(static_cast<size_t>(flags.participants));
  {
    std::mt19937_64 rng(20260107);
    std::set<std::string> used;
    for (size_t i = 0; i < people.size(); ++i) {
      Participant& p = people[i];
      for (;;) {
        const int age = 18 + static_cast<int>(rng() % 47);  // 18..64
        const absl::CivilDay birth(static_cast<int>(kFirstDay.year()) - age - 1, 1 + static_cast<int>(rng() % 12),
                                   1 + static_cast<int>(rng() % 28));
        const std::string id = PersonNumber(static_cast<int>(birth.year()), birth.month(), birth.day(),
                                            1 + static_cast<int>(rng() % 999));
        if (!used.insert(id).second) continue;
        p.person_id = id;
        p.birth = birth;
        // Whole years on the first day.
        p.age = static_cast<int>(kFirstDay.year() - birth.year()) -
                ((kFirstDay.month() < birth.month() ||
                  (kFirstDay.month() == birth.month() && kFirstDay.day() < birth.day()))
                     ? 1
                     : 0);
        break;
      }
      p.place = static_cast<size_t>(rng() % places.size());
      p.provider = i % orgs.size();
      p.work_end = i % 5 == 4;
    }
  }
  auto live = [&](const std::function<bool(const Participant&)>& also) {
    std::vector<size_t> items;
    for (size_t i = 0; i < people.size(); ++i) {
      if (!people[i].failed && also(people[i])) items.push_back(i);
    }
    return items;
  };

  PhaseRunner runner(flags.load, Hosts{&referral_host, &assessment_host, &registry_host}, stats);
  std::vector<PhaseResult> phases;  // the year, in order
  std::atomic<int> printed{0};
  const bool cs = flags.commandstats != 0;
  std::printf("\nthe year (each line one phase: one RPC per live participant; latency p50/p90/p99/max):\n");

  // ---- 2026-01-05: Assess until IN_BETWEEN ----
  std::atomic<int64_t> outcome_counts[4] = {{0}, {0}, {0}, {0}};  // unspecified, close, in-between, far
  int assess_round = 0;
  const ItemCall assess_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::AssessRequest req = MakeAssessRequest(p, places[p.place], i, assess_round, kFirstDay);
    req.set_request_id(absl::StrCat("bench-assess-", i, "-", assess_round));
    ++p.assess_rounds;
    bench::AsyncUnary(
        assess_stubs[static_cast<size_t>(channel)].get(), &AssessmentStub::async::Assess, std::move(req),
        OnDone("Assess", &p, &printed, std::move(done)), kCallTimeout,
        [&p, &outcome_counts](const v1::AssessRequest&, const v1::AssessResponse& resp) {
          const v1::Assessment& a = resp.assessment();
          if (a.assessment_id().empty() || a.person_id() != p.person_id) return Mismatch("assessment of another person");
          const int o = static_cast<int>(a.result().outcome());
          if (o >= 0 && o < 4) outcome_counts[o].fetch_add(1);
          if (a.result().outcome() == v1::ASSESSMENT_OUTCOME_IN_BETWEEN) {
            if (a.result().level() == v1::LEVEL_UNSPECIFIED) return Mismatch("IN_BETWEEN without a level");
            p.assessment_id = a.assessment_id();
            p.level = a.result().level();
          }
          return grpc::Status::OK;
        });
  };
  {
    PhaseResult merged;
    merged.name = "Assess";
    for (assess_round = 0; assess_round < kAssessRounds; ++assess_round) {
      const std::vector<size_t> items = live([](const Participant& p) { return p.assessment_id.empty(); });
      if (items.empty()) break;
      PhaseResult r = runner.Run("Assess", absl::StrCat("Assess round ", assess_round + 1), items, assess_call,
                                 cs && assess_round == 0);
      merged.calls += r.calls;
      merged.errors += r.errors;
      merged.wall_s += r.wall_s;
      merged.process_cpu_s += r.process_cpu_s;
      merged.redis_cpu_s += r.redis_cpu_s;
      merged.machine_busy_cores += r.machine_busy_cores * r.wall_s;  // divided by the wall time below
      merged.machine_steal_cores += r.machine_steal_cores * r.wall_s;
      merged.rt_referral += r.rt_referral;
      merged.rt_assessment += r.rt_assessment;
      merged.rt_registry += r.rt_registry;
      merged.commands += r.commands;
      merged.fcalls += r.fcalls;
      merged.latencies_ns.insert(merged.latencies_ns.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    }
    std::sort(merged.latencies_ns.begin(), merged.latencies_ns.end());
    if (merged.wall_s > 0) {
      merged.machine_busy_cores /= merged.wall_s;
      merged.machine_steal_cores /= merged.wall_s;
    }
    phases.push_back(std::move(merged));
  }
  int64_t never_in_between = 0;
  for (Participant& p : people) {
    if (!p.failed && p.assessment_id.empty()) {
      p.failed = true;  // left out, not an error
      ++never_in_between;
    }
  }
  const int64_t assess_calls = phases.back().calls;
  std::printf("  Assess: %lld calls for %d participants: CLOSE %lld, IN_BETWEEN %lld, FAR %lld; %lld never "
              "IN_BETWEEN in %d rounds (left out)\n",
              static_cast<long long>(assess_calls), flags.participants,
              static_cast<long long>(outcome_counts[v1::ASSESSMENT_OUTCOME_CLOSE].load()),
              static_cast<long long>(outcome_counts[v1::ASSESSMENT_OUTCOME_IN_BETWEEN].load()),
              static_cast<long long>(outcome_counts[v1::ASSESSMENT_OUTCOME_FAR].load()),
              static_cast<long long>(never_in_between), kAssessRounds);
  std::fflush(stdout);

  const int64_t memory_before_cases = UsedMemory(stats);
  const MemoryByGroup groups_before = MemoryByKeyGroup(stats);

  // ---- 2026-01-05: CreateCase, Decide, ChooseProvider ----
  const ItemCall create_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::CreateCaseRequest req;
    req.set_request_id(absl::StrCat("bench-create-", i));
    req.set_person_id(p.person_id);
    req.set_home_municipality_code(places[p.place].municipality);
    req.set_home_postal_code(places[p.place].postal_code);
    req.set_assessment_id(p.assessment_id);
    bench::AsyncUnary(referral_stubs[static_cast<size_t>(channel)].get(), &ReferralStub::async::CreateCase,
                      std::move(req), OnDone("CreateCase", &p, &printed, std::move(done)), kCallTimeout,
                      [&p](const v1::CreateCaseRequest&, const v1::CreateCaseResponse& resp) {
                        const v1::Case& c = resp.case_record();
                        if (c.case_id().empty() || c.state() != v1::CASE_STATE_ASSESSED ||
                            c.assessment_id() != p.assessment_id) {
                          return Mismatch(absl::StrCat("CreateCase: state ", v1::CaseState_Name(c.state())));
                        }
                        p.case_id = c.case_id();
                        p.version = c.version();
                        return grpc::Status::OK;
                      });
  };
  phases.push_back(runner.Run("CreateCase", "CreateCase", live([](const Participant&) { return true; }),
                              create_call, cs));

  const ItemCall decide_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::DecideRequest req;
    req.set_request_id(absl::StrCat("bench-decide-", i));
    req.set_case_id(p.case_id);
    req.set_expected_version(p.version);
    v1::ReferDecision* d = req.mutable_refer();
    d->set_assessment_id(p.assessment_id);
    d->set_basis(v1::DECISION_BASIS_ASSESSMENT);
    d->set_level(p.level);
    d->mutable_extent()->set_kind(v1::EXTENT_KIND_FULL_TIME);
    d->mutable_extent()->set_percentage(100);
    d->set_justification("Bedömningsverktyget: mellanliggande avstånd till arbetsmarknaden");
    bench::AsyncUnary(referral_stubs[static_cast<size_t>(channel)].get(), &ReferralStub::async::Decide,
                      std::move(req), OnDone("Decide", &p, &printed, std::move(done)), kCallTimeout,
                      [&p](const v1::DecideRequest&, const v1::DecideResponse& resp) {
                        const v1::Case& c = resp.case_record();
                        if (c.state() != v1::CASE_STATE_AWAITING_CHOICE || c.level() != p.level ||
                            c.decision().assessment_id() != p.assessment_id) {
                          return Mismatch(absl::StrCat("Decide: state ", v1::CaseState_Name(c.state())));
                        }
                        p.version = c.version();
                        return grpc::Status::OK;
                      });
  };
  phases.push_back(runner.Run("Decide", "Decide", live([](const Participant&) { return true; }), decide_call, cs));

  const ItemCall choose_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::ChooseProviderRequest req;
    req.set_request_id(absl::StrCat("bench-choose-", i));
    req.set_case_id(p.case_id);
    req.set_expected_version(p.version);
    req.set_organisation_number(orgs[p.provider]);
    bench::AsyncUnary(referral_stubs[static_cast<size_t>(channel)].get(), &ReferralStub::async::ChooseProvider,
                      std::move(req), OnDone("ChooseProvider", &p, &printed, std::move(done)), kCallTimeout,
                      [&p, &orgs](const v1::ChooseProviderRequest&, const v1::ChooseProviderResponse& resp) {
                        const v1::Case& c = resp.case_record();
                        if (c.state() != v1::CASE_STATE_ASSIGNED ||
                            c.current_provider().organisation_number() != orgs[p.provider]) {
                          return Mismatch(absl::StrCat("ChooseProvider: state ", v1::CaseState_Name(c.state())));
                        }
                        p.version = c.version();
                        return grpc::Status::OK;
                      });
  };
  phases.push_back(runner.Run("ChooseProvider", "ChooseProvider", live([](const Participant&) { return true; }),
                              choose_call, cs));

  // ---- 2026-02-01: Start ----
  clock.Set(At(kStart));
  const ItemCall start_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::StartRequest req;
    req.set_request_id(absl::StrCat("bench-start-", i));
    req.set_case_id(p.case_id);
    req.set_expected_version(p.version);
    *req.mutable_start_date() = Day(kStart);
    bench::AsyncUnary(referral_stubs[static_cast<size_t>(channel)].get(), &ReferralStub::async::Start, std::move(req),
                      OnDone("Start", &p, &printed, std::move(done)), kCallTimeout,
                      [&p, kStart](const v1::StartRequest&, const v1::StartResponse& resp) {
                        const v1::Case& c = resp.case_record();
                        if (c.state() != v1::CASE_STATE_ACTIVE || c.started_on().year() != kStart.year() ||
                            c.started_on().month() != kStart.month() || c.started_on().day() != kStart.day()) {
                          return Mismatch(absl::StrCat("Start: state ", v1::CaseState_Name(c.state())));
                        }
                        p.version = c.version();
                        return grpc::Status::OK;
                      });
  };
  phases.push_back(runner.Run("Start", "Start", live([](const Participant&) { return true; }), start_call, cs));
  const int64_t active_cases = static_cast<int64_t>(live([](const Participant&) { return true; }).size());
  const int64_t memory_active = UsedMemory(stats);
  const MemoryByGroup groups_active = MemoryByKeyGroup(stats);

  // ---- monthly reports, prolongation, end ----
  const ItemCall prolong_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::ProlongRequest req;
    req.set_request_id(absl::StrCat("bench-prolong-", i));
    req.set_case_id(p.case_id);
    req.set_expected_version(p.version);
    req.set_justification("Fortsatt behov av stöd för att nå arbete");
    bench::AsyncUnary(referral_stubs[static_cast<size_t>(channel)].get(), &ReferralStub::async::Prolong,
                      std::move(req), OnDone("Prolong", &p, &printed, std::move(done)), kCallTimeout,
                      [&p, kMaximumEnd](const v1::ProlongRequest&, const v1::ProlongResponse& resp) {
                        const v1::Case& c = resp.case_record();
                        if (c.state() != v1::CASE_STATE_ACTIVE || c.service_periods_size() != 2 ||
                            c.maximum_end_date().year() != kMaximumEnd.year() ||
                            c.maximum_end_date().month() != kMaximumEnd.month() ||
                            c.maximum_end_date().day() != kMaximumEnd.day()) {
                          return Mismatch(absl::StrCat("Prolong: ", c.service_periods_size(), " periods, maximum end ",
                                                       c.maximum_end_date().ShortDebugString()));
                        }
                        p.version = c.version();
                        return grpc::Status::OK;
                      });
  };
  absl::CivilMonth report_month;  // the month the current phase reports
  const ItemCall report_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::SubmitMonthlyReportRequest req;
    req.set_request_id(absl::StrCat("bench-report-", i, "-", absl::FormatCivilTime(report_month)));
    req.set_case_id(p.case_id);
    req.set_expected_version(0);
    *req.mutable_report() = MakeMonthlyReport(i, report_month);
    bench::AsyncUnary(provider_stubs[p.provider][static_cast<size_t>(channel)].get(),
                      &ReferralStub::async::SubmitMonthlyReport, std::move(req),
                      OnDone("SubmitMonthlyReport", &p, &printed, std::move(done)), kCallTimeout,
                      [&p, &orgs](const v1::SubmitMonthlyReportRequest& rq, const v1::SubmitMonthlyReportResponse& resp) {
                        const v1::CaseReport& r = resp.report();
                        if (r.report_id().empty() || r.case_id() != p.case_id || r.revision() != 1 ||
                            r.kind() != v1::CASE_REPORT_KIND_MONTHLY || r.organisation_number() != orgs[p.provider] ||
                            r.monthly().month().month() != rq.report().month().month()) {
                          return Mismatch(absl::StrCat("SubmitMonthlyReport: ", r.ShortDebugString().substr(0, 200)));
                        }
                        ++p.reports;
                        return grpc::Status::OK;
                      });
  };
  const ItemCall end_call = [&](int channel, size_t i, ItemDone done) {
    Participant& p = people[i];
    v1::EndRequest req;
    req.set_request_id(absl::StrCat("bench-end-", i));
    req.set_case_id(p.case_id);
    req.set_expected_version(p.version);
    req.set_reason(p.work_end ? v1::END_REASON_WORK : v1::END_REASON_MAXIMUM_TIME);
    *req.mutable_end_date() = Day(p.work_end ? kWorkEnd : kMaximumEnd);
    bench::AsyncUnary(referral_stubs[static_cast<size_t>(channel)].get(), &ReferralStub::async::End, std::move(req),
                      OnDone("End", &p, &printed, std::move(done)), kCallTimeout,
                      [&p](const v1::EndRequest& rq, const v1::EndResponse& resp) {
                        const v1::Case& c = resp.case_record();
                        if (c.state() != v1::CASE_STATE_ENDED || c.end().reason() != rq.reason() ||
                            c.end().end_date().day() != rq.end_date().day()) {
                          return Mismatch(absl::StrCat("End: state ", v1::CaseState_Name(c.state())));
                        }
                        p.version = c.version();
                        p.ended = true;
                        return grpc::Status::OK;
                      });
  };

  std::vector<PhaseResult> report_phases;
  for (int m = 0; m < kMonths; ++m) {
    report_month = absl::CivilMonth(kStart) + m;
    const bool last = m + 1 == kMonths;
    if (last) {
      // 2027-02-01: the end first, then the last month's report from the last provider.
      clock.Set(At(kEndOn));
      phases.push_back(runner.Run("End", "End", live([](const Participant&) { return true; }), end_call, cs));
    } else {
      clock.Set(At(absl::CivilDay(report_month + 1)));
    }
    const int month_index = m;
    report_phases.push_back(runner.Run(
        "SubmitMonthlyReport", absl::StrCat("SubmitMonthlyReport ", absl::FormatCivilTime(report_month)),
        live([month_index](const Participant& p) { return p.reports == month_index; }), report_call,
        cs && (m == 0 || last)));
    if (absl::CivilDay(report_month + 1) == kProlongOn) {
      phases.push_back(runner.Run("Prolong", "Prolong", live([](const Participant&) { return true; }), prolong_call, cs));
    }
  }
  {
    PhaseResult merged;
    merged.name = "SubmitMonthlyReport";
    for (const PhaseResult& r : report_phases) {
      merged.calls += r.calls;
      merged.errors += r.errors;
      merged.wall_s += r.wall_s;
      merged.process_cpu_s += r.process_cpu_s;
      merged.redis_cpu_s += r.redis_cpu_s;
      merged.machine_busy_cores += r.machine_busy_cores * r.wall_s;  // divided by the wall time below
      merged.machine_steal_cores += r.machine_steal_cores * r.wall_s;
      merged.rt_referral += r.rt_referral;
      merged.rt_assessment += r.rt_assessment;
      merged.rt_registry += r.rt_registry;
      merged.commands += r.commands;
      merged.fcalls += r.fcalls;
      merged.latencies_ns.insert(merged.latencies_ns.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    }
    std::sort(merged.latencies_ns.begin(), merged.latencies_ns.end());
    if (merged.wall_s > 0) {
      merged.machine_busy_cores /= merged.wall_s;
      merged.machine_steal_cores /= merged.wall_s;
    }
    phases.push_back(std::move(merged));
  }
  const int64_t finished = static_cast<int64_t>(
      live([](const Participant& p) { return p.ended && p.reports == kMonths; }).size());
  const int64_t memory_ended = UsedMemory(stats);
  const MemoryByGroup groups_ended = MemoryByKeyGroup(stats);

  // ---- echo baseline, after ----
  std::printf("\n");
  const Measured echo_after = RunEcho(flags.load, echo_call, stats);

  // ---- summary ----
  const double echo_mean = (echo_before.result.calls_per_second + echo_after.result.calls_per_second) / 2;
  std::printf("\necho baseline drift: after is %.1f%% of before; mean %.0f calls/s\n",
              echo_before.result.calls_per_second > 0
                  ? 100.0 * echo_after.result.calls_per_second / echo_before.result.calls_per_second
                  : 0.0,
              echo_mean);
  std::printf("\nper RPC type (all phases of the type together):\n");
  std::printf("  %-20s %8s %8s %7s %8s %8s %8s %9s  %-36s %s\n", "rpc", "calls", "RPC/s", "% echo", "p50 ms",
              "p90 ms", "p99 ms", "max ms", "round trips/RPC ref+asm+reg, FCALL, cmds",
              "cpu % of a core: bench process, redis, machine, steal");
  double year_wall = 0, year_wall_no_assess = 0;
  int64_t year_calls = 0, year_calls_no_assess = 0, errors = 0;
  for (const PhaseResult& r : phases) {
    const double n = static_cast<double>(std::max<int64_t>(1, r.calls));
    const double rps = r.wall_s > 0 ? static_cast<double>(r.calls) / r.wall_s : 0;
    const std::string rt = absl::StrFormat("%.2f + %.2f + %.2f, %.2f, %.1f", static_cast<double>(r.rt_referral) / n,
                                           static_cast<double>(r.rt_assessment) / n,
                                           static_cast<double>(r.rt_registry) / n, static_cast<double>(r.fcalls) / n,
                                           static_cast<double>(r.commands) / n);
    std::printf("  %-20s %8lld %8.0f %6.1f%% %8.3f %8.3f %8.3f %9.3f  %-36s %.0f, %.0f, %.0f, %.0f\n", r.name.c_str(),
                static_cast<long long>(r.calls), rps, echo_mean > 0 ? 100.0 * rps / echo_mean : 0.0,
                Percentile(r.latencies_ns, 50), Percentile(r.latencies_ns, 90), Percentile(r.latencies_ns, 99),
                r.latencies_ns.empty() ? 0.0 : static_cast<double>(r.latencies_ns.back()) / 1e6, rt.c_str(),
                r.wall_s > 0 ? 100.0 * r.process_cpu_s / r.wall_s : 0.0,
                r.wall_s > 0 ? 100.0 * r.redis_cpu_s / r.wall_s : 0.0, 100.0 * r.machine_busy_cores,
                100.0 * r.machine_steal_cores);
    year_wall += r.wall_s;
    year_calls += r.calls;
    errors += r.errors;
    if (r.name != "Assess") {
      year_wall_no_assess += r.wall_s;
      year_calls_no_assess += r.calls;
    }
  }
  {
    std::string line;
    for (const PhaseResult& r : phases) {
      if (r.name == "Assess") continue;
      absl::StrAppend(&line, line.empty() ? "" : ", ", r.name, " ",
                      absl::StrFormat("%.2f", static_cast<double>(r.rt_referral) /
                                                  static_cast<double>(std::max<int64_t>(1, r.calls))));
    }
    std::printf("  referral service's own Redis round trips per transition (target 1): %s\n", line.c_str());
  }
  std::printf("\nthe year: %lld of %d participants finished (decision, choice, start, prolongation, %d monthly "
              "reports, end); %lld left out (never IN_BETWEEN), %lld failed\n",
              static_cast<long long>(finished), flags.participants, kMonths, static_cast<long long>(never_in_between),
              static_cast<long long>(flags.participants - finished - never_in_between));
  std::printf("  all phases incl. Assess: %lld RPCs in %.1f s = %.0f RPC/s = %.1f%% of the mean echo baseline; "
              "%.1f cases/s\n",
              static_cast<long long>(year_calls), year_wall, static_cast<double>(year_calls) / year_wall,
              echo_mean > 0 ? 100.0 * static_cast<double>(year_calls) / year_wall / echo_mean : 0.0,
              static_cast<double>(finished) / year_wall);
  std::printf("  referral RPCs only:      %lld RPCs in %.1f s = %.0f RPC/s = %.1f%% of the mean echo baseline; "
              "%.1f cases/s\n",
              static_cast<long long>(year_calls_no_assess), year_wall_no_assess,
              static_cast<double>(year_calls_no_assess) / year_wall_no_assess,
              echo_mean > 0 ? 100.0 * static_cast<double>(year_calls_no_assess) / year_wall_no_assess / echo_mean : 0.0,
              static_cast<double>(finished) / year_wall_no_assess);

  // ---- memory ----
  auto kib = [](int64_t b) { return static_cast<double>(b) / 1024.0; };
  auto per = [](int64_t b, int64_t n) { return n > 0 ? static_cast<double>(b) / static_cast<double>(n) : 0.0; };
  std::printf("\nredis used_memory: %.1f KiB empty, %.1f KiB before the first case (registry + %lld assessments), "
              "%.1f KiB with %lld cases active (after Start), %.1f KiB with %lld cases ended\n",
              kib(memory_empty), kib(memory_before_cases), static_cast<long long>(assess_calls), kib(memory_active),
              static_cast<long long>(active_cases), kib(memory_ended), static_cast<long long>(finished));
  std::printf("  per active case: %.0f B (used_memory delta / %lld); per ended case: %.0f B (delta / %lld)\n",
              per(memory_active - memory_before_cases, active_cases), static_cast<long long>(active_cases),
              per(memory_ended - memory_before_cases, finished), static_cast<long long>(finished));
  auto is_case_idem = [](const std::string& g) {
    return absl::StartsWith(g, "idem referral ") || g == "idem assessment LinkDecision";
  };
  const int64_t idem_active = SumBytes(groups_active, is_case_idem) - SumBytes(groups_before, is_case_idem);
  const int64_t idem_ended = SumBytes(groups_ended, is_case_idem) - SumBytes(groups_before, is_case_idem);
  std::printf("  idempotency records of the case flow (48 h), by MEMORY USAGE: %.0f B per active case, %.0f B per "
              "ended case (%.1f%% of the ended delta)\n",
              per(idem_active, active_cases), per(idem_ended, finished),
              memory_ended > memory_before_cases ? 100.0 * static_cast<double>(idem_ended) /
                                                       static_cast<double>(memory_ended - memory_before_cases)
                                                 : 0.0);
  std::printf("  growth by key group, before the first case → all active (per active case):\n");
  PrintMemoryGrowth(groups_before, groups_active, active_cases, "    ");
  std::printf("  growth by key group, before the first case → all ended (per ended case):\n");
  PrintMemoryGrowth(groups_before, groups_ended, finished, "    ");
  {
    // Delete the case flow's idempotency records (the referral's, and LinkDecision's in the
    // assessment service) as their expiry would, and measure again.
    int64_t deleted = 0;
    std::string cursor = "0";
    std::vector<std::string> doomed;
    do {
      auto scan = stats.Command({"SCAN", cursor, "MATCH", "idem:*", "COUNT", "2000"});
      if (!scan.ok() || !scan->is_array() || scan->size() != 2) break;
      cursor = (*scan)[0].str;
      for (const auto& k : (*scan)[1].elements) {
        std::string owner, method;
        if (ParseIdemKey(k.str, &owner, &method) && (owner == "referral" || method == "LinkDecision")) {
          doomed.push_back(k.str);
        }
      }
    } while (cursor != "0");
    for (size_t i = 0; i < doomed.size(); i += 1000) {
      std::vector<std::vector<std::string>> dels;
      for (size_t j = i; j < std::min(doomed.size(), i + 1000); ++j) dels.push_back({"DEL", doomed[j]});
      auto replies = stats.Pipeline(dels);
      if (replies.ok()) {
        for (const auto& r : *replies) deleted += r.integer;
      }
    }
    const int64_t memory_no_idem = UsedMemory(stats);
    std::printf("  after deleting the case flow's %lld idempotency records (as after 48 h): used_memory %.1f KiB, "
                "-%.1f KiB = %.0f B per ended case; what stays: %.0f B per ended case\n",
                static_cast<long long>(deleted), kib(memory_no_idem), kib(memory_ended - memory_no_idem),
                per(memory_ended - memory_no_idem, finished), per(memory_no_idem - memory_before_cases, finished));
  }
  std::fflush(stdout);

  // ---- compensation (issue 6): the engine over the year's events, a month settled, the year replayed ----
  {
    std::printf("\ncompensation: the engine over the year's events, then SettleMonth(2027-01) and "
                "ReplayPayments(2026-01-01..2027-12-31) over gRPC as admin\n");
    const absl::Time engine_start = absl::Now();
    auto handled = compensation_handler.RunEngine();
    const double engine_s = absl::ToDoubleSeconds(absl::Now() - engine_start);
    auto lines = stats.Command({"HLEN", "ledger:{ledger}:lines"});
    const int64_t line_count = lines.ok() ? lines->integer : -1;
    if (!handled.ok()) {
      std::fprintf(stderr, "engine: %s\n", std::string(handled.status().message()).c_str());
      ++errors;
    }
    std::printf("  engine: %lld events, %lld payment lines created in %.2f s = %.0f lines/s (%.1f lines per case)\n",
                static_cast<long long>(handled.ok() ? *handled : 0), static_cast<long long>(line_count), engine_s,
                engine_s > 0 ? line_count / engine_s : 0.0, per(line_count, finished));
    auto comp = v1::CompensationService::NewStub(
        testing::Pki::Channel(referral_host.port(), pki.ClientCredentials("admin")));
    v1::SettleMonthRequest settle;
    settle.set_request_id("bench-settle-2027-01");
    settle.mutable_month()->set_year(2027);
    settle.mutable_month()->set_month(1);
    v1::SettleMonthResponse settled;
    grpc::ClientContext settle_ctx;
    settle_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
    const absl::Time settle_start = absl::Now();
    grpc::Status ss = comp->SettleMonth(&settle_ctx, settle, &settled);
    const double settle_s = absl::ToDoubleSeconds(absl::Now() - settle_start);
    if (!ss.ok()) {
      std::fprintf(stderr, "SettleMonth: %s\n", ss.error_message().c_str());
      ++errors;
    }
    int64_t total_ore = 0;
    for (const auto& st : settled.statements()) total_ore += st.total().ore();
    std::printf("  SettleMonth 2027-01: %d statements, %lld lines settled, %.2f SEK, in %.2f s = %.0f lines/s "
                "(incl. the engine's catch-up over every started case)\n",
                settled.statements_size(), static_cast<long long>(settled.lines_settled()), total_ore / 100.0, settle_s,
                settle_s > 0 ? settled.lines_settled() / settle_s : 0.0);
    v1::ReplayPaymentsRequest replay;
    *replay.mutable_period()->mutable_start() = server::FromCivilDay(absl::CivilDay(2026, 1, 1));
    *replay.mutable_period()->mutable_end() = server::FromCivilDay(absl::CivilDay(2027, 12, 31));
    v1::ReplayPaymentsResponse replayed;
    grpc::ClientContext replay_ctx;
    replay_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
    const absl::Time replay_start = absl::Now();
    grpc::Status rs = comp->ReplayPayments(&replay_ctx, replay, &replayed);
    const double replay_s = absl::ToDoubleSeconds(absl::Now() - replay_start);
    if (!rs.ok()) {
      std::fprintf(stderr, "ReplayPayments: %s\n", rs.error_message().c_str());
      ++errors;
    }
    std::printf("  ReplayPayments of the whole year: %lld case events replayed, %lld lines compared, %lld differences "
                "(target 0), in %.2f s\n",
                static_cast<long long>(replayed.events_replayed()), static_cast<long long>(replayed.lines_compared()),
                static_cast<long long>(replayed.difference_count()), replay_s);
    if (replayed.difference_count() != 0) ++errors;
    std::fflush(stdout);
  }

  const int64_t echo_errors = echo_before.result.errors + echo_after.result.errors;
  if (errors != 0 || echo_errors != 0) {
    std::fprintf(stderr, "referral_bench: %lld RPCs failed (%lld echo)\n", static_cast<long long>(errors + echo_errors),
                 static_cast<long long>(echo_errors));
    return 1;
  }
  return 0;
}
