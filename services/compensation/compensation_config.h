#pragma once
// Compensation's own settings (flags --x-y or RUSTA_X_Y), besides the shared server ones; declared
// by whichever binary hosts it (today rusta-referral).
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/config/config.h"
#include "services/compensation/domain/tariff.h"

namespace rusta::compensation {

struct CompensationConfig {
  // Directory of tariff files (*.tariff, format in domain/tariff.h).
  std::string tariff_dir;
  // How often the engine reads new case events; 0: not in this replica (tests run it by hand;
  // SettleMonth still catches up first).
  int64_t engine_interval_ms = 1000;
};

CompensationConfig ReadCompensationConfig(config::ConfigParser& parser);

// The tariffs of config.tariff_dir, each logged (tariff_loaded); an error names the file and line
// (a binary stops on it).
absl::StatusOr<TariffSet> LoadConfiguredTariffs(const CompensationConfig& config);

}  // namespace rusta::compensation
