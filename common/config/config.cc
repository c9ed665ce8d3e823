#include "common/config/config.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace rusta::config {

ConfigParser::ConfigParser(std::vector<std::string> args, std::map<std::string, std::string> env)
    : env_(std::move(env)) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") { help_requested_ = true; continue; }
    if (arg.rfind("--", 0) != 0) {
      errors_.push_back(absl::StrCat("unexpected argument '", arg, "' (settings are --name=value)"));
      continue;
    }
    const size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    // "--flag" alone means true, for booleans.
    std::string value = eq == std::string::npos ? "true" : arg.substr(eq + 1);
    flags_[name] = value;
    flag_used_[name] = false;
  }
}

ConfigParser ConfigParser::FromProcess(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("RUSTA_", 0) != 0) continue;
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return ConfigParser(std::move(args), std::move(env));
}

std::string ConfigParser::EnvName(std::string_view name) {
  std::string env = "RUSTA_";
  for (char c : name) env.push_back(c == '-' ? '_' : absl::ascii_toupper(c));
  return env;
}

const std::string* ConfigParser::Lookup(std::string_view name, std::string* source) {
  if (auto it = flags_.find(name); it != flags_.end()) {
    flag_used_[std::string(name)] = true;
    *source = "flag";
    return &it->second;
  }
  if (auto it = env_.find(EnvName(name)); it != env_.end()) {
    *source = "env " + EnvName(name);
    return &it->second;
  }
  return nullptr;
}

void ConfigParser::Record(std::string_view name, std::string value, std::string source,
                          std::string_view help, bool secret) {
  entries_.push_back(Entry{std::string(name), std::move(value), std::move(source),
                           std::string(help), secret});
}

std::string ConfigParser::String(std::string_view name, std::string_view default_value,
                                 std::string_view help, Sensitivity sensitivity) {
  std::string source = "default";
  const std::string* raw = Lookup(name, &source);
  std::string value = raw ? *raw : std::string(default_value);
  Record(name, value, source, help, sensitivity == Sensitivity::kSecret);
  return value;
}

int64_t ConfigParser::Int(std::string_view name, int64_t default_value, int64_t min, int64_t max,
                          std::string_view help) {
  std::string source = "default";
  const std::string* raw = Lookup(name, &source);
  int64_t value = default_value;
  if (raw != nullptr) {
    if (!absl::SimpleAtoi(*raw, &value)) {
      AddError(name, "must be a whole number");
      value = default_value;
    } else if (value < min || value > max) {
      AddError(name, absl::StrCat("must be between ", min, " and ", max));
      value = default_value;
    }
  }
  Record(name, absl::StrCat(value), source, help, false);
  return value;
}

bool ConfigParser::Bool(std::string_view name, bool default_value, std::string_view help) {
  std::string source = "default";
  const std::string* raw = Lookup(name, &source);
  bool value = default_value;
  if (raw != nullptr) {
    const std::string lower = absl::AsciiStrToLower(*raw);
    if (lower == "true" || lower == "1" || lower == "yes") value = true;
    else if (lower == "false" || lower == "0" || lower == "no") value = false;
    else AddError(name, "must be true or false");
  }
  Record(name, value ? "true" : "false", source, help, false);
  return value;
}

void ConfigParser::AddError(std::string_view name, std::string_view problem) {
  errors_.push_back(absl::StrCat(std::string(name), " (", EnvName(name), "): ", std::string(problem)));
}

absl::Status ConfigParser::Finish() {
  for (const auto& [name, used] : flag_used_) {
    if (!used) errors_.push_back(absl::StrCat("unknown flag --", name));
  }
  flag_used_.clear();
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
}

std::string ConfigParser::Usage(std::string_view program) const {
  std::string out = absl::StrCat("usage: ", std::string(program), " [--name=value ...]\n");
  for (const Entry& e : entries_) {
    absl::StrAppend(&out, "  --", e.name, " (", EnvName(e.name), "): ", e.help, "\n");
  }
  return out;
}

std::string ConfigParser::Describe() const {
  std::string out;
  for (const Entry& e : entries_) {
    const std::string shown = e.secret ? (e.value.empty() ? "" : "***") : e.value;
    absl::StrAppend(&out, e.name, "=", shown, " (", e.source, ")\n");
  }
  return out;
}

}  // namespace rusta::config
