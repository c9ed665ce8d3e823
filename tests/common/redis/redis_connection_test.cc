// RedisConnection against a real redis-server (tests/support/redis_server.h).
#include "common/redis/redis_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/lua/common_library.h"
#include "tests/support/redis_server.h"

namespace rusta::redis {
namespace {

using ::testing::HasSubstr;

class RedisConnectionTest : public ::testing::Test {
 protected:
  RedisConnectionTest() { functions_.Add(lua::CommonLibrary()); }
  testing::RedisServer server_;
  FunctionRegistry functions_;
};

TEST_F(RedisConnectionTest, CommandsAreBinarySafe) {
  RedisConnection c(server_.options());
  const std::string key("k\0ey", 4);
  const std::string value("va\0\r\nlue\xff", 9);
  ASSERT_TRUE(c.Command({"SET", key, value}).ok());
  auto got = c.Command({"GET", key});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->str, value);
  EXPECT_EQ(got->str.size(), 9u);
}

TEST_F(RedisConnectionTest, PipelineIsOneRoundTripAndKeepsPerCommandErrors) {
  RedisConnection c(server_.options());
  const int64_t before = c.round_trips();
  auto replies = c.Pipeline({{"SET", "a", "1"}, {"INCR", "a"}, {"HGET", "a", "x"}, {"GET", "a"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ(c.round_trips() - before, 1);
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[1].integer, 2);
  EXPECT_EQ((*replies)[2].type, RedisValue::Type::kError);  // WRONGTYPE, the others still ran
  EXPECT_EQ((*replies)[3].str, "2");
}

TEST_F(RedisConnectionTest, ErrorRepliesBecomeInternalWithoutLeakingIntoOurCodes) {
  RedisConnection c(server_.options());
  ASSERT_TRUE(c.Command({"SET", "s", "x"}).ok());
  auto r = c.Command({"HGET", "s", "f"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
}

TEST_F(RedisConnectionTest, OurFunctionErrorsMapToTheirCodes) {
  EXPECT_EQ(RedisConnection::StatusFromErrorReply("ABORTED version is 4, not 3").code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(RedisConnection::StatusFromErrorReply("ABORTED version is 4, not 3").message(),
            "version is 4, not 3");
  EXPECT_EQ(RedisConnection::StatusFromErrorReply("FAILED_PRECONDITION case is ENDED").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RedisConnection::StatusFromErrorReply("NOT_FOUND x script: abc, on @user_function:3.").message(),
            "x");
  EXPECT_EQ(RedisConnection::StatusFromErrorReply("LOADING Redis is loading").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(RedisConnection::StatusFromErrorReply("ABORTEDx").code(), absl::StatusCode::kInternal);
}

TEST_F(RedisConnectionTest, FunctionsAreCalledByNameAndReloadedWhenMissing) {
  RedisConnection c(server_.options(), &functions_);
  // Nothing loaded yet: the first call loads the libraries and retries.
  auto id = c.Call("rusta_queue_enqueue", {"queue:{t}:stream"}, {"payload", "1"});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_THAT(id->str, HasSubstr("-"));
  // Redis loses its functions (e.g. restarted without persistence): still works.
  ASSERT_TRUE(c.Command({"FUNCTION", "FLUSH"}).ok());
  auto again = c.Call("rusta_queue_enqueue", {"queue:{t}:stream"}, {"payload", "2"});
  ASSERT_TRUE(again.ok()) << again.status();
  auto len = c.Command({"XLEN", "queue:{t}:stream"});
  EXPECT_EQ(len->integer, 2);
}

TEST_F(RedisConnectionTest, DeliberateErrorFromAFunctionKeepsItsCode) {
  RedisConnection c(server_.options(), &functions_);
  auto r = c.Call("rusta_queue_complete", {"queue:{t}:stream"}, {"workers", "1-1", "w"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "queue item is not claimed");
}

TEST_F(RedisConnectionTest, UnreachableRedisIsUnavailableAndRecovers) {
  RedisConnection c(server_.options());
  ASSERT_TRUE(c.Ping().ok());
  server_.Stop();
  absl::Status down = c.Ping();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(down.message()), ::testing::Not(HasSubstr("Connection")));
  // Calls during the backoff fail fast rather than waiting for timeouts.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(c.Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  server_.Start();
  absl::Status up;
  for (int i = 0; i < 100; ++i) {
    up = c.Ping();
    if (up.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(up.ok()) << up;
}

TEST_F(RedisConnectionTest, AConnectionIdleWhileRedisRestartedServesTheNextCall) {
  RedisConnection c(server_.options());
  ASSERT_TRUE(c.Command({"SET", "k", "1"}).ok());
  server_.Stop();
  server_.Start();
  // The old connection is dead; the call is sent again on a fresh one instead of failing.
  auto reply = c.Command({"SET", "k", "2"});
  EXPECT_TRUE(reply.ok()) << reply.status();
  auto got = c.Command({"GET", "k"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->str, "2");
}

TEST_F(RedisConnectionTest, ResetForgetsTheBackoff) {
  RedisOptions options = server_.options();
  options.reconnect_initial_backoff_ms = 60000;  // without Reset, nothing would connect for a minute
  RedisConnection c(options);
  ASSERT_TRUE(c.Ping().ok());
  server_.Stop();
  EXPECT_FALSE(c.Ping().ok());  // arms the backoff
  server_.Start();
  EXPECT_FALSE(c.Ping().ok());  // still in the backoff
  c.Reset();
  EXPECT_TRUE(c.Ping().ok());
}

TEST(RedisConnectionNoServerTest, NothingListeningIsUnavailableNotACrash) {
  RedisOptions o;
  o.address = "unix:/nonexistent/redis.sock";
  RedisConnection c(o);
  EXPECT_EQ(c.Command({"PING"}).status().code(), absl::StatusCode::kUnavailable);
  o.address = "127.0.0.1:1";
  RedisConnection tcp(o);
  EXPECT_EQ(tcp.Command({"PING"}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rusta::redis
