// rusta-provider-registry: wiring only (see common/server/service_main.h).
#include "common/server/service_main.h"
#include "rusta/v1/provider_registry.grpc.pb.h"

int main(int argc, char** argv) {
  rusta::server::ServiceSpec spec{"provider-registry", 50053, {}};
  return rusta::server::ServiceMain(argc, argv, spec, nullptr,
      [](rusta::server::ServiceHost&, rusta::server::RegisteredServices& services) {
        // The RPCs are built by later issues; until then the generated base class answers
        // UNIMPLEMENTED for each of them.
        services.Add<rusta::v1::ProviderRegistryService::CallbackService>("rusta.v1.ProviderRegistryService");
      });
}
