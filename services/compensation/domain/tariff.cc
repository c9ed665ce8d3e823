#include "services/compensation/domain/tariff.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace rusta::compensation {

const char* ComponentName(Component component) {
  switch (component) {
    case Component::kBasic: return "BASIC";
    case Component::kResult: return "RESULT";
    case Component::kSpeedBonus: return "SPEED_BONUS";
    case Component::kSupplementary: return "SUPPLEMENTARY";
    case Component::kInterpreter: return "INTERPRETER";
  }
  return "UNKNOWN";
}

std::optional<Component> ComponentFromName(std::string_view name) {
  for (Component c : kAllComponents) {
    if (name == ComponentName(c)) return c;
  }
  return std::nullopt;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kA: return "A";
    case Level::kB: return "B";
    case Level::kC: return "C";
    case Level::kUnspecified: return "UNSPECIFIED";
  }
  return "UNKNOWN";
}

std::optional<Level> LevelFromName(std::string_view name) {
  for (Level l : kTariffLevels) {
    if (name == LevelName(l)) return l;
  }
  return std::nullopt;
}

int64_t TariffAmounts::Get(Component component, Level level) const {
  const int c = static_cast<int>(component);
  const int l = static_cast<int>(level);
  if (c < 1 || c > 5 || l < 1 || l > 3) return 0;
  return ore[c - 1][l - 1];
}

void TariffAmounts::Set(Component component, Level level, int64_t amount_ore) {
  const int c = static_cast<int>(component);
  const int l = static_cast<int>(level);
  if (c < 1 || c > 5 || l < 1 || l > 3) return;
  ore[c - 1][l - 1] = amount_ore;
}

namespace {

std::string Day(absl::CivilDay day) { return absl::FormatCivilTime(day); }

// Strict YYYY-MM-DD, a real calendar day.
bool ParseDay(const std::string& s, absl::CivilDay* out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int year = std::stoi(s.substr(0, 4));
  const int month = std::stoi(s.substr(5, 2));
  const int day = std::stoi(s.substr(8, 2));
  const absl::CivilDay civil(year, month, day);  // normalises out-of-range fields
  if (civil.year() != year || civil.month() != month || civil.day() != day) return false;
  *out = civil;
  return true;
}

// Digits only, optionally with a leading '-' (so that a negative amount is named as such).
bool ParseInteger(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  size_t i = (s[0] == '-') ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return absl::SimpleAtoi(s, out);
}

// A tariff being parsed, with the lines the checks refer to.
struct ParsedTariff {
  Tariff tariff;
  int first_line = 0;
  int version_line = 0;
  int effective_line = 0;
  std::set<std::string> keys;
  std::map<std::pair<int, int>, int> amount_lines;  // (component, level) -> line
};

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  absl::Status Error(int line, const std::string& reason) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line, ": ", reason));
  }

  absl::StatusOr<std::vector<ParsedTariff>> Parse(std::string_view text) {
    std::vector<ParsedTariff> out;
    std::optional<ParsedTariff> current;
    int line_number = 0;
    std::vector<std::string> lines = absl::StrSplit(std::string(text), '\n');
    // A final newline gives an empty last element: not a line of its own.
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    for (std::string& raw : lines) {
      ++line_number;
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      const std::string line = std::string(absl::StripAsciiWhitespace(raw));
      if (line.empty() || line[0] == '#') continue;
      if (line == "---") {
        if (current) {
          if (absl::Status s = Finish(*current); !s.ok()) return s;
          out.push_back(*std::move(current));
          current.reset();
        }
        continue;
      }
      if (!current) {
        current.emplace();
        current->first_line = line_number;
        current->tariff.defined_at = absl::StrCat(source_, ":", line_number);
      }
      if (absl::Status s = ParseLine(line, line_number, &*current); !s.ok()) return s;
    }
    if (current) {
      if (absl::Status s = Finish(*current); !s.ok()) return s;
      out.push_back(*std::move(current));
    }
    if (out.empty()) return Error(1, "no tariff in the file");
    return out;
  }

 private:
  absl::Status ParseLine(const std::string& line, int n, ParsedTariff* t) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return Error(n, absl::StrCat("expected 'key: value', got '", line, "'"));
    }
    const std::string key = std::string(absl::StripAsciiWhitespace(line.substr(0, colon)));
    const std::string value = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    if (key == "amount") return ParseAmount(value, n, t);
    static const std::set<std::string> kKeys = {
        "version",          "effective_from",         "illustrative",
        "speed_bonus_days", "part_time_cut_percent", "supplementary_min_percent"};
    if (kKeys.count(key) == 0) return Error(n, absl::StrCat("unknown key '", key, "'"));
    if (!t->keys.insert(key).second) {
      return Error(n, absl::StrCat("'", key, "' is given twice in this tariff"));
    }
    if (key == "version") {
      if (value.empty()) return Error(n, "version: empty");
      for (char ch : value) {
        if (absl::ascii_isspace(static_cast<unsigned char>(ch))) {
          return Error(n, absl::StrCat("version '", value, "': must not contain blanks"));
        }
      }
      t->tariff.version = value;
      t->version_line = n;
    } else if (key == "effective_from") {
      if (!ParseDay(value, &t->tariff.effective_from)) {
        return Error(n, absl::StrCat("effective_from '", value,
                                     "' is not a date (YYYY-MM-DD, a real calendar day)"));
      }
      t->effective_line = n;
    } else if (key == "illustrative") {
      if (value == "true") {
        t->tariff.illustrative = true;
      } else if (value == "false") {
        t->tariff.illustrative = false;
      } else {
        return Error(n, absl::StrCat("illustrative '", value, "': expected true or false"));
      }
    } else {
      int64_t number = 0;
      if (!ParseInteger(value, &number)) {
        return Error(n, absl::StrCat(key, " '", value, "' is not a whole number"));
      }
      if (key == "speed_bonus_days") {
        if (number < 1 || number > 3660) {
          return Error(n, absl::StrCat("speed_bonus_days ", number, " is outside 1..3660"));
        }
        t->tariff.speed_bonus_days = static_cast<int>(number);
      } else {
        if (number < 0 || number > 100) {
          return Error(n, absl::StrCat(key, " ", number, " is outside 0..100"));
        }
        if (key == "part_time_cut_percent") {
          t->tariff.part_time_cut_percent = static_cast<int>(number);
        } else {
          t->tariff.supplementary_min_percent = static_cast<int>(number);
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseAmount(const std::string& value, int n, ParsedTariff* t) {
    std::vector<std::string> parts = absl::StrSplit(value, ' ', absl::SkipWhitespace());
    if (parts.size() != 3) {
      return Error(n, absl::StrCat("amount '", value, "': expected '<COMPONENT> <LEVEL> <öre>'"));
    }
    const std::optional<Component> component = ComponentFromName(parts[0]);
    if (!component) {
      return Error(n, absl::StrCat("unknown component '", parts[0],
                                   "' (BASIC, RESULT, SPEED_BONUS, SUPPLEMENTARY, INTERPRETER)"));
    }
    const std::optional<Level> level = LevelFromName(parts[1]);
    if (!level) return Error(n, absl::StrCat("unknown level '", parts[1], "' (A, B, C)"));
    int64_t amount = 0;
    if (!ParseInteger(parts[2], &amount)) {
      return Error(n, absl::StrCat("amount '", parts[2], "' is not a whole number of öre"));
    }
    if (amount < 0) {
      return Error(n, absl::StrCat("negative amount ", amount, " for ", parts[0], " ", parts[1]));
    }
    const auto slot = std::make_pair(static_cast<int>(*component), static_cast<int>(*level));
    auto [it, inserted] = t->amount_lines.emplace(slot, n);
    if (!inserted) {
      return Error(n, absl::StrCat(parts[0], " ", parts[1], " is already given on line ",
                                   it->second));
    }
    t->tariff.amounts.Set(*component, *level, amount);
    return absl::OkStatus();
  }

  // Completeness of one tariff, reported on its first line.
  absl::Status Finish(const ParsedTariff& t) const {
    if (t.version_line == 0) return Error(t.first_line, "tariff without 'version'");
    const std::string name = absl::StrCat("tariff '", t.tariff.version, "'");
    if (t.effective_line == 0) {
      return Error(t.first_line, absl::StrCat(name, " has no 'effective_from'"));
    }
    for (Component c : kAllComponents) {
      std::vector<std::string> missing;
      for (Level l : kTariffLevels) {
        if (t.amount_lines.count({static_cast<int>(c), static_cast<int>(l)}) == 0) {
          missing.push_back(LevelName(l));
        }
      }
      if (missing.size() == 3) {
        return Error(t.first_line,
                     absl::StrCat(name, " has no amounts for component ", ComponentName(c)));
      }
      if (!missing.empty()) {
        return Error(t.first_line,
                     absl::StrCat(name, " has no ", ComponentName(c), " amount for level ",
                                  absl::StrJoin(missing, ", ")));
      }
    }
    return absl::OkStatus();
  }

  std::string source_;
};

// Adds parsed tariffs to a set, refusing duplicate versions and equal effective dates with the
// file and line of the later one.
absl::Status AddAll(std::vector<ParsedTariff> parsed, const std::string& source, TariffSet* set,
                    std::map<std::string, std::string>* version_at,
                    std::map<absl::CivilDay, std::string>* day_at) {
  for (ParsedTariff& p : parsed) {
    const Tariff& t = p.tariff;
    if (auto it = version_at->find(t.version); it != version_at->end()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", p.version_line,
                                                     ": duplicate version '", t.version,
                                                     "' (already defined at ", it->second, ")"));
    }
    if (auto it = day_at->find(t.effective_from); it != day_at->end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", p.effective_line, ": overlapping effective dates: tariff '", t.version,
          "' and the tariff defined at ", it->second, " both take effect on ",
          Day(t.effective_from)));
    }
    (*version_at)[t.version] = t.defined_at;
    (*day_at)[t.effective_from] = t.defined_at;
    if (absl::Status s = set->Add(std::move(p.tariff)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  return text.str();
}

absl::Status ParseInto(std::string_view text, const std::string& source, TariffSet* set,
                       std::map<std::string, std::string>* version_at,
                       std::map<absl::CivilDay, std::string>* day_at) {
  Parser parser(source);
  absl::StatusOr<std::vector<ParsedTariff>> parsed = parser.Parse(text);
  if (!parsed.ok()) return parsed.status();
  return AddAll(*std::move(parsed), source, set, version_at, day_at);
}

}  // namespace

absl::Status TariffSet::Add(Tariff tariff) {
  for (const Tariff& t : tariffs_) {
    if (t.version == tariff.version) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate version '", tariff.version, "' (already defined at ",
                       t.defined_at, ")"));
    }
    if (t.effective_from == tariff.effective_from) {
      return absl::InvalidArgumentError(absl::StrCat(
          "overlapping effective dates: tariffs '", t.version, "' and '", tariff.version,
          "' both take effect on ", Day(tariff.effective_from)));
    }
  }
  auto pos = std::upper_bound(tariffs_.begin(), tariffs_.end(), tariff.effective_from,
                              [](absl::CivilDay day, const Tariff& t) {
                                return day < t.effective_from;
                              });
  tariffs_.insert(pos, std::move(tariff));
  return absl::OkStatus();
}

const Tariff* TariffSet::InForce(absl::CivilDay day) const {
  const Tariff* found = nullptr;
  for (const Tariff& t : tariffs_) {
    if (t.effective_from > day) break;
    found = &t;
  }
  return found;
}

const Tariff* TariffSet::ByVersion(std::string_view version) const {
  for (const Tariff& t : tariffs_) {
    if (t.version == version) return &t;
  }
  return nullptr;
}

absl::StatusOr<TariffSet> ParseTariffs(std::string_view text, std::string_view source_name) {
  TariffSet set;
  std::map<std::string, std::string> version_at;
  std::map<absl::CivilDay, std::string> day_at;
  if (absl::Status s = ParseInto(text, std::string(source_name), &set, &version_at, &day_at);
      !s.ok()) {
    return s;
  }
  return set;
}

absl::StatusOr<TariffSet> LoadTariffFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTariffs(*text, path);
}

absl::StatusOr<TariffSet> LoadTariffDirectory(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(directory, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("tariff directory ", directory, ": ", ec.message()));
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : it) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && entry.path().extension() == ".tariff") {
      files.push_back(entry.path());
    }
  }
  if (files.empty()) {
    return absl::NotFoundError(
        absl::StrCat("tariff directory ", directory, ": no tariff files (*.tariff)"));
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  TariffSet set;
  std::map<std::string, std::string> version_at;
  std::map<absl::CivilDay, std::string> day_at;
  for (const fs::path& path : files) {
    absl::StatusOr<std::string> text = ReadFile(path.string());
    if (!text.ok()) return text.status();
    if (absl::Status s = ParseInto(*text, path.filename().string(), &set, &version_at, &day_at);
        !s.ok()) {
      return s;
    }
  }
  return set;
}

}  // namespace rusta::compensation
