#include "common/server/health_descriptor.h"

#include "grpc/health/v1/health.pb.h"

namespace rusta::server {

void LinkHealthDescriptor() {
  // Referencing the descriptor pulls health.pb.o out of the static library and builds the file.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
}

}  // namespace rusta::server
