#include "common/log/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rusta::log {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(LogTest, OneLineWithServiceEventAndFields) {
  const std::string line = Format(Level::kInfo, "assessment", "rpc",
                                  {{"method", "/rusta.v1.AssessmentService/Assess"}, {"status", "OK"}});
  EXPECT_THAT(line, MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z INFO service=assessment "
                                 "event=rpc method=/rusta.v1.AssessmentService/Assess status=OK\n"));
}

TEST(LogTest, ValuesWithSpacesQuotesOrNewlinesAreQuotedAndStayOnOneLine) {
  const std::string line = Format(Level::kWarning, "s", "e", {{"message", "a \"b\"\nc"}, {"empty", ""}});
  EXPECT_THAT(line, HasSubstr("message=\"a \\\"b\\\"\\nc\""));
  EXPECT_THAT(line, HasSubstr("empty=\"\""));
  EXPECT_THAT(line, EndsWith("\n"));
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LogTest, ParsesLevels) {
  Level level = Level::kInfo;
  EXPECT_TRUE(ParseLevel("error", &level));
  EXPECT_EQ(level, Level::kError);
  EXPECT_FALSE(ParseLevel("loud", &level));
}

}  // namespace
}  // namespace rusta::log
