#include "common/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rusta::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConfigParserTest, FlagBeatsEnvironmentBeatsDefault) {
  ConfigParser p({"--workers=3"}, {{"RUSTA_WORKERS", "5"}, {"RUSTA_REDIS_ADDRESS", "r:1"}});
  EXPECT_EQ(p.Int("workers", 8, 1, 64, ""), 3);
  EXPECT_EQ(p.String("redis-address", "127.0.0.1:6379", ""), "r:1");
  EXPECT_EQ(p.String("listen", "0.0.0.0:1", ""), "0.0.0.0:1");
  ASSERT_TRUE(p.Finish().ok());
  const std::string described = p.Describe();
  EXPECT_THAT(described, HasSubstr("workers=3 (flag)"));
  EXPECT_THAT(described, HasSubstr("redis-address=r:1 (env RUSTA_REDIS_ADDRESS)"));
  EXPECT_THAT(described, HasSubstr("listen=0.0.0.0:1 (default)"));
}

TEST(ConfigParserTest, EnvironmentNameIsDerivedFromTheSettingName) {
  EXPECT_EQ(ConfigParser::EnvName("redis-timeout-ms"), "RUSTA_REDIS_TIMEOUT_MS");
}

TEST(ConfigParserTest, UnknownFlagIsAnError) {
  ConfigParser p({"--wokrers=3"}, {});
  p.Int("workers", 8, 1, 64, "");
  absl::Status s = p.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown flag --wokrers"));
}

TEST(ConfigParserTest, OutOfRangeAndMalformedValuesAreAllReported) {
  ConfigParser p({"--workers=0", "--insecure-dev-mode=maybe"}, {{"RUSTA_PORT", "x"}});
  p.Int("workers", 8, 1, 64, "");
  p.Bool("insecure-dev-mode", false, "");
  p.Int("port", 1, 1, 65535, "");
  absl::Status s = p.Finish();
  ASSERT_FALSE(s.ok());
  const std::string m(s.message());
  EXPECT_THAT(m, HasSubstr("workers (RUSTA_WORKERS): must be between 1 and 64"));
  EXPECT_THAT(m, HasSubstr("insecure-dev-mode (RUSTA_INSECURE_DEV_MODE): must be true or false"));
  EXPECT_THAT(m, HasSubstr("port (RUSTA_PORT): must be a whole number"));
}

TEST(ConfigParserTest, SecretsAreMaskedInTheDescription) {
  ConfigParser p({"--redis-password=hunter2"}, {});
  EXPECT_EQ(p.String("redis-password", "", "", Sensitivity::kSecret), "hunter2");
  ASSERT_TRUE(p.Finish().ok());
  EXPECT_THAT(p.Describe(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(p.Describe(), HasSubstr("redis-password=***"));
}

TEST(ConfigParserTest, BareBooleanFlagMeansTrueAndHelpIsRecognised) {
  ConfigParser p({"--insecure-dev-mode", "--help"}, {});
  EXPECT_TRUE(p.Bool("insecure-dev-mode", false, "development only"));
  EXPECT_TRUE(p.Finish().ok());
  EXPECT_TRUE(p.help_requested());
  EXPECT_THAT(p.Usage("prog"), HasSubstr("--insecure-dev-mode (RUSTA_INSECURE_DEV_MODE): development only"));
}

TEST(ConfigParserTest, PositionalArgumentsAreRejected) {
  ConfigParser p({"serve"}, {});
  EXPECT_FALSE(p.Finish().ok());
}

}  // namespace
}  // namespace rusta::config
