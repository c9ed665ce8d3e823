#include "tests/bench/support/bench_flags.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rusta::bench {
namespace {

bool ParseInt(const char* arg, const IntFlag& flag) {
  const size_t n = std::strlen(flag.name);
  if (std::strncmp(arg, flag.name, n) != 0 || arg[n] != '=') return false;
  char* end = nullptr;
  const long v = std::strtol(arg + n + 1, &end, 10);
  if (end == arg + n + 1 || *end != '\0' || v < flag.min || v > 1000000000L) {
    std::fprintf(stderr, "bad value for %s: %s (want an integer >= %d)\n", flag.name, arg + n + 1, flag.min);
    std::exit(2);
  }
  *flag.value = static_cast<int>(v);
  return true;
}

}  // namespace

void ParseBenchFlags(int argc, char** argv, LoadOptions* load, const std::vector<IntFlag>& extra) {
  int duration_ms = static_cast<int>(load->duration.count());
  int warmup_ms = static_cast<int>(load->warmup.count());
  std::vector<IntFlag> flags = {{"--duration-ms", 1, &duration_ms},
                                {"--warmup-ms", 0, &warmup_ms},
                                {"--in-flight", 1, &load->in_flight},
                                {"--channels", 1, &load->channels}};
  flags.insert(flags.end(), extra.begin(), extra.end());
  for (int i = 1; i < argc; ++i) {
    bool known = false;
    for (const IntFlag& flag : flags) known = known || ParseInt(argv[i], flag);
    if (known) continue;
    std::fprintf(stderr, "usage: %s", argv[0]);
    for (const IntFlag& flag : flags) std::fprintf(stderr, " [%s=%d]", flag.name, *flag.value);
    std::fprintf(stderr, "\n");
    std::exit(std::strcmp(argv[i], "--help") == 0 ? 0 : 2);
  }
  load->duration = std::chrono::milliseconds(duration_ms);
  load->warmup = std::chrono::milliseconds(warmup_ms);
}

}  // namespace rusta::bench
