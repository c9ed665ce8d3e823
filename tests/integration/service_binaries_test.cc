// Each of the five service binaries, as a process: starts with mutual TLS against a real Redis,
// reports SERVING on the standard health service, answers UNIMPLEMENTED for the RPCs later issues
// build (after checking who calls), logs one line per RPC, and exits 0 on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/wire_format_lite.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "rusta/v1/assessment.grpc.pb.h"
#include "rusta/v1/audit_service.grpc.pb.h"
#include "rusta/v1/compensation.grpc.pb.h"
#include "rusta/v1/municipal_collaboration.grpc.pb.h"
#include "rusta/v1/provider_registry.grpc.pb.h"
#include "rusta/v1/referral.grpc.pb.h"
#include "rusta/v1/secure_messaging.grpc.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/pki.h"
#include "tests/support/raw_call.h"
#include "tests/support/redis_server.h"

namespace rusta {
namespace {

using ::testing::HasSubstr;
using grpc::health::v1::HealthCheckResponse;

struct Binary {
  std::string name;     // service name and certificate
  std::string service;  // full proto service name
  // Calls one RPC of the service with an empty request; returns the status.
  std::function<grpc::Status(std::shared_ptr<grpc::Channel>)> call;
  std::string method;   // that RPC's full method name, as logged
  // What an empty request gets: UNIMPLEMENTED until the service's issue builds it, then the
  // validation error of the empty request.
  grpc::StatusCode empty_request_code = grpc::StatusCode::UNIMPLEMENTED;
  std::string empty_request_status = "UNIMPLEMENTED";
};

// gtest prints parameters in test names and failures: the service name says it all.
void PrintTo(const Binary& binary, std::ostream* os) { *os << binary.name; }

template <typename Service, typename Request, typename Response>
std::function<grpc::Status(std::shared_ptr<grpc::Channel>)> Caller(
    grpc::Status (Service::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*)) {
  return [rpc](std::shared_ptr<grpc::Channel> channel) {
    auto stub = Service::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    Response response;
    return ((*stub).*rpc)(&ctx, Request(), &response);
  };
}

std::vector<Binary> Binaries() {
  using namespace rusta::v1;
  return {
      {"assessment", "rusta.v1.AssessmentService",
       Caller<AssessmentService>(&AssessmentService::Stub::Assess),
       "/rusta.v1.AssessmentService/Assess", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {"referral", "rusta.v1.ReferralService",
       Caller<ReferralService>(&ReferralService::Stub::CreateCase),
       "/rusta.v1.ReferralService/CreateCase", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {"provider-registry", "rusta.v1.ProviderRegistryService",
       Caller<ProviderRegistryService>(&ProviderRegistryService::Stub::GetProvider),
       "/rusta.v1.ProviderRegistryService/GetProvider", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {"secure-messaging", "rusta.v1.SecureMessagingService",
       Caller<SecureMessagingService>(&SecureMessagingService::Stub::CreateThread),
       "/rusta.v1.SecureMessagingService/CreateThread"},
      {"municipal-collaboration", "rusta.v1.MunicipalCollaborationService",
       Caller<MunicipalCollaborationService>(&MunicipalCollaborationService::Stub::CreateAgreement),
       "/rusta.v1.MunicipalCollaborationService/CreateAgreement"},
  };
}

// A free TCP port on 127.0.0.1 (bound and released; the binary binds it right after).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class ServiceBinaryTest : public ::testing::TestWithParam<Binary> {
 protected:
  void SetUp() override {
    // Read by the services that keep person pseudonyms (ignored by the others).
    setenv("RUSTA_PSEUDONYM_SECRET", "binaries-test-pseudonym-secret", 1);
    port_ = FreePort();
    log_path_ = logs_.path() + "/service.log";
    const std::string& name = GetParam().name;
    process_ = std::make_unique<testing::ChildProcess>(
        std::string(RUSTA_BINARY_DIR) + "/bin/rusta-" + name,
        std::vector<std::string>{
            "--listen=127.0.0.1:" + std::to_string(port_), "--redis-address=" + redis_.address(),
            "--tls-cert=" + pki_.server_cert(name), "--tls-key=" + pki_.server_key(name),
            "--tls-ca=" + pki_.ca_cert(), "--workers=2", "--health-interval-ms=100",
            "--reference-data-dir=" RUSTA_SHARED_DATA_DIR},
        log_path_);
  }
  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& client) {
    return testing::Pki::Channel(port_, pki_.ClientCredentials(client));
  }
  HealthCheckResponse::ServingStatus Health(const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(ChannelAs("admin"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    return stub->Check(&ctx, req, &resp).ok() ? resp.status() : HealthCheckResponse::UNKNOWN;
  }
  bool WaitServing(const std::string& service) {
    for (int i = 0; i < 300; ++i) {
      if (Health(service) == HealthCheckResponse::SERVING) return true;
      if (!process_->Running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  testing::RedisServer redis_;
  testing::Pki pki_;
  testing::TempDir logs_;
  std::string log_path_;
  int port_ = 0;
  std::unique_ptr<testing::ChildProcess> process_;
};

TEST_P(ServiceBinaryTest, ServesHealthAnswersAndStopsOnSigterm) {
  const Binary& b = GetParam();
  ASSERT_TRUE(WaitServing("")) << testing::ReadFileOrDie(log_path_);
  EXPECT_EQ(Health(b.service), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("rusta.v1.AuditService"), HealthCheckResponse::SERVING);

  grpc::Status s = b.call(ChannelAs("caseworker"));
  EXPECT_EQ(s.error_code(), b.empty_request_code) << s.error_message();

  // The shared audit service is real on every binary.
  auto audit = rusta::v1::AuditService::NewStub(ChannelAs("admin"));
  grpc::ClientContext ctx;
  rusta::v1::VerifyAuditChainResponse verified;
  grpc::Status v = audit->VerifyAuditChain(&ctx, {}, &verified);
  EXPECT_TRUE(v.ok()) << v.error_message();
  EXPECT_TRUE(verified.ok());

  std::optional<int> code = process_->Stop(SIGTERM, std::chrono::seconds(15));
  ASSERT_TRUE(code.has_value()) << "did not stop within 15 s of SIGTERM";
  EXPECT_EQ(*code, 0);

  const std::string log = testing::ReadFileOrDie(log_path_);
  EXPECT_THAT(log, HasSubstr("effective configuration"));
  EXPECT_THAT(log, HasSubstr("tls-ca=" + pki_.ca_cert()));
  EXPECT_THAT(log, HasSubstr("event=rpc method=" + b.method +
                             " caller=spiffe://rusta.local/caseworker/cw-0001 status=" +
                             b.empty_request_status));
  EXPECT_THAT(log, HasSubstr("event=shutting_down"));
}

TEST_P(ServiceBinaryTest, ClientWithoutCertificateIsRefused) {
  ASSERT_TRUE(WaitServing("")) << testing::ReadFileOrDie(log_path_);
  grpc::Status s = GetParam().call(testing::Pki::Channel(port_, pki_.NoClientCertCredentials()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
}

// Server reflection (grpc.reflection.v1alpha), spoken in raw bytes: this test links no
// generated reflection code (libgrpc++_reflection's own would clash with it).
std::string LengthDelimited(int field, const std::string& value) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
      field, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  coded.WriteVarint32(static_cast<uint32_t>(value.size()));
  coded.WriteString(value);
  coded.Trim();
  return out;
}

// The length-delimited values of `field` in the message `bytes` (read without its schema).
std::vector<std::string> Strings(const std::string& bytes, int field) {
  google::protobuf::UnknownFieldSet set;
  EXPECT_TRUE(set.ParseFromString(bytes));
  std::vector<std::string> out;
  for (int i = 0; i < set.field_count(); ++i) {
    if (set.field(i).number() == field &&
        set.field(i).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      out.push_back(set.field(i).length_delimited());
    }
  }
  return out;
}

constexpr char kReflectionMethod[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

// ListServices (request field 7 → response field 6: repeated ServiceResponse{name = 1}).
std::vector<std::string> ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  std::vector<std::string> responses;
  grpc::Status s = testing::RawStreamingCall(channel, kReflectionMethod, {LengthDelimited(7, "*")},
                                             &responses);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> names;
  if (responses.size() != 1) return names;
  for (const std::string& list : Strings(responses[0], 6)) {
    for (const std::string& service : Strings(list, 1)) {
      for (const std::string& name : Strings(service, 1)) names.push_back(name);
    }
  }
  return names;
}

// FileContainingSymbol (request field 4 → response field 4: FileDescriptorResponse, its field 1
// the serialised files; or field 7, an ErrorResponse): the services the files declare.
std::vector<std::string> ServicesOfFileContaining(const std::shared_ptr<grpc::Channel>& channel,
                                                  const std::string& symbol) {
  std::vector<std::string> responses;
  grpc::Status s = testing::RawStreamingCall(channel, kReflectionMethod,
                                             {LengthDelimited(4, symbol)}, &responses);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> services;
  if (responses.size() != 1) return services;
  for (const std::string& files : Strings(responses[0], 4)) {
    for (const std::string& bytes : Strings(files, 1)) {
      google::protobuf::FileDescriptorProto file;
      EXPECT_TRUE(file.ParseFromString(bytes));
      for (const auto& service : file.service()) services.push_back(file.package() + "." + service.name());
    }
  }
  return services;
}

TEST_P(ServiceBinaryTest, ReflectionDescribesEveryServiceItLists) {
  ASSERT_TRUE(WaitServing("")) << testing::ReadFileOrDie(log_path_);
  auto channel = ChannelAs("admin");
  const std::vector<std::string> listed = ListServices(channel);
  EXPECT_THAT(listed, ::testing::IsSupersetOf({GetParam().service, std::string("grpc.health.v1.Health"),
                                              std::string("rusta.v1.AuditService")}));
  for (const std::string& service : listed) {
    EXPECT_THAT(ServicesOfFileContaining(channel, service), ::testing::Contains(service))
        << "reflection lists " << service << " but does not describe it";
  }
}

INSTANTIATE_TEST_SUITE_P(AllServices, ServiceBinaryTest, ::testing::ValuesIn(Binaries()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

TEST(ServiceBinaryConfigTest, MissingTlsSettingsRefuseToStart) {
  testing::TempDir dir;
  testing::ChildProcess p(std::string(RUSTA_BINARY_DIR) + "/bin/rusta-assessment",
                          {"--listen=127.0.0.1:0"}, dir.path() + "/log");
  std::optional<int> code = p.Stop(0, std::chrono::seconds(10));  // signal 0: just wait
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_THAT(testing::ReadFileOrDie(dir.path() + "/log"),
              HasSubstr("tls-cert, tls-key and tls-ca are required"));
}

// Person pseudonyms keyed with a constant from the source would be no pseudonyms at all.
TEST(ServiceBinaryConfigTest, NoPseudonymSecretRefusesToStartOutsideDevelopmentMode) {
  unsetenv("RUSTA_PSEUDONYM_SECRET");
  testing::Pki pki;
  testing::RedisServer redis;
  for (const std::string name : {"assessment", "referral"}) {
    testing::TempDir dir;
    testing::ChildProcess p(std::string(RUSTA_BINARY_DIR) + "/bin/rusta-" + name,
                            {"--listen=127.0.0.1:0", "--redis-address=" + redis.address(),
                             "--tls-cert=" + pki.server_cert(name), "--tls-key=" + pki.server_key(name),
                             "--tls-ca=" + pki.ca_cert(), "--reference-data-dir=" RUSTA_SHARED_DATA_DIR},
                            dir.path() + "/log");
    std::optional<int> code = p.Stop(0, std::chrono::seconds(10));
    ASSERT_TRUE(code.has_value()) << name;
    EXPECT_EQ(*code, 2) << name;
    EXPECT_THAT(testing::ReadFileOrDie(dir.path() + "/log"), HasSubstr("pseudonym-secret")) << name;
  }
}

// The referral service calls its neighbours with its own certificate: one it cannot read stops it at
// start instead of failing every upstream call later.
TEST(ServiceBinaryConfigTest, UnreadableUpstreamCertificateRefusesToStart) {
  testing::Pki pki;
  testing::RedisServer redis;
  testing::TempDir dir;
  // The upstream clients are made before the server binds, from the same certificate and key.
  const std::string bad_key = dir.path() + "/not-a-key.pem";
  { std::ofstream(bad_key) << "not a key"; }
  testing::ChildProcess p(std::string(RUSTA_BINARY_DIR) + "/bin/rusta-referral",
                          {"--listen=127.0.0.1:0", "--redis-address=" + redis.address(),
                           "--tls-cert=" + pki.server_cert("referral"), "--tls-key=" + bad_key,
                           "--tls-ca=" + pki.ca_cert(), "--pseudonym-secret=s",
                           "--reference-data-dir=" RUSTA_SHARED_DATA_DIR},
                          dir.path() + "/log");
  std::optional<int> code = p.Stop(0, std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_THAT(testing::ReadFileOrDie(dir.path() + "/log"), HasSubstr("tls-key: cannot read a PEM file"));
}

TEST(ServiceBinaryConfigTest, UnknownFlagRefusesToStart) {
  testing::TempDir dir;
  testing::ChildProcess p(std::string(RUSTA_BINARY_DIR) + "/bin/rusta-referral",
                          {"--insecure-dev-mode", "--wrokers=3"}, dir.path() + "/log");
  std::optional<int> code = p.Stop(0, std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_THAT(testing::ReadFileOrDie(dir.path() + "/log"), HasSubstr("unknown flag --wrokers"));
}

}  // namespace
}  // namespace rusta
