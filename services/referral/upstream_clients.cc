#include "services/referral/upstream_clients.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/server/call_deadline.h"
#include "common/server/caller_identity.h"
#include "rusta/v1/assessment.grpc.pb.h"
#include "rusta/v1/provider_registry.grpc.pb.h"

namespace rusta::referral {
namespace {

namespace v1 = rusta::v1;

// An unreadable or empty file stops the service at start: with it, every upstream call would fail
// its handshake, far from the cause.
absl::StatusOr<std::string> ReadPem(const std::string& path, const char* setting) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  if (!in || s.str().find("-----BEGIN") == std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(setting, ": cannot read a PEM file at ", path));
  }
  return s.str();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& address, const UpstreamOptions& o) {
  grpc::ChannelArguments args;
  if (o.insecure_dev_mode) return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  grpc::SslCredentialsOptions ssl;
  auto ca = ReadPem(o.tls_ca, "tls-ca");
  if (!ca.ok()) return ca.status();
  auto cert = ReadPem(o.tls_cert, "tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(o.tls_key, "tls-key");
  if (!key.ok()) return key.status();
  ssl.pem_root_certs = *std::move(ca);
  ssl.pem_cert_chain = *std::move(cert);
  ssl.pem_private_key = *std::move(key);
  args.SetSslTargetNameOverride(o.tls_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

// An upstream failure keeps its code (FAILED_PRECONDITION "assessment.eligible: ..." is the
// caller's business); transport failures become UNAVAILABLE naming the service.
absl::Status FromGrpc(const grpc::Status& s, const char* service) {
  if (s.ok()) return absl::OkStatus();
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return absl::UnavailableError(absl::StrCat(service, ": unavailable (", s.error_message(), ")"));
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      // Our own identity was refused or the other side failed: not the client's fault.
      return absl::UnavailableError(absl::StrCat(service, ": ", s.error_message()));
    default:
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
}

class CallContext {
 public:
  // The upstream timeout, and never past the deadline of the call this one is made for.
  explicit CallContext(const UpstreamOptions& o) {
    const absl::Time deadline =
        std::min(absl::Now() + absl::Milliseconds(o.timeout_ms), server::CurrentCallDeadline());
    ctx_.set_deadline(absl::ToChronoTime(deadline));
    if (o.insecure_dev_mode) {
      ctx_.AddMetadata(server::kDevIdentityHeader, absl::StrCat("spiffe://", o.trust_domain, "/service/referral"));
    }
  }
  grpc::ClientContext* get() { return &ctx_; }

 private:
  grpc::ClientContext ctx_;
};

class GrpcAssessmentClient final : public AssessmentClient {
 public:
  GrpcAssessmentClient(const UpstreamOptions& o, std::shared_ptr<grpc::Channel> channel)
      : options_(o), stub_(v1::AssessmentService::NewStub(std::move(channel))) {}

  absl::StatusOr<v1::Assessment> Get(const std::string& id) override {
    v1::GetAssessmentRequest req;
    req.set_assessment_id(id);
    v1::GetAssessmentResponse resp;
    CallContext ctx(options_);
    absl::Status s = FromGrpc(stub_->GetAssessment(ctx.get(), req, &resp), "assessment");
    if (!s.ok()) return s;
    return resp.assessment();
  }

  absl::StatusOr<v1::Assessment> LinkDecision(const std::string& request_id, const std::string& assessment_id,
                                              const std::string& case_id, const std::string& decision_id) override {
    v1::LinkDecisionRequest req;
    req.set_request_id(request_id);
    req.set_assessment_id(assessment_id);
    req.set_case_id(case_id);
    req.set_decision_id(decision_id);
    v1::LinkDecisionResponse resp;
    CallContext ctx(options_);
    absl::Status s = FromGrpc(stub_->LinkDecision(ctx.get(), req, &resp), "assessment");
    if (!s.ok()) return s;
    return resp.assessment();
  }

 private:
  UpstreamOptions options_;
  std::unique_ptr<v1::AssessmentService::Stub> stub_;
};

class GrpcRegistryClient final : public RegistryClient {
 public:
  GrpcRegistryClient(const UpstreamOptions& o, std::shared_ptr<grpc::Channel> channel)
      : options_(o), stub_(v1::ProviderRegistryService::NewStub(std::move(channel))) {}

  absl::StatusOr<std::vector<v1::ProviderSearchResult>> ChoosableProviders(const std::string& municipality_code,
                                                                          const v1::Date& as_of) override {
    std::vector<v1::ProviderSearchResult> out;
    v1::SearchProvidersRequest req;
    req.mutable_home()->set_municipality_code(municipality_code);
    *req.mutable_as_of() = as_of;
    req.set_page_size(1000);
    for (int page = 0; page < 100; ++page) {
      v1::SearchProvidersResponse resp;
      CallContext ctx(options_);
      absl::Status s = FromGrpc(stub_->SearchProviders(ctx.get(), req, &resp), "provider-registry");
      if (!s.ok()) return s;
      for (auto& r : *resp.mutable_results()) out.push_back(std::move(r));
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  absl::StatusOr<v1::FindNearestProviderResponse> ReserveNearest(const std::string& request_id,
                                                                 const std::string& municipality_code,
                                                                 const std::string& postal_code, const v1::Date& as_of,
                                                                 const std::string& case_id,
                                                                 const std::vector<std::string>& exclude) override {
    v1::FindNearestProviderRequest req;
    req.set_request_id(request_id);
    if (!postal_code.empty()) {
      req.mutable_home()->set_postal_code(postal_code);
    } else {
      req.mutable_home()->set_municipality_code(municipality_code);
    }
    *req.mutable_as_of() = as_of;
    for (const std::string& e : exclude) req.add_exclude_organisation_numbers(e);
    req.set_reserve_capacity(true);
    req.set_case_id(case_id);
    v1::FindNearestProviderResponse resp;
    CallContext ctx(options_);
    absl::Status s = FromGrpc(stub_->FindNearestProvider(ctx.get(), req, &resp), "provider-registry");
    if (!s.ok()) return s;
    return resp;
  }

  absl::Status RecordParticipantOutcome(const std::string& request_id, const v1::ParticipantOutcome& outcome) override {
    v1::RecordParticipantOutcomeRequest req;
    req.set_request_id(request_id);
    *req.mutable_outcome() = outcome;
    v1::RecordParticipantOutcomeResponse resp;
    CallContext ctx(options_);
    return FromGrpc(stub_->RecordParticipantOutcome(ctx.get(), req, &resp), "provider-registry");
  }

  absl::Status ComputeRatings(const std::string& request_id, const v1::Date& as_of) override {
    v1::ComputeRatingsRequest req;
    req.set_request_id(request_id);
    *req.mutable_as_of() = as_of;
    v1::ComputeRatingsResponse resp;
    CallContext ctx(options_);
    return FromGrpc(stub_->ComputeRatings(ctx.get(), req, &resp), "provider-registry");
  }

 private:
  UpstreamOptions options_;
  std::unique_ptr<v1::ProviderRegistryService::Stub> stub_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AssessmentClient>> MakeGrpcAssessmentClient(const UpstreamOptions& o) {
  auto channel = MakeChannel(o.assessment_address, o);
  if (!channel.ok()) return channel.status();
  return std::make_unique<GrpcAssessmentClient>(o, *std::move(channel));
}
absl::StatusOr<std::unique_ptr<RegistryClient>> MakeGrpcRegistryClient(const UpstreamOptions& o) {
  auto channel = MakeChannel(o.registry_address, o);
  if (!channel.ok()) return channel.status();
  return std::make_unique<GrpcRegistryClient>(o, *std::move(channel));
}

}  // namespace rusta::referral
