// Protobuf's own log goes through the service's log: logfmt lines, rate-limited, the suppressed
// ones counted. The trigger is the one a caller has: a string field with invalid UTF-8.
#include "common/server/protobuf_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "rusta/v1/audit_service.pb.h"

namespace rusta::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

void ParseInvalidUtf8() {
  rusta::v1::ListAuditEventsRequest request;
  EXPECT_FALSE(request.ParseFromString(std::string("\x12\x02\xff\xfe", 4)));
}

std::vector<std::string> ProtobufLines(const std::string& output) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (line.find("event=protobuf") != absl::string_view::npos) lines.emplace_back(line);
  }
  return lines;
}

TEST(ProtobufLogTest, InvalidUtf8IsLoggedAsRateLimitedLogfmtLines) {
  InstallProtobufLogHandler();
  InstallProtobufLogHandler();  // idempotent

  ::testing::internal::CaptureStderr();
  for (int i = 0; i < kProtobufLogLinesPerSecond + 5; ++i) ParseInvalidUtf8();
  std::vector<std::string> burst = ProtobufLines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(burst.size(), static_cast<size_t>(kProtobufLogLinesPerSecond));
  for (const std::string& line : burst) {
    EXPECT_THAT(line, HasSubstr(" WARNING "));
    EXPECT_THAT(line, HasSubstr(" source=google/protobuf/"));
    EXPECT_THAT(line, HasSubstr(" message=\"String field 'rusta.v1.ListAuditEventsRequest.page_token' "
                                "contains invalid UTF-8"));
    EXPECT_THAT(line, ::testing::Not(HasSubstr("suppressed=")));
    EXPECT_THAT(line, ::testing::Not(HasSubstr("\n")));
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ::testing::internal::CaptureStderr();
  ParseInvalidUtf8();
  std::vector<std::string> next = ProtobufLines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(next.size(), 1u);
  EXPECT_THAT(next[0], HasSubstr(" suppressed=5"));
  EXPECT_THAT(next[0], ::testing::Not(StartsWith("[libprotobuf")));
}

}  // namespace
}  // namespace rusta::server
