// rusta-referral: wiring only (see common/server/service_main.h).
#include "common/server/service_main.h"
#include "rusta/v1/compensation.grpc.pb.h"
#include "rusta/v1/referral.grpc.pb.h"

int main(int argc, char** argv) {
  rusta::server::ServiceSpec spec{"referral", 50052, {}};
  return rusta::server::ServiceMain(argc, argv, spec, nullptr,
      [](rusta::server::ServiceHost&, rusta::server::RegisteredServices& services) {
        // The RPCs are built by later issues; until then the generated base class answers
        // UNIMPLEMENTED for each of them.
        services.Add<rusta::v1::ReferralService::CallbackService>("rusta.v1.ReferralService");
        services.Add<rusta::v1::CompensationService::CallbackService>("rusta.v1.CompensationService");
      });
}
