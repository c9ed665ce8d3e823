// rusta-assessment: wiring only (see common/server/service_main.h).
#include "common/server/service_main.h"
#include "rusta/v1/assessment.grpc.pb.h"

int main(int argc, char** argv) {
  rusta::server::ServiceSpec spec{"assessment", 50051, {}};
  return rusta::server::ServiceMain(argc, argv, spec, nullptr,
      [](rusta::server::ServiceHost&, rusta::server::RegisteredServices& services) {
        // The RPCs are built by later issues; until then the generated base class answers
        // UNIMPLEMENTED for each of them.
        services.Add<rusta::v1::AssessmentService::CallbackService>("rusta.v1.AssessmentService");
      });
}
