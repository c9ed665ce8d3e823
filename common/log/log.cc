#include "common/log/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rusta::log {
namespace {

std::mutex g_mu;
std::string g_service = "rusta";  // guarded by g_mu
std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARNING";
    case Level::kError: return "ERROR";
  }
  return "INFO";
}

void AppendValue(std::string& out, std::string_view value) {
  bool needs_quotes = value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') { needs_quotes = true; break; }
  }
  if (!needs_quotes) { out.append(value); return; }
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') { out.push_back('\\'); out.push_back(c); }
    else if (c == '\n') out.append("\\n");
    else out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

void SetService(std::string service) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_service = std::move(service);
}

void SetMinLevel(Level level) { g_min_level.store(static_cast<int>(level)); }

bool ParseLevel(std::string_view text, Level* level) {
  if (text == "debug") *level = Level::kDebug;
  else if (text == "info") *level = Level::kInfo;
  else if (text == "warning") *level = Level::kWarning;
  else if (text == "error") *level = Level::kError;
  else return false;
  return true;
}

std::string Format(Level level, std::string_view service, std::string_view event,
                   std::initializer_list<Field> fields) {
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line.push_back(' ');
  line.append(LevelName(level));
  line.append(" service=");
  AppendValue(line, service);
  line.append(" event=");
  AppendValue(line, event);
  for (const Field& field : fields) {
    line.push_back(' ');
    line.append(field.key);
    line.push_back('=');
    AppendValue(line, field.value);
  }
  line.push_back('\n');
  return line;
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::lock_guard<std::mutex> lock(g_mu);
  std::string line = Format(level, g_service, event, fields);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace rusta::log
