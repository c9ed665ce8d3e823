#include "services/compensation/compensation_config.h"

#include "absl/time/civil_time.h"
#include "common/log/log.h"

namespace rusta::compensation {

CompensationConfig ReadCompensationConfig(config::ConfigParser& p) {
  CompensationConfig c;
  c.tariff_dir = p.String("tariff-dir", RUSTA_COMPENSATION_TARIFF_DIR,
                          "directory of tariff files (*.tariff, format in services/compensation/domain/tariff.h)");
  c.engine_interval_ms = p.Int("engine-interval-ms", c.engine_interval_ms, 0, 3600000,
                               "how often the payment engine reads new case events; 0 = not in this replica");
  return c;
}

absl::StatusOr<TariffSet> LoadConfiguredTariffs(const CompensationConfig& config) {
  auto tariffs = LoadTariffDirectory(config.tariff_dir);
  if (!tariffs.ok()) return tariffs.status();
  for (const auto& t : tariffs->tariffs()) {
    log::Info("tariff_loaded", {{"version", t.version}, {"effective_from", absl::FormatCivilTime(t.effective_from)},
                                {"illustrative", t.illustrative ? "true" : "false"}});
  }
  return tariffs;
}

}  // namespace rusta::compensation
