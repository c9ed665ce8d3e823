#pragma once
// One line per event, logfmt style: `time level service=... event=... key=value ...`.
// Values containing spaces, quotes or '=' are quoted. Thread-safe; writes to stderr.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/string_view.h"

namespace rusta::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// A key and a value. The value may be any string type, including Debian's absl::string_view
// (which is not std::string_view there), without copies.
struct Field {
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, absl::string_view v) : key(k), value(v.data(), v.size()) {}
  std::string_view key;
  std::string_view value;
};

// Names the process in every line (e.g. "assessment").
void SetService(std::string service);
void SetMinLevel(Level level);
// Parses "debug", "info", "warning", "error"; false if unknown.
bool ParseLevel(std::string_view text, Level* level);

// Whether a line of this level would be written (to skip building it when not).
bool Enabled(Level level);

void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void Info(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, event, fields);
}
inline void Warning(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kWarning, event, fields);
}
inline void Error(std::string_view event, std::initializer_list<Field> fields = {}) {
  Write(Level::kError, event, fields);
}

// Formats one line without writing it (used by Write and by tests).
std::string Format(Level level, std::string_view service, std::string_view event,
                   std::initializer_list<Field> fields);

}  // namespace rusta::log
