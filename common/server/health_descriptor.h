#pragma once
// Server reflection lists every registered service, gRPC's own health service included, but can
// describe only those whose descriptors are in protobuf's generated pool. gRPC 1.51's health
// service is built on upb and puts none there, and the generated C++ of grpc/health/v1/health.proto
// (in rusta_protos) is linked only into binaries that reference it. This references it.
namespace rusta::server {

// Makes sure grpc.health.v1.Health is in the generated pool; ServiceHost::Start calls it.
void LinkHealthDescriptor();

}  // namespace rusta::server
