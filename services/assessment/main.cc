// rusta-assessment: wiring only. Loads the model files and reference data, then serves
// rusta.v1.AssessmentService (see assessment_handler.h).
#include <cstdio>
#include <memory>

#include "common/log/log.h"
#include "common/server/service_main.h"
#include "common/validation/municipality_codes.h"
#include "services/assessment/assessment_config.h"
#include "services/assessment/assessment_handler.h"
#include "services/assessment/domain/model.h"

namespace rusta::lua {
const redis::FunctionLibrary& AssessmentLibrary();
}

int main(int argc, char** argv) {
  using namespace rusta;
  assessment::AssessmentConfig config;
  server::ServiceSpec spec{"assessment", 50051, {lua::AssessmentLibrary()}};
  return server::ServiceMain(argc, argv, spec,
      [&config](config::ConfigParser& parser) { config = assessment::ReadAssessmentConfig(parser); },
      [&config](server::ServiceHost& host, server::RegisteredServices& services) {
        // Loaded once at start, kept for the life of the process.
        static std::unique_ptr<assessment::ModelRegistry> models;
        static std::unique_ptr<validation::MunicipalityCodes> municipalities;
        static std::unique_ptr<validation::PostalCodeDirectory> postal_codes;
        auto loaded = assessment::ModelRegistry::LoadDirectory(config.model_dir);
        if (!loaded.ok()) {
          log::Error("models_not_loaded", {{"detail", loaded.status().message()}});
          std::exit(2);
        }
        models = std::make_unique<assessment::ModelRegistry>(std::move(*loaded));
        for (const assessment::Model* m : models->All()) {
          log::Info("model_loaded", {{"version", m->version()},
                                     {"illustrative", m->illustrative() ? "true" : "false"}});
        }
        const std::string dir = host.config().reference_data_dir;
        if (dir.empty()) {
          log::Warning("no_reference_data",
                       {{"detail", "municipality and postal codes are checked for format only"}});
        } else {
          auto m = validation::MunicipalityCodes::LoadCsv(dir + "/municipalities.csv");
          auto p = validation::PostalCodeDirectory::LoadCsv(dir + "/postal_to_municipality.csv");
          if (!m.ok() || !p.ok()) {
            log::Error("reference_data_not_loaded",
                       {{"detail", !m.ok() ? m.status().message() : p.status().message()}});
            std::exit(2);
          }
          municipalities = std::make_unique<validation::MunicipalityCodes>(std::move(*m));
          postal_codes = std::make_unique<validation::PostalCodeDirectory>(std::move(*p));
        }
        if (!server::ResolvePseudonymSecret(host.config(), &config.pseudonym_secret)) std::exit(2);
        services.Add<assessment::AssessmentHandler>("rusta.v1.AssessmentService", host, config,
                                                    *models, municipalities.get(), postal_codes.get());
      });
}
