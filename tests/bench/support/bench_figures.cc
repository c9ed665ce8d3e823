#include "tests/bench/support/bench_figures.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rusta::bench {

std::string InfoField(const std::string& info, absl::string_view field) {
  for (absl::string_view line : absl::StrSplit(info, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, field) && absl::ConsumePrefix(&line, ":")) return std::string(line);
  }
  return "?";
}

std::string Info(redis::RedisConnection& redis, const std::string& section) {
  auto r = redis.Command({"INFO", section});
  return r.ok() ? r->str : std::string();
}

int64_t UsedMemory(redis::RedisConnection& redis) {
  int64_t bytes = 0;
  (void)absl::SimpleAtoi(InfoField(Info(redis, "memory"), "used_memory"), &bytes);
  return bytes;
}

double RedisCpuSeconds(redis::RedisConnection& redis) {
  const std::string info = Info(redis, "cpu");
  double user = 0, sys = 0;
  if (!absl::SimpleAtod(InfoField(info, "used_cpu_user"), &user) ||
      !absl::SimpleAtod(InfoField(info, "used_cpu_sys"), &sys)) {
    return 0;
  }
  return user + sys;
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void PrintCommandStats(redis::RedisConnection& redis, const char* indent, int64_t load_calls, const char* unit) {
  const std::string info = Info(redis, "commandstats");
  for (absl::string_view line : absl::StrSplit(info, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view name = line.substr(0, colon);
    std::string calls = "?", usec = "?", per_call = "?";
    for (absl::string_view kv : absl::StrSplit(line.substr(colon + 1), ',')) {
      if (absl::ConsumePrefix(&kv, "calls=")) calls = std::string(kv);
      else if (absl::ConsumePrefix(&kv, "usec=")) usec = std::string(kv);
      else if (absl::ConsumePrefix(&kv, "usec_per_call=")) per_call = std::string(kv);
    }
    int64_t n = 0, us = 0;
    std::string per_load_call;
    if (load_calls > 0 && absl::SimpleAtoi(calls, &n) && absl::SimpleAtoi(usec, &us)) {
      per_load_call = absl::StrFormat("  (%.2f per %s, %.2f usec per %s)",
                                      static_cast<double>(n) / static_cast<double>(load_calls), unit,
                                      static_cast<double>(us) / static_cast<double>(load_calls), unit);
    }
    std::printf("%s%-18s calls=%-9s usec=%-10s usec_per_call=%-8s%s\n", indent, std::string(name).c_str(),
                calls.c_str(), usec.c_str(), per_call.c_str(), per_load_call.c_str());
  }
}

bool WaitHealthy(server::ServiceHost& host, const char* name) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!host.redis_healthy()) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "%s host: Redis not healthy after 15 s\n", name);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace rusta::bench
