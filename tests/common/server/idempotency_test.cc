#include "common/server/idempotency.h"

#include <gtest/gtest.h>

#include "common/lua/common_library.h"
#include "common/redis/redis_connection.h"
#include "rusta/v1/audit_service.pb.h"
#include "rusta/v1/referral.pb.h"
#include "tests/support/redis_server.h"

namespace rusta::lua {
const redis::FunctionLibrary& TestLibrary();
}

namespace rusta::server {
namespace {

TEST(IdempotencyTest, RequestIdRules) {
  EXPECT_TRUE(ValidateRequestId("3f1c9a2e-7b1d-4c55-9e1a-2f0d7c9b8a11").ok());
  EXPECT_TRUE(ValidateRequestId("batch:2026-11:42").ok());
  EXPECT_EQ(ValidateRequestId("").message(), "request_id: required");
  EXPECT_EQ(ValidateRequestId(std::string(129, 'a')).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateRequestId("a b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateRequestId("a/b").code(), absl::StatusCode::kInvalidArgument);
}

TEST(IdempotencyTest, FingerprintIgnoresTheRequestIdButNothingElse) {
  rusta::v1::ListAuditEventsRequest a, b;
  a.set_page_size(10);
  b.set_page_size(10);
  EXPECT_EQ(RequestFingerprint(a), RequestFingerprint(b));
  b.set_page_size(11);
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(b));
  rusta::v1::CreateCaseRequest c, d;
  c.set_request_id("one");
  d.set_request_id("two");
  EXPECT_EQ(RequestFingerprint(c), RequestFingerprint(d));
}

TEST(IdempotencyTest, KeyDependsOnCallerMethodAndIdAndCarriesTheHashTag) {
  identity::Identity a{"spiffe://rusta.local/caseworker/a", identity::Role::kCaseworker, "a"};
  identity::Identity b{"spiffe://rusta.local/caseworker/b", identity::Role::kCaseworker, "b"};
  const std::string k = IdempotencyKey("case:42", a, "Decide", "r1");
  EXPECT_EQ(k.rfind("idem:{case:42}:", 0), 0u);
  EXPECT_NE(k, IdempotencyKey("case:42", b, "Decide", "r1"));
  EXPECT_NE(k, IdempotencyKey("case:42", a, "End", "r1"));
  EXPECT_NE(k, IdempotencyKey("case:42", a, "Decide", "r2"));
  EXPECT_EQ(k, IdempotencyKey("case:42", a, "Decide", "r1"));
}

TEST(IdempotencyTest, RepeatReturnsTheFirstResultAndChangesNothing) {
  testing::RedisServer server;
  redis::FunctionRegistry functions;
  functions.Add(lua::CommonLibrary());
  functions.Add(lua::TestLibrary());
  redis::RedisConnection c(server.options(), &functions);
  auto call = [&](const std::string& key, const std::string& fingerprint) {
    return c.Call("rusta_test_idem_incr", {key, "counter"}, {fingerprint, "60"});
  };
  EXPECT_EQ(call("idem:{t}:1", "f")->str, "1");
  EXPECT_EQ(call("idem:{t}:1", "f")->str, "1");  // repeat: first result, no increment
  EXPECT_EQ(call("idem:{t}:2", "f")->str, "2");  // another id: a new change
  auto conflict = call("idem:{t}:1", "other request");
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(conflict.status().message(), "request_id: already used for a different request");
  EXPECT_EQ(c.Command({"GET", "counter"})->str, "2");
  EXPECT_GT(c.Command({"TTL", "idem:{t}:1"})->integer, 0);
}

}  // namespace
}  // namespace rusta::server
