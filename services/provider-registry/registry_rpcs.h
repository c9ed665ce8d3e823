#pragma once
// The RPC bodies of the registry, one free function per RPC, grouped by area in registry_rpc_*.cc.
#include "services/provider-registry/registry_impl.h"

namespace rusta::registry {

absl::Status DoListMunicipalities(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListMunicipalitiesRequest& req, v1::ListMunicipalitiesResponse* resp);
absl::Status DoAddMunicipality(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::AddMunicipalityRequest& req, v1::AddMunicipalityResponse* resp);
absl::Status DoLookupPostalCode(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::LookupPostalCodeRequest& req, v1::LookupPostalCodeResponse* resp);
absl::Status DoApplyProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ApplyProviderRequest& req, v1::ApplyProviderResponse* resp);
absl::Status DoGetProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::GetProviderRequest& req, v1::GetProviderResponse* resp);
absl::Status DoListProviders(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListProvidersRequest& req, v1::ListProvidersResponse* resp);
absl::Status DoUpdateProviderProfile(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::UpdateProviderProfileRequest& req, v1::UpdateProviderProfileResponse* resp);
absl::Status DoApproveProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ApproveProviderRequest& req, v1::ApproveProviderResponse* resp);
absl::Status DoRejectProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::RejectProviderRequest& req, v1::RejectProviderResponse* resp);
absl::Status DoSuspendProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::SuspendProviderRequest& req, v1::SuspendProviderResponse* resp);
absl::Status DoReinstateProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ReinstateProviderRequest& req, v1::ReinstateProviderResponse* resp);
absl::Status DoTerminateProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::TerminateProviderRequest& req, v1::TerminateProviderResponse* resp);
absl::Status DoCreateDeliveryArea(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::CreateDeliveryAreaRequest& req, v1::CreateDeliveryAreaResponse* resp);
absl::Status DoUpdateDeliveryArea(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::UpdateDeliveryAreaRequest& req, v1::UpdateDeliveryAreaResponse* resp);
absl::Status DoGetDeliveryArea(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::GetDeliveryAreaRequest& req, v1::GetDeliveryAreaResponse* resp);
absl::Status DoListDeliveryAreas(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListDeliveryAreasRequest& req, v1::ListDeliveryAreasResponse* resp);
absl::Status DoCreateContract(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::CreateContractRequest& req, v1::CreateContractResponse* resp);
absl::Status DoUpdateContract(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::UpdateContractRequest& req, v1::UpdateContractResponse* resp);
absl::Status DoListContracts(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListContractsRequest& req, v1::ListContractsResponse* resp);
absl::Status DoAddOffice(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::AddOfficeRequest& req, v1::AddOfficeResponse* resp);
absl::Status DoUpdateOffice(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::UpdateOfficeRequest& req, v1::UpdateOfficeResponse* resp);
absl::Status DoRemoveOffice(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::RemoveOfficeRequest& req, v1::RemoveOfficeResponse* resp);
absl::Status DoListOffices(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListOfficesRequest& req, v1::ListOfficesResponse* resp);
absl::Status DoSearchProviders(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::SearchProvidersRequest& req, v1::SearchProvidersResponse* resp);
absl::Status DoListWhiteSpots(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListWhiteSpotsRequest& req, v1::ListWhiteSpotsResponse* resp);
absl::Status DoFindNearestProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::FindNearestProviderRequest& req, v1::FindNearestProviderResponse* resp);
absl::Status DoRecordParticipantOutcome(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::RecordParticipantOutcomeRequest& req, v1::RecordParticipantOutcomeResponse* resp);
absl::Status DoComputeRatings(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ComputeRatingsRequest& req, v1::ComputeRatingsResponse* resp);
absl::Status DoGetRatingRun(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::GetRatingRunRequest& req, v1::GetRatingRunResponse* resp);
absl::Status DoListRatingRuns(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListRatingRunsRequest& req, v1::ListRatingRunsResponse* resp);
absl::Status DoFileComplaint(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::FileComplaintRequest& req, v1::FileComplaintResponse* resp);
absl::Status DoUpdateComplaint(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::UpdateComplaintRequest& req, v1::UpdateComplaintResponse* resp);
absl::Status DoListComplaints(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListComplaintsRequest& req, v1::ListComplaintsResponse* resp);
absl::Status DoImposeSanction(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ImposeSanctionRequest& req, v1::ImposeSanctionResponse* resp);
absl::Status DoListSanctions(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ListSanctionsRequest& req, v1::ListSanctionsResponse* resp);
absl::Status DoClaimFollowUp(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ClaimFollowUpRequest& req, v1::ClaimFollowUpResponse* resp);
absl::Status DoCompleteFollowUp(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::CompleteFollowUpRequest& req, v1::CompleteFollowUpResponse* resp);
absl::Status DoReleaseFollowUp(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::ReleaseFollowUpRequest& req, v1::ReleaseFollowUpResponse* resp);
absl::Status DoGetFollowUpQueueStats(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::GetFollowUpQueueStatsRequest& req, v1::GetFollowUpQueueStatsResponse* resp);
absl::Status DoLookupProvider(RegistryImpl& impl, const Identity& caller, RedisConnection& redis,
    const v1::LookupProviderRequest& req, v1::LookupProviderResponse* resp);

}  // namespace rusta::registry
