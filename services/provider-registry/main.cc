// rusta-provider-registry: wiring only. Loads the reference data (municipalities, postal codes),
// stores the municipalities Redis does not have yet, then serves rusta.v1.ProviderRegistryService.
#include <cstdlib>

#include "common/log/log.h"
#include "common/server/service_main.h"
#include "services/provider-registry/reference_data.h"
#include "services/provider-registry/registry_handler.h"

namespace rusta::lua {
const redis::FunctionLibrary& RegistryLibrary();
}

int main(int argc, char** argv) {
  using namespace rusta;
  registry::RegistryConfig config;
  server::ServiceSpec spec{"provider-registry", 50053, {lua::RegistryLibrary()}};
  return server::ServiceMain(argc, argv, spec,
      [&config](config::ConfigParser& parser) { config = registry::ReadRegistryConfig(parser); },
      [&config](server::ServiceHost& host, server::RegisteredServices& services) {
        auto reference = registry::LoadReferenceData(host.config().reference_data_dir);
        if (!reference.ok()) {
          log::Error("reference_data_not_loaded", {{"detail", reference.status().message()}});
          std::exit(2);
        }
        if (reference->municipalities.empty()) {
          log::Warning("no_reference_data", {{"detail", "starting with the municipalities stored in Redis "
                                                        "(none on a new installation); add them with AddMunicipality"}});
        } else {
          log::Info("reference_data_loaded", {{"municipalities", std::to_string(reference->municipalities.size())},
                                              {"postal_codes", std::to_string(reference->postal_codes.size())}});
        }
        auto& handler = services.Add<registry::RegistryHandler>("rusta.v1.ProviderRegistryService", host, config,
                                                                std::move(*reference));
        // Best effort at start: with Redis down the municipalities are stored on a later start.
        absl::Status loaded = host.executor().RunSync(
            [&handler](redis::RedisConnection& redis) { return handler.LoadMunicipalities(redis); });
        if (!loaded.ok()) log::Warning("municipalities_not_stored", {{"detail", loaded.message()}});
      });
}
