#pragma once
// Command-line flags of the benchmarks: the load options every benchmark shares (--duration-ms,
// --warmup-ms, --in-flight, --channels) plus its own integer flags, all as --name=N. Anything else
// prints the usage and exits (0 for --help, 2 otherwise).
#include <string>
#include <vector>

#include "tests/bench/support/load_generator.h"

namespace rusta::bench {

struct IntFlag {
  const char* name;  // "--providers"
  int min;
  int* value;        // holds the default on entry
};

void ParseBenchFlags(int argc, char** argv, LoadOptions* load, const std::vector<IntFlag>& extra = {});

}  // namespace rusta::bench
