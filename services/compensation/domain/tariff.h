#pragma once
// The compensation tariff (ersättningsmodell, domain.md section 5) in plain C++: no gRPC, protobuf
// or Redis types. A tariff gives an amount in öre per component and level, a version and an
// effective date; a TariffSet holds every version loaded and answers "which tariff is in force on
// day D" (the latest effective_from <= D).
//
// Tariff file format (*.tariff), line based, UTF-8:
//
//   # A comment: a line whose first non-blank character is '#'. Blank lines are ignored.
//   version: illustrative-2020          required; no blanks; unique across everything loaded
//   effective_from: 2020-01-01          required; YYYY-MM-DD, a real calendar day
//   illustrative: true                  optional, "true" or "false" (default false)
//   part_time_cut_percent: 20           optional, 0..100 (default 20)
//   speed_bonus_days: 90                optional, 1..3660 (default 90; see engine.h for counting)
//   supplementary_min_percent: 80       optional, 0..100 (default 80)
//   amount: BASIC A 180000              <COMPONENT> <LEVEL> <öre>: a whole number of öre, >= 0
//   ...                                 one amount line for every component × level (15 lines)
//   ---                                 separates tariffs in the same file
//   version: ...                        the next tariff
//
// Each line is "key: value"; blanks around the key and the value are trimmed. Components are
// BASIC, RESULT, SPEED_BONUS, SUPPLEMENTARY, INTERPRETER (the names of compensation.proto's
// PaymentComponent without its prefix); levels are A, B, C. Amounts are öre (1 SEK = 100 öre):
// 1,800 SEK is written 180000. A block between separators that holds only blanks and comments is
// skipped (a file may start or end with "---").
//
// A file is refused as a whole with INVALID_ARGUMENT "<source>:<line>: <reason>", where <source> is
// the name given to ParseTariffs (the file name for LoadTariffFile/LoadTariffDirectory) and <line>
// the 1-based line:
//   - a line that is not "key: value", an unknown key, a key given twice in one tariff;
//   - an unknown component or level, an amount that is not a whole number, a negative amount, the
//     same component and level twice;
//   - a bad date, a bad boolean, a percentage outside 0..100, speed_bonus_days outside 1..3660;
//   - a tariff without version or effective_from, or missing a component or a level: reported on
//     the tariff's first line, naming what is missing ("tariff 'x' has no RESULT amount for level
//     B", "tariff 'x' has no amounts for component INTERPRETER");
//   - two tariffs with the same version ("duplicate version") or the same effective date
//     ("overlapping effective dates"), reported on the later one's version / effective_from line;
//   - a file without any tariff (line 1).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace rusta::compensation {

// The participant's level (rusta.v1.Level's numbering); the compensation domain has its own
// copy so that it does not depend on the case domain.
enum class Level { kUnspecified = 0, kA = 1, kB = 2, kC = 3 };

// compensation.proto PaymentComponent, same numbers (the adapter may static_cast after checking
// the range 1..5).
enum class Component {
  kBasic = 1,          // grundersättning
  kResult = 2,         // resultatersättning
  kSpeedBonus = 3,     // snabbhetspremie
  kSupplementary = 4,  // tilläggsersättning
  kInterpreter = 5,    // tolkersättning
};

inline constexpr Component kAllComponents[] = {Component::kBasic, Component::kResult,
                                               Component::kSpeedBonus, Component::kSupplementary,
                                               Component::kInterpreter};
// The levels a tariff has amounts for (Level::kUnspecified is not one of them).
inline constexpr Level kTariffLevels[] = {Level::kA, Level::kB, Level::kC};

// "BASIC", "RESULT", "SPEED_BONUS", "SUPPLEMENTARY", "INTERPRETER" (file format, keys, reports).
const char* ComponentName(Component component);
std::optional<Component> ComponentFromName(std::string_view name);
// "A", "B", "C"; "UNSPECIFIED" for kUnspecified.
const char* LevelName(Level level);
std::optional<Level> LevelFromName(std::string_view name);  // A, B or C only

// Amounts in öre per component and level A/B/C.
struct TariffAmounts {
  // ore[component - 1][level - 1].
  std::array<std::array<int64_t, 3>, 5> ore{};

  // 0 for Level::kUnspecified (callers check the level first).
  int64_t Get(Component component, Level level) const;
  void Set(Component component, Level level, int64_t amount_ore);  // ignores kUnspecified
};

struct Tariff {
  std::string version;
  absl::CivilDay effective_from;
  // True for the default tariff of domain.md: illustrative, not the agency's amounts.
  bool illustrative = false;
  TariffAmounts amounts;
  // Cut of the basic payment on part time or during a parallel measure, percent.
  int part_time_cut_percent = 20;
  // Speed bonus window: the result must start on day 1..speed_bonus_days of the service, the start
  // day being day 1 (engine.h).
  int speed_bonus_days = 90;
  // Supplementary payment: unsubsidised work at least this share of full time, percent.
  int supplementary_min_percent = 80;
  // Where it was defined, "<source>:<line>" (diagnostics only).
  std::string defined_at;

  int64_t Amount(Component component, Level level) const {
    return amounts.Get(component, level);
  }
};

// Every tariff version loaded, kept by effective date ascending.
class TariffSet {
 public:
  // INVALID_ARGUMENT "duplicate version '<v>' ..." or "overlapping effective dates: ..." when the
  // version or the effective date is already in the set. (The loaders report the same with the
  // file and line.)
  absl::Status Add(Tariff tariff);

  // The tariff in force on `day`: the latest effective_from <= day; null before the first.
  const Tariff* InForce(absl::CivilDay day) const;
  const Tariff* ByVersion(std::string_view version) const;

  // By effective_from ascending.
  const std::vector<Tariff>& tariffs() const { return tariffs_; }
  size_t size() const { return tariffs_.size(); }
  bool empty() const { return tariffs_.empty(); }

 private:
  std::vector<Tariff> tariffs_;
};

// Parses the text of one tariff file (format above). `source_name` prefixes every error.
absl::StatusOr<TariffSet> ParseTariffs(std::string_view text, std::string_view source_name);
// One file; errors name the file as given in `path`. NOT_FOUND when it cannot be read.
absl::StatusOr<TariffSet> LoadTariffFile(const std::string& path);
// Every *.tariff file of `directory` (not recursive), read in file-name order; errors name the
// file by its name within the directory. Duplicate versions and overlapping effective dates are
// refused across files too. NOT_FOUND when the directory cannot be read or holds no *.tariff file.
absl::StatusOr<TariffSet> LoadTariffDirectory(const std::string& directory);

}  // namespace rusta::compensation
