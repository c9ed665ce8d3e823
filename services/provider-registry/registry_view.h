#pragma once
// A decoded, immutable copy of the registry at one generation: the stored messages by key and the
// domain snapshot the pure functions work on. Replicas keep the latest and share it between
// requests; a request that finds the generation moved builds a new one.
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rusta/v1/provider_registry.pb.h"
#include "services/provider-registry/domain/registry_types.h"
#include "services/provider-registry/registry_store.h"

namespace rusta::registry {

struct RegistryView {
  int64_t generation = -1;
  std::map<std::string, rusta::v1::Municipality> municipalities;  // by code
  std::map<std::string, rusta::v1::Provider> providers;           // by organisation number
  std::map<std::string, rusta::v1::DeliveryArea> areas;           // by id
  std::map<std::string, rusta::v1::Contract> contracts;           // by id
  std::map<std::string, rusta::v1::Office> offices;               // by id
  RegistrySnapshot domain;                                        // incl. the assignments read with it
};

// Decodes the tables of a read (which must hold them).
absl::StatusOr<std::shared_ptr<const RegistryView>> DecodeView(const RawRegistry& raw);
// The same view with other assignment counts (they move without the generation).
std::shared_ptr<const RegistryView> WithAssignments(const std::shared_ptr<const RegistryView>& view,
                                                    const std::map<std::string, int>& assignments);

ProviderStatus FromProto(rusta::v1::ProviderStatus status);
rusta::v1::ProviderStatus ToProto(ProviderStatus status);
Level FromProto(rusta::v1::Level level);

}  // namespace rusta::registry
