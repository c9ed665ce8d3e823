// rusta-referral: wiring only. Connects to the assessment service and the provider registry with
// this service's own certificate, loads the reference data, then serves rusta.v1.ReferralService
// (see referral_handler.h) and rusta.v1.CompensationService (compensation_handler.h).
#include <cstdlib>
#include <memory>

#include "common/log/log.h"
#include "common/server/service_main.h"
#include "common/validation/municipality_codes.h"
#include "services/referral/compensation/tariff.h"
#include "services/referral/compensation_handler.h"
#include "services/referral/referral_config.h"
#include "services/referral/referral_handler.h"
#include "services/referral/result_register.h"
#include "services/referral/upstream_clients.h"

namespace rusta::lua {
const redis::FunctionLibrary& ReferralLibrary();
}

int main(int argc, char** argv) {
  using namespace rusta;
  referral::ReferralConfig config;
  std::string tariff_dir;
  server::ServiceSpec spec{"referral", 50052, {lua::ReferralLibrary()}};
  return server::ServiceMain(argc, argv, spec,
      [&config, &tariff_dir](config::ConfigParser& parser) {
        config = referral::ReadReferralConfig(parser);
        tariff_dir = parser.String("tariff-dir", RUSTA_COMPENSATION_TARIFF_DIR,
                                   "directory of tariff files (*.tariff, format in compensation/tariff.h)");
      },
      [&config, &tariff_dir](server::ServiceHost& host, server::RegisteredServices& services) {
        // Kept for the life of the process.
        static std::unique_ptr<referral::AssessmentClient> assessment;
        static std::unique_ptr<referral::RegistryClient> registry;
        static std::unique_ptr<validation::MunicipalityCodes> municipalities;
        static std::unique_ptr<validation::PostalCodeDirectory> postal_codes;
        static std::unique_ptr<referral::ResultRegister> result_register;
        static std::unique_ptr<referral::compensation::TariffSet> tariffs;
        // A tariff that does not load stops the service, naming the file and line.
        auto loaded_tariffs = referral::compensation::LoadTariffDirectory(tariff_dir);
        if (!loaded_tariffs.ok()) {
          log::Error("tariffs_not_loaded", {{"detail", loaded_tariffs.status().message()}});
          std::exit(2);
        }
        tariffs = std::make_unique<referral::compensation::TariffSet>(std::move(*loaded_tariffs));
        for (const auto& t : tariffs->tariffs()) {
          log::Info("tariff_loaded", {{"version", t.version}, {"effective_from", absl::FormatCivilTime(t.effective_from)},
                                      {"illustrative", t.illustrative ? "true" : "false"}});
        }
        const server::ServerConfig& sc = host.config();
        referral::UpstreamOptions upstream{config.assessment_address, config.registry_address, sc.tls_cert,
                                           sc.tls_key, sc.tls_ca, config.upstream_tls_name,
                                           config.upstream_timeout_ms, sc.insecure_dev_mode};
        assessment = referral::MakeGrpcAssessmentClient(upstream);
        registry = referral::MakeGrpcRegistryClient(upstream);
        const std::string dir = sc.reference_data_dir;
        if (dir.empty()) {
          log::Warning("no_reference_data", {{"detail", "municipality and postal codes are checked for format only"}});
        } else {
          auto m = validation::MunicipalityCodes::LoadCsv(dir + "/municipalities.csv");
          auto p = validation::PostalCodeDirectory::LoadCsv(dir + "/postal_to_municipality.csv");
          if (!m.ok() || !p.ok()) {
            log::Error("reference_data_not_loaded", {{"detail", !m.ok() ? m.status().message() : p.status().message()}});
            std::exit(2);
          }
          municipalities = std::make_unique<validation::MunicipalityCodes>(std::move(*m));
          postal_codes = std::make_unique<validation::PostalCodeDirectory>(std::move(*p));
        }
        if (config.pseudonym_secret.empty()) {
          log::Warning("pseudonym_secret_unset",
                       {{"detail", "person pseudonyms in Redis keys use a development key; set "
                                   "RUSTA_PSEUDONYM_SECRET in production"}});
          config.pseudonym_secret = "rusta-development-pseudonym-key";
        }
        if (!config.result_register_file.empty()) {
          auto loaded = referral::LoadCsvResultRegister(config.result_register_file);
          if (!loaded.ok()) {
            log::Error("result_register_not_loaded", {{"detail", loaded.status().message()}});
            std::exit(2);
          }
          result_register = std::move(*loaded);
        }
        auto& handler = services.Add<referral::ReferralHandler>("rusta.v1.ReferralService", host, config,
                                                                assessment.get(), registry.get(),
                                                                municipalities.get(), postal_codes.get());
        handler.SetResultRegister(result_register.get());
        auto& compensation = services.Add<referral::CompensationHandler>("rusta.v1.CompensationService", host,
                                                                         config, *tariffs);
        referral::ReferralHandler* referral = &handler;
        compensation.SetPaidHook([referral](redis::RedisConnection& redis, const std::string& case_id,
                                            const std::vector<std::string>& line_ids, const std::string& request_id) {
          return referral->MarkPaid(redis, case_id, line_ids, request_id);
        });
      });
}
