// The server runner over real mutual TLS with a real Redis: who gets in, which identity and role
// a certificate yields, health while Redis comes and goes, and the audit service on every host.
#include "common/server/service_host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <chrono>
#include <thread>

#include "common/lua/common_library.h"
#include "common/server/audit_handler.h"
#include "common/server/caller_identity.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "rusta/v1/audit_service.grpc.pb.h"
#include "tests/support/pki.h"
#include "tests/support/raw_call.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_host.h"

namespace rusta::server {
namespace {

using ::testing::HasSubstr;
using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using rusta::v1::AuditService;

// A stand-in service that answers with the caller's identity as the host saw it: the identity
// path under test is the host's, the service is only a window onto it.
class WhoAmIService final : public AuditService::CallbackService {
 public:
  explicit WhoAmIService(ServiceHost& host) : host_(host) {
    policy_.Allow("VerifyAuditChain",
                  {identity::Role::kCaseworker, identity::Role::kEmploymentOfficer,
                   identity::Role::kSupportGroup, identity::Role::kProviderFollowUp,
                   identity::Role::kProvider, identity::Role::kMunicipality,
                   identity::Role::kAuditor, identity::Role::kAdmin, identity::Role::kService});
  }
  grpc::ServerUnaryReactor* VerifyAuditChain(grpc::CallbackServerContext* context,
                                             const rusta::v1::VerifyAuditChainRequest* request,
                                             rusta::v1::VerifyAuditChainResponse* response) override {
    return host_.Handle(context, "VerifyAuditChain", policy_, request,
                        [response](const identity::Identity& caller, redis::RedisConnection&) {
                          response->set_description(caller.uri);
                          response->set_first_bad_seq(identity::RoleProtoNumber(caller.role));
                          return absl::OkStatus();
                        });
  }

 private:
  ServiceHost& host_;
  identity::Policy policy_;
};

redis::FunctionRegistry Functions() {
  redis::FunctionRegistry f;
  f.Add(lua::CommonLibrary());
  return f;
}

class ServiceHostTest : public ::testing::Test {
 protected:
  void StartHost(std::function<void(ServerConfig&)> adjust = nullptr) {
    ServerConfig config = testing::TestServerConfig(pki_, redis_);
    if (adjust) adjust(config);
    host_ = std::make_unique<ServiceHost>(config, Functions());
    audit_ = std::make_unique<AuditHandler>(*host_);
    host_->AddService(audit_.get(), "rusta.v1.AuditService");
    ASSERT_TRUE(host_->Start().ok());
  }
  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& client) {
    return testing::Pki::Channel(host_->port(), pki_.ClientCredentials(client));
  }
  HealthCheckResponse::ServingStatus Health(const std::string& service = "") {
    auto stub = Health::NewStub(ChannelAs("admin"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    return s.ok() ? resp.status() : HealthCheckResponse::UNKNOWN;
  }
  bool WaitForHealth(HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 200; ++i) {
      if (Health() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
  grpc::Status Verify(std::shared_ptr<grpc::Channel> channel,
                      rusta::v1::VerifyAuditChainResponse* response = nullptr) {
    auto stub = AuditService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    rusta::v1::VerifyAuditChainResponse local;
    return stub->VerifyAuditChain(&ctx, {}, response ? response : &local);
  }

  testing::RedisServer redis_;
  testing::Pki pki_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<AuditHandler> audit_;
};

TEST_F(ServiceHostTest, ServesHealthAndTheAuditServiceOverMutualTls) {
  StartHost();
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  EXPECT_EQ(Health("rusta.v1.AuditService"), HealthCheckResponse::SERVING);
  pki_.AddClient("auditor", "spiffe://rusta.local/auditor/au-1");
  rusta::v1::VerifyAuditChainResponse response;
  grpc::Status s = Verify(ChannelAs("auditor"), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(response.ok());
}

// After a Redis restart every worker's connection is dead; once health says SERVING again, a burst
// of calls (more than there are workers) must all be served, none failing on an old connection.
TEST_F(ServiceHostTest, AfterRedisRestartsEveryCallAfterServingSucceeds) {
  StartHost();
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  pki_.AddClient("auditor", "spiffe://rusta.local/auditor/au-1");
  auto channel = ChannelAs("auditor");
  auto burst = [&](int calls) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < calls; ++i) {
      threads.emplace_back([&] { if (Verify(channel).ok()) ++ok; });
    }
    for (std::thread& t : threads) t.join();
    return ok.load();
  };
  ASSERT_EQ(burst(40), 40);  // every worker has a connection now
  redis_.Stop();
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));
  redis_.Start();
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  EXPECT_EQ(burst(40), 40);
}

// page_size above the maximum is clamped, as in every other list (not refused).
TEST_F(ServiceHostTest, ListAuditEventsClampsALargePageSize) {
  StartHost();
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  pki_.AddClient("auditor", "spiffe://rusta.local/auditor/au-1");
  auto stub = AuditService::NewStub(ChannelAs("auditor"));
  grpc::ClientContext ctx;
  rusta::v1::ListAuditEventsRequest req;
  req.set_page_size(5000);
  rusta::v1::ListAuditEventsResponse resp;
  grpc::Status s = stub->ListAuditEvents(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  grpc::ClientContext negative_ctx;
  req.set_page_size(-1);
  EXPECT_EQ(stub->ListAuditEvents(&negative_ctx, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceHostTest, ClientWithoutCertificateIsRefused) {
  StartHost();
  grpc::Status s = Verify(testing::Pki::Channel(host_->port(), pki_.NoClientCertCredentials()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(ServiceHostTest, ClientWithCertificateFromAnotherCaIsRefused) {
  StartHost();
  testing::Pki other;  // same names and identities, another CA
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = testing::ReadFileOrDie(pki_.ca_cert());  // trusts our server
  options.pem_private_key = testing::ReadFileOrDie(other.dir() + "/clients/admin.key");
  options.pem_cert_chain = testing::ReadFileOrDie(other.dir() + "/clients/admin.crt");
  grpc::Status s = Verify(testing::Pki::Channel(host_->port(), grpc::SslCredentials(options)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(ServiceHostTest, PlaintextClientIsRefused) {
  StartHost();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()),
                                     grpc::InsecureChannelCredentials());
  EXPECT_EQ(Verify(channel).error_code(), grpc::StatusCode::UNAVAILABLE);
}

class WhoAmITest : public ServiceHostTest {
 protected:
  void StartWhoAmI() {
    host_ = std::make_unique<ServiceHost>(testing::TestServerConfig(pki_, redis_), Functions());
    who_ = std::make_unique<WhoAmIService>(*host_);
    host_->AddService(who_.get(), "rusta.v1.AuditService");
    ASSERT_TRUE(host_->Start().ok());
  }
  std::unique_ptr<WhoAmIService> who_;
};

TEST_F(WhoAmITest, ProviderCertificateYieldsTheProvidersIdentityAndRole) {
  StartWhoAmI();
  rusta::v1::VerifyAuditChainResponse response;
  grpc::Status s = Verify(ChannelAs("provider"), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.description(), "spiffe://rusta.local/provider/5560360793");
  EXPECT_EQ(response.first_bad_seq(), rusta::v1::ROLE_PROVIDER);
}

TEST_F(WhoAmITest, EachClientCertificateYieldsItsOwnRole) {
  StartWhoAmI();
  const std::pair<const char*, rusta::v1::Role> cases[] = {
      {"caseworker", rusta::v1::ROLE_CASEWORKER},
      {"municipality", rusta::v1::ROLE_MUNICIPALITY},
      {"admin", rusta::v1::ROLE_ADMIN},
      {"referral", rusta::v1::ROLE_SERVICE},  // a service's own certificate
  };
  for (const auto& [client, role] : cases) {
    rusta::v1::VerifyAuditChainResponse response;
    grpc::Status s = Verify(ChannelAs(client), &response);
    ASSERT_TRUE(s.ok()) << client << ": " << s.error_message();
    EXPECT_EQ(response.first_bad_seq(), role) << client;
  }
}

TEST_F(WhoAmITest, CertificateOfAnotherTrustDomainIsUnauthenticated) {
  StartWhoAmI();
  pki_.AddClient("stranger", "spiffe://elsewhere.example/admin/root");
  grpc::Status s = Verify(ChannelAs("stranger"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ServiceHostTest, PolicyRefusesRolesNotInTheTable) {
  StartHost();
  grpc::Status s = Verify(ChannelAs("provider"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("role provider may not call VerifyAuditChain"));
}

TEST_F(ServiceHostTest, RedisStoppedMeansUnavailableAndNotServingAndBothRecover) {
  StartHost();
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  ASSERT_TRUE(Verify(ChannelAs("admin")).ok());

  redis_.Stop();
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));
  grpc::Status down = Verify(ChannelAs("admin"));
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(down.error_message(), "storage unavailable, try again");

  redis_.Start();  // empty: no functions loaded, nothing persisted
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  grpc::Status up;
  for (int i = 0; i < 100; ++i) {  // workers reconnect after their backoff
    up = Verify(ChannelAs("admin"));
    if (up.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(up.ok()) << up.error_message();
}

TEST_F(ServiceHostTest, StartsNotServingWhenRedisIsDownAtStart) {
  redis_.Stop();
  StartHost();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Health(), HealthCheckResponse::NOT_SERVING);
  redis_.Start();
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
}

TEST_F(ServiceHostTest, ListingTheTrailIsItselfAudited) {
  StartHost();
  pki_.AddClient("auditor", "spiffe://rusta.local/auditor/au-1");
  auto stub = AuditService::NewStub(ChannelAs("auditor"));
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    rusta::v1::ListAuditEventsResponse resp;
    ASSERT_TRUE(stub->ListAuditEvents(&ctx, {}, &resp).ok());
    ASSERT_EQ(resp.events_size(), i);  // the first listing saw nothing, the second sees the first
  }
  grpc::ClientContext ctx;
  rusta::v1::ListAuditEventsResponse resp;
  ASSERT_TRUE(stub->ListAuditEvents(&ctx, {}, &resp).ok());
  ASSERT_EQ(resp.events_size(), 2);
  EXPECT_EQ(resp.events(0).event().actor_id(), "spiffe://rusta.local/auditor/au-1");
  EXPECT_EQ(resp.events(0).event().actor_role(), rusta::v1::ROLE_AUDITOR);
  EXPECT_EQ(resp.events(0).event().action(), "assessment.ListAuditEvents");
  EXPECT_EQ(resp.events(0).seq(), 1);
  EXPECT_EQ(resp.events(1).prev_hash(), resp.events(0).hash());
}

TEST_F(ServiceHostTest, BadPageTokenIsInvalidArgumentNamingTheField) {
  StartHost();
  auto stub = AuditService::NewStub(ChannelAs("admin"));
  grpc::ClientContext ctx;
  rusta::v1::ListAuditEventsRequest req;
  req.set_page_token("not-a-token");
  rusta::v1::ListAuditEventsResponse resp;
  grpc::Status s = stub->ListAuditEvents(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token"));
}

grpc::Status ListAuditEvents(std::shared_ptr<grpc::Channel> channel,
                             const rusta::v1::ListAuditEventsRequest& request) {
  auto stub = AuditService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  rusta::v1::ListAuditEventsResponse response;
  return stub->ListAuditEvents(&ctx, request, &response);
}

TEST_F(ServiceHostTest, OverLongFieldIsInvalidArgumentNamingItsPath) {
  StartHost();
  rusta::v1::ListAuditEventsRequest request;
  request.mutable_subject()->set_kind(rusta::v1::SUBJECT_KIND_CASE);
  request.mutable_subject()->set_id(std::string(5000, '1'));
  grpc::Status s = ListAuditEvents(ChannelAs("admin"), request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "subject.id: at most 4096 characters");
}

TEST_F(ServiceHostTest, RequestOverTheMaximumSizeIsRefusedBeforeParsing) {
  StartHost();
  rusta::v1::ListAuditEventsRequest request;
  request.set_page_token(std::string(2 << 20, 'x'));  // 2 MiB > the default 1 MiB (gRPC's: 4 MiB)
  grpc::Status s = ListAuditEvents(ChannelAs("admin"), request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
}

TEST_F(ServiceHostTest, MaximumRequestSizeIsTheSetting) {
  StartHost([](ServerConfig& c) { c.max_request_bytes = 64 << 10; });
  rusta::v1::ListAuditEventsRequest request;
  request.set_page_token(std::string(100 << 10, 'x'));
  EXPECT_EQ(ListAuditEvents(ChannelAs("admin"), request).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// Bytes our stubs cannot produce: gRPC's own answer would be UNIMPLEMENTED with no message.
TEST_F(ServiceHostTest, RequestThatCannotBeParsedIsInvalidArgument) {
  StartHost();
  const std::string unparseable[] = {
      std::string("\x12\x02\xff\xfe", 4),  // page_token (2) with invalid UTF-8
      std::string("\x12\x05" "ab", 4),      // page_token announced 5 bytes long, 2 sent
      std::string("\x1a\x04\x12\x02\xc3\x28", 6),  // subject.id with invalid UTF-8, nested
  };
  for (const std::string& bytes : unparseable) {
    grpc::Status s = testing::RawUnaryCall(ChannelAs("admin"), "/rusta.v1.AuditService/ListAuditEvents",
                                           bytes, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message(), "request: cannot be parsed");
  }
  // What parses is untouched by that, and an RPC that does not exist is still UNIMPLEMENTED.
  EXPECT_TRUE(testing::RawUnaryCall(ChannelAs("admin"), "/rusta.v1.AuditService/ListAuditEvents",
                                    std::string("\x12\x00", 2), nullptr).ok());
  EXPECT_EQ(testing::RawUnaryCall(ChannelAs("admin"), "/rusta.v1.AuditService/NoSuchMethod", "",
                                  nullptr).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ServiceHostTest, InsecureDevModeTakesIdentityFromTheHeaderOnly) {
  StartHost([](ServerConfig& c) { c.insecure_dev_mode = true; });
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = AuditService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    rusta::v1::VerifyAuditChainResponse resp;
    EXPECT_EQ(stub->VerifyAuditChain(&ctx, {}, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kDevIdentityHeader, "spiffe://rusta.local/admin/dev");
    rusta::v1::VerifyAuditChainResponse resp;
    grpc::Status s = stub->VerifyAuditChain(&ctx, {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
}

TEST_F(ServiceHostTest, BindingAPortInUseFails) {
  StartHost();
  ServerConfig config = testing::TestServerConfig(pki_, redis_);
  config.listen = "127.0.0.1:" + std::to_string(host_->port());
  ServiceHost second(config, Functions());
  EXPECT_FALSE(second.Start().ok());
}

}  // namespace
}  // namespace rusta::server
