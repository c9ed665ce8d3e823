#pragma once
// Configuration from command-line flags and RUSTA_* environment variables.
//
// Each setting has one name, e.g. "redis-address": the flag is --redis-address=VALUE and the
// environment variable RUSTA_REDIS_ADDRESS. A flag beats the environment, which beats the default.
// Values are validated as they are read; Finish() reports every problem at once, and unknown flags
// are errors (a typo must not silently fall back to a default). Describe() prints the effective
// configuration with the source of each value, secrets masked.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace rusta::config {

enum class Sensitivity { kPlain, kSecret };

class ConfigParser {
 public:
  // args excludes the program name. env maps variable names to values.
  ConfigParser(std::vector<std::string> args, std::map<std::string, std::string> env);
  // Reads the process's argv and environment.
  static ConfigParser FromProcess(int argc, char** argv);

  std::string String(std::string_view name, std::string_view default_value, std::string_view help,
                     Sensitivity sensitivity = Sensitivity::kPlain);
  int64_t Int(std::string_view name, int64_t default_value, int64_t min, int64_t max,
              std::string_view help);
  bool Bool(std::string_view name, bool default_value, std::string_view help);

  // Records a problem found by the caller's own validation of a value.
  void AddError(std::string_view name, std::string_view problem);

  // INVALID_ARGUMENT listing every problem (one per line), or OK. --help makes help_requested().
  absl::Status Finish();
  bool help_requested() const { return help_requested_; }
  std::string Usage(std::string_view program) const;
  // "name=value (source)" lines of the effective configuration; secrets show as "***" if set.
  std::string Describe() const;

  static std::string EnvName(std::string_view name);

 private:
  struct Entry {
    std::string name, value, source, help;
    bool secret = false;
  };
  // Finds the raw value for name: flag, then environment, else nullptr; marks the flag as used.
  const std::string* Lookup(std::string_view name, std::string* source);
  void Record(std::string_view name, std::string value, std::string source, std::string_view help,
              bool secret);

  std::map<std::string, std::string, std::less<>> flags_;
  std::map<std::string, bool, std::less<>> flag_used_;
  std::map<std::string, std::string> env_;
  std::vector<Entry> entries_;
  std::vector<std::string> errors_;
  bool help_requested_ = false;
};

}  // namespace rusta::config
