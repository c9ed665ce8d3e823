#include "common/server/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

#include <mutex>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/log/rate_limiter.h"

namespace rusta::server {
namespace {

log::RateLimiter& Limiter() {
  static auto* limiter = new log::RateLimiter(kProtobufLogLinesPerSecond);  // never destroyed
  return *limiter;
}

// Protobuf's ERROR is mostly a caller's doing (bad input), not a fault of ours: a warning.
log::Level LevelOf(google::protobuf::LogLevel level) {
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO: return log::Level::kInfo;
    case google::protobuf::LOGLEVEL_FATAL: return log::Level::kError;
    default: return log::Level::kWarning;
  }
}

void Handle(google::protobuf::LogLevel level, const char* filename, int line,
            const std::string& text) {
  // Protobuf ends some messages with a space; a logfmt value should not.
  const std::string message(absl::StripTrailingAsciiWhitespace(text));
  const std::string source = absl::StrCat(filename != nullptr ? filename : "?", ":", line);
  int64_t suppressed = 0;
  // FATAL is about to abort the process: always written.
  if (level != google::protobuf::LOGLEVEL_FATAL &&
      !Limiter().Admit(log::RateLimiter::Clock::now(), &suppressed)) {
    return;
  }
  if (suppressed > 0) {
    log::Write(LevelOf(level), "protobuf", {{"source", source}, {"message", message},
                                            {"suppressed", absl::StrCat(suppressed)}});
  } else {
    log::Write(LevelOf(level), "protobuf", {{"source", source}, {"message", message}});
  }
}

}  // namespace

void InstallProtobufLogHandler() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&Handle); });
}

}  // namespace rusta::server
