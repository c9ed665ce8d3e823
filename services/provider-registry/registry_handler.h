#pragma once
// rusta.v1.ProviderRegistryService: the gRPC adapter (validation, identity, status) over the
// registry's domain (services/provider-registry/domain) and store. The RPC bodies live in
// registry_rpc_*.cc by area; registry_impl.h is what they share.
#include <memory>

#include "common/identity/policy.h"
#include "common/server/service_host.h"
#include "rusta/v1/provider_registry.grpc.pb.h"
#include "services/provider-registry/domain/ratings.h"
#include "services/provider-registry/reference_data.h"

namespace rusta::registry {

struct RegistryConfig {
  RatingParams rating;
  int follow_up_interval_days = 182;            // twice a year
  int64_t follow_up_visibility_ms = 60 * 60 * 1000;
  int min_references = 2;
};

// Declares and reads the registry's own settings (flags / RUSTA_* variables).
RegistryConfig ReadRegistryConfig(config::ConfigParser& parser);

struct RegistryImpl;

class RegistryHandler final : public rusta::v1::ProviderRegistryService::CallbackService {
 public:
  RegistryHandler(server::ServiceHost& host, RegistryConfig config, ReferenceData reference);

  static identity::Policy MakePolicy();
  // Stores the reference municipalities that Redis does not have yet (API-added ones stay).
  absl::Status LoadMunicipalities(redis::RedisConnection& redis);

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
#define RUSTA_DECLARE(Name) \
  Reactor* Name(Ctx*, const rusta::v1::Name##Request*, rusta::v1::Name##Response*) override;
  RUSTA_DECLARE(ListMunicipalities)
  RUSTA_DECLARE(AddMunicipality)
  RUSTA_DECLARE(LookupPostalCode)
  RUSTA_DECLARE(ApplyProvider)
  RUSTA_DECLARE(GetProvider)
  RUSTA_DECLARE(ListProviders)
  RUSTA_DECLARE(UpdateProviderProfile)
  RUSTA_DECLARE(ApproveProvider)
  RUSTA_DECLARE(RejectProvider)
  RUSTA_DECLARE(SuspendProvider)
  RUSTA_DECLARE(ReinstateProvider)
  RUSTA_DECLARE(TerminateProvider)
  RUSTA_DECLARE(CreateDeliveryArea)
  RUSTA_DECLARE(UpdateDeliveryArea)
  RUSTA_DECLARE(GetDeliveryArea)
  RUSTA_DECLARE(ListDeliveryAreas)
  RUSTA_DECLARE(CreateContract)
  RUSTA_DECLARE(UpdateContract)
  RUSTA_DECLARE(ListContracts)
  RUSTA_DECLARE(AddOffice)
  RUSTA_DECLARE(UpdateOffice)
  RUSTA_DECLARE(RemoveOffice)
  RUSTA_DECLARE(ListOffices)
  RUSTA_DECLARE(SearchProviders)
  RUSTA_DECLARE(ListWhiteSpots)
  RUSTA_DECLARE(FindNearestProvider)
  RUSTA_DECLARE(RecordParticipantOutcome)
  RUSTA_DECLARE(ComputeRatings)
  RUSTA_DECLARE(GetRatingRun)
  RUSTA_DECLARE(ListRatingRuns)
  RUSTA_DECLARE(FileComplaint)
  RUSTA_DECLARE(UpdateComplaint)
  RUSTA_DECLARE(ListComplaints)
  RUSTA_DECLARE(ImposeSanction)
  RUSTA_DECLARE(ListSanctions)
  RUSTA_DECLARE(ClaimFollowUp)
  RUSTA_DECLARE(CompleteFollowUp)
  RUSTA_DECLARE(ReleaseFollowUp)
  RUSTA_DECLARE(GetFollowUpQueueStats)
  RUSTA_DECLARE(LookupProvider)
#undef RUSTA_DECLARE

 private:
  std::shared_ptr<RegistryImpl> impl_;
};

}  // namespace rusta::registry
