// The shared settings' defaults and validation, here for max-request-bytes.
#include "common/server/server_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rusta::server {
namespace {

using ::testing::HasSubstr;

ServerConfig Read(config::ConfigParser& parser) {
  return ReadServerConfig(parser, "assessment", 50051);
}

TEST(ServerConfigTest, MaxRequestBytesDefaultsToOneMebibyte) {
  config::ConfigParser p({"--insecure-dev-mode"}, {});
  EXPECT_EQ(Read(p).max_request_bytes, 1 << 20);
  EXPECT_TRUE(p.Finish().ok());
}

TEST(ServerConfigTest, MaxRequestBytesIsReadAndValidated) {
  config::ConfigParser ok({"--insecure-dev-mode", "--max-request-bytes=262144"}, {});
  EXPECT_EQ(Read(ok).max_request_bytes, 262144);
  EXPECT_TRUE(ok.Finish().ok());

  for (const char* bad : {"--max-request-bytes=1000", "--max-request-bytes=1000000000",
                          "--max-request-bytes=lots"}) {
    config::ConfigParser p({"--insecure-dev-mode", bad}, {});
    Read(p);
    absl::Status s = p.Finish();
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("max-request-bytes")) << bad;
  }
}

}  // namespace
}  // namespace rusta::server
