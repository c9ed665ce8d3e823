// rusta-referral: wiring only. Connects to the assessment service and the provider registry with
// this service's own certificate, loads the reference data, then serves rusta.v1.ReferralService
// (see referral_handler.h) and hosts the compensation module's rusta.v1.CompensationService
// (services/compensation/compensation_handler.h), giving it its two views of the case flow in
// process (compensation_case_source.h, compensation_case_settlement.h). Compensation in its own
// binary would be another main.cc like this one with those two over gRPC.
#include <cstdlib>
#include <memory>

#include "common/log/log.h"
#include "common/server/service_main.h"
#include "common/validation/municipality_codes.h"
#include "services/compensation/compensation_config.h"
#include "services/compensation/compensation_handler.h"
#include "services/compensation/domain/tariff.h"
#include "services/referral/compensation_case_settlement.h"
#include "services/referral/compensation_case_source.h"
#include "services/referral/referral_config.h"
#include "services/referral/referral_handler.h"
#include "services/referral/result_register.h"
#include "services/referral/upstream_clients.h"

namespace rusta::lua {
const redis::FunctionLibrary& ReferralLibrary();
const redis::FunctionLibrary& CompensationLibrary();
}

int main(int argc, char** argv) {
  using namespace rusta;
  referral::ReferralConfig config;
  compensation::CompensationConfig compensation_config;
  // rusta_referral before rusta_compensation: an older rusta_referral that still held the ledger's
  // functions is replaced first, so their new library can take them.
  server::ServiceSpec spec{"referral", 50052, {lua::ReferralLibrary(), lua::CompensationLibrary()}};
  return server::ServiceMain(argc, argv, spec,
      [&config, &compensation_config](config::ConfigParser& parser) {
        config = referral::ReadReferralConfig(parser);
        compensation_config = compensation::ReadCompensationConfig(parser);
      },
      [&config, &compensation_config](server::ServiceHost& host, server::RegisteredServices& services) {
        // Kept for the life of the process.
        static std::unique_ptr<referral::AssessmentClient> assessment;
        static std::unique_ptr<referral::RegistryClient> registry;
        static std::unique_ptr<validation::MunicipalityCodes> municipalities;
        static std::unique_ptr<validation::PostalCodeDirectory> postal_codes;
        static std::unique_ptr<referral::ResultRegister> result_register;
        static std::unique_ptr<compensation::TariffSet> tariffs;
        static std::unique_ptr<referral::InProcessCaseSource> case_source;
        static std::unique_ptr<referral::InProcessCaseSettlement> case_settlement;
        // A tariff that does not load stops the service, naming the file and line.
        auto loaded_tariffs = compensation::LoadConfiguredTariffs(compensation_config);
        if (!loaded_tariffs.ok()) {
          log::Error("tariffs_not_loaded", {{"detail", loaded_tariffs.status().message()}});
          std::exit(2);
        }
        tariffs = std::make_unique<compensation::TariffSet>(std::move(*loaded_tariffs));
        const server::ServerConfig& sc = host.config();
        referral::UpstreamOptions upstream{config.assessment_address, config.registry_address, sc.tls_cert,
                                           sc.tls_key, sc.tls_ca, config.upstream_tls_name,
                                           config.upstream_timeout_ms, sc.insecure_dev_mode, sc.trust_domain};
        auto assessment_client = referral::MakeGrpcAssessmentClient(upstream);
        auto registry_client = referral::MakeGrpcRegistryClient(upstream);
        if (!assessment_client.ok() || !registry_client.ok()) {
          log::Error("upstream_credentials_not_loaded",
                     {{"detail", (!assessment_client.ok() ? assessment_client.status() : registry_client.status()).message()}});
          std::exit(2);
        }
        assessment = *std::move(assessment_client);
        registry = *std::move(registry_client);
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
        if (!server::ResolvePseudonymSecret(host.config(), &config.pseudonym_secret)) std::exit(2);
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
        // Compensation sees the case flow through its two interfaces only (in process here).
        case_source = std::make_unique<referral::InProcessCaseSource>(handler.case_store());
        case_settlement = std::make_unique<referral::InProcessCaseSettlement>(handler);
        services.Add<compensation::CompensationHandler>("rusta.v1.CompensationService", host, compensation_config,
                                                        *tariffs, *case_source, case_settlement.get());
      });
}
