#pragma once
// The referral service's calls to the assessment service and the provider registry, behind small
// interfaces so the handler does not know about channels. The gRPC implementations present this
// service's own certificate (role SERVICE) over mutual TLS.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rusta/v1/assessment.pb.h"
#include "rusta/v1/provider_registry.pb.h"

namespace rusta::referral {

class AssessmentClient {
 public:
  virtual ~AssessmentClient() = default;
  virtual absl::StatusOr<rusta::v1::Assessment> Get(const std::string& assessment_id) = 0;
  // Links the assessment to the decision (once; request_id makes a retry answer the same).
  virtual absl::StatusOr<rusta::v1::Assessment> LinkDecision(const std::string& request_id,
                                                            const std::string& assessment_id,
                                                            const std::string& case_id,
                                                            const std::string& decision_id) = 0;
};

class RegistryClient {
 public:
  virtual ~RegistryClient() = default;
  // Every provider a participant in the municipality may choose (all pages).
  virtual absl::StatusOr<std::vector<rusta::v1::ProviderSearchResult>> ChoosableProviders(
      const std::string& municipality_code, const rusta::v1::Date& as_of) = 0;
  // The nearest provider with free capacity, reserved for the case (idempotent by request_id).
  virtual absl::StatusOr<rusta::v1::FindNearestProviderResponse> ReserveNearest(
      const std::string& request_id, const std::string& municipality_code,
      const std::string& postal_code, const rusta::v1::Date& as_of, const std::string& case_id,
      const std::vector<std::string>& exclude) = 0;
  // Rating input: upserts the outcome by (case_id, organisation_number) (idempotent by request_id).
  virtual absl::Status RecordParticipantOutcome(const std::string& request_id,
                                                const rusta::v1::ParticipantOutcome& outcome) = 0;
  // A new rating run as of the date (idempotent by request_id).
  virtual absl::Status ComputeRatings(const std::string& request_id, const rusta::v1::Date& as_of) = 0;
};

struct UpstreamOptions {
  std::string assessment_address, registry_address;
  std::string tls_cert, tls_key, tls_ca;  // this service's certificate and the CA
  std::string tls_name = "localhost";
  int64_t timeout_ms = 5000;
  bool insecure_dev_mode = false;  // plaintext with the development identity header
  std::string trust_domain = "rusta.local";  // of that header's identity
};

// FAILED_PRECONDITION naming the setting when a certificate, key or CA file cannot be read.
absl::StatusOr<std::unique_ptr<AssessmentClient>> MakeGrpcAssessmentClient(const UpstreamOptions& options);
absl::StatusOr<std::unique_ptr<RegistryClient>> MakeGrpcRegistryClient(const UpstreamOptions& options);

}  // namespace rusta::referral
