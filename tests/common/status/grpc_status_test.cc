#include "common/status/grpc_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rusta {
namespace {

TEST(GrpcStatusTest, EveryCodeKeepsItsNumberBothWays) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status in(static_cast<absl::StatusCode>(code), code == 0 ? "" : "why");
    grpc::Status out = ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(out.error_code()), code);
    EXPECT_EQ(static_cast<int>(FromGrpcStatus(out).code()), code);
  }
}

TEST(GrpcStatusTest, CallerFacingMessagesAreKept) {
  grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError("person.personnummer: check digit does not match"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "person.personnummer: check digit does not match");
}

TEST(GrpcStatusTest, InternalDetailNeverReachesTheCaller) {
  for (auto status : {absl::InternalError("redis error: WRONGTYPE Operation against a key"),
                      absl::UnknownError("std::bad_alloc"), absl::DataLossError("stream corrupt")}) {
    grpc::Status s = ToGrpcStatus(status);
    EXPECT_THAT(s.error_message(), ::testing::MatchesRegex("internal error \\(ref [0-9a-f]{12}\\)"));
    EXPECT_THAT(s.error_message(), ::testing::Not(::testing::HasSubstr(std::string(status.message()))));
  }
}

}  // namespace
}  // namespace rusta
