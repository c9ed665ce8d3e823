// The stream consumer against a real redis-server: group creation, acknowledgement only after the
// effect, take-over from a dead consumer, dead letters, and recovery when the group is gone.
#include "common/stream/stream_consumer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/redis_server.h"

namespace rusta::stream {
namespace {

using redis::RedisConnection;
using redis::RedisValue;

constexpr char kStream[] = "events:test";
constexpr char kGroup[] = "g";

class StreamConsumerTest : public ::testing::Test {
 protected:
  StreamConsumerTest() : conn_(server_.options()) {}

  static ConsumerOptions Options(const std::string& consumer) {
    ConsumerOptions o;
    o.stream = kStream;
    o.group = kGroup;
    o.consumer = consumer;
    o.batch_size = 10;
    o.min_idle_ms = 60000;
    o.max_failures = 3;
    return o;
  }

  std::string Add(const std::string& data) {
    auto id = conn_.Command({"XADD", kStream, "*", "type", "t", "data", data});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? id->str : "";
  }
  int64_t Pending() {
    auto reply = conn_.Command({"XPENDING", kStream, kGroup});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() && reply->is_array() ? (*reply)[0].integer : -1;
  }
  // The dead letters' fields, one map per entry.
  std::vector<std::map<std::string, std::string>> DeadLetters() {
    auto reply = conn_.Command({"XRANGE", absl::StrCat(kStream, ":dead:", kGroup), "-", "+"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    std::vector<std::map<std::string, std::string>> out;
    if (!reply.ok()) return out;
    for (const RedisValue& e : reply->elements) {
      std::map<std::string, std::string> fields;
      for (size_t i = 0; i + 1 < e[1].size(); i += 2) fields[e[1][i].str] = e[1][i + 1].str;
      out.push_back(fields);
    }
    return out;
  }

  testing::RedisServer server_;
  RedisConnection conn_;
};

// A handler that records what it saw and answers per data value (OK unless told otherwise).
struct Recorder {
  std::vector<std::string> seen;
  std::map<std::string, absl::Status> answers;
  StreamConsumer::Handler handler() {
    return [this](RedisConnection&, const StreamEntry& e) {
      seen.push_back(e.Field("data"));
      auto it = answers.find(e.Field("data"));
      return it == answers.end() ? absl::OkStatus() : it->second;
    };
  }
};

TEST_F(StreamConsumerTest, TheGroupIsCreatedOnceAndAnExistingGroupIsFine) {
  Recorder r;
  StreamConsumer a(Options("a"), r.handler());
  const int64_t before = conn_.round_trips();
  RedisConnection own(server_.options());
  auto n = a.RunOnce(own, 100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  const int64_t first = own.round_trips();
  // The next run reads only: pending, take-over, new (no XGROUP CREATE every run).
  ASSERT_TRUE(a.RunOnce(own, 100).ok());
  EXPECT_EQ(own.round_trips() - first, 3);
  EXPECT_EQ(first, 4);
  // A second consumer (another replica) finds the group there: no error, one group.
  StreamConsumer b(Options("b"), r.handler());
  Add("x");
  auto m = b.RunOnce(own, 100);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, 1);
  auto groups = conn_.Command({"XINFO", "GROUPS", kStream});
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->size(), 1u);
  EXPECT_EQ(conn_.round_trips(), before + 2);
}

TEST_F(StreamConsumerTest, NotAcknowledgedWhileTheHandlerFailsAndAcknowledgedOnceItSucceeds) {
  Recorder r;
  StreamConsumer c(Options("a"), r.handler());
  Add("one");
  Add("two");
  Add("three");
  r.answers["two"] = absl::InternalError("effect failed");
  auto n = c.RunOnce(conn_, 100);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInternal);
  // "one" acknowledged; "two" pending and the run stopped there ("three" delivered, not handled).
  EXPECT_EQ(r.seen, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(Pending(), 2);
  r.answers.clear();
  n = c.RunOnce(conn_, 100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"one", "two", "two", "three"}));
  EXPECT_EQ(Pending(), 0);
  EXPECT_TRUE(DeadLetters().empty());
  // The failure count is forgotten with the acknowledgement.
  auto failures = conn_.Command({"HLEN", c.failures_key()});
  ASSERT_TRUE(failures.ok());
  EXPECT_EQ(failures->integer, 0);
}

TEST_F(StreamConsumerTest, AnEntryThatFailsMaxFailuresTimesGoesToTheDeadLettersAndTheRestFollows) {
  Recorder r;
  StreamConsumer c(Options("a"), r.handler());
  const std::string bad = Add("bad");
  Add("good");
  r.answers["bad"] = absl::FailedPreconditionError("cannot apply");
  EXPECT_FALSE(c.RunOnce(conn_, 100).ok());  // failure 1
  EXPECT_FALSE(c.RunOnce(conn_, 100).ok());  // failure 2
  EXPECT_TRUE(DeadLetters().empty());
  auto n = c.RunOnce(conn_, 100);            // failure 3 = max: dead-lettered, then "good"
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"bad", "bad", "bad", "good"}));
  EXPECT_EQ(Pending(), 0);
  auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]["type"], "t");
  EXPECT_EQ(dead[0]["data"], "bad");
  EXPECT_EQ(dead[0]["source_id"], bad);
  EXPECT_EQ(dead[0]["failures"], "3");
  EXPECT_EQ(dead[0]["reason"], "FAILED_PRECONDITION cannot apply");
  EXPECT_FALSE(dead[0]["dead_ms"].empty());
  // Nothing is delivered again.
  ASSERT_EQ(*c.RunOnce(conn_, 100), 0);
  EXPECT_EQ(r.seen.size(), 4u);
}

TEST_F(StreamConsumerTest, AnUndecodableEntryIsDeadLetteredAtOnceAndUnavailableIsNeverCounted) {
  Recorder r;
  StreamConsumer c(Options("a"), r.handler());
  Add("garbage");
  Add("later");
  r.answers["garbage"] = absl::DataLossError("does not parse");
  auto n = c.RunOnce(conn_, 100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]["data"], "garbage");
  EXPECT_EQ(dead[0]["reason"], "DATA_LOSS does not parse");

  // A dependency that is down: the entry waits however often it is tried.
  Add("waits");
  r.answers["waits"] = absl::UnavailableError("registry down");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.RunOnce(conn_, 100).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(DeadLetters().size(), 1u);
  EXPECT_EQ(Pending(), 1);
  r.answers.clear();
  ASSERT_EQ(*c.RunOnce(conn_, 100), 1);
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamConsumerTest, EntriesLeftPendingByADeadConsumerAreTakenOverAfterTheMinimumIdleTime) {
  Recorder r;
  ConsumerOptions o = Options("alive");
  o.min_idle_ms = 300;
  StreamConsumer alive(o, r.handler());
  ASSERT_TRUE(alive.RunOnce(conn_, 100).ok());  // the group exists
  Add("e1");
  Add("e2");
  // A replica reads them and dies before acknowledging.
  auto taken = conn_.Command({"XREADGROUP", "GROUP", kGroup, "dead", "COUNT", "10", "STREAMS", kStream, ">"});
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(Pending(), 2);
  // Not yet idle long enough: left to their consumer.
  ASSERT_EQ(*alive.RunOnce(conn_, 100), 0);
  EXPECT_TRUE(r.seen.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto n = alive.RunOnce(conn_, 100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamConsumerTest, AStableNameFindsItsOwnPendingEntriesAfterARestart) {
  Recorder r;
  {
    StreamConsumer before(Options("replica-1"), r.handler());
    Add("e1");
    r.answers["e1"] = absl::InternalError("crashed");
    EXPECT_FALSE(before.RunOnce(conn_, 100).ok());
  }
  r.answers.clear();
  StreamConsumer after(Options("replica-1"), r.handler());  // the same replica, restarted
  ASSERT_EQ(*after.RunOnce(conn_, 100), 1);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"e1", "e1"}));
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamConsumerTest, AGroupOrStreamThatWentAwayIsCreatedAgain) {
  Recorder r;
  StreamConsumer c(Options("a"), r.handler());
  Add("e1");
  ASSERT_EQ(*c.RunOnce(conn_, 100), 1);
  // The whole stream deleted (as after a Redis restart without data), then a new event.
  ASSERT_TRUE(conn_.Command({"DEL", kStream}).ok());
  Add("e2");
  auto n = c.RunOnce(conn_, 100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  // Only the group destroyed: created again from the start (handlers are idempotent).
  ASSERT_TRUE(conn_.Command({"XGROUP", "DESTROY", kStream, kGroup}).ok());
  n = c.RunOnce(conn_, 100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"e1", "e2", "e2"}));
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamConsumerTest, TheLimitAndTheBatchSizeBoundARun) {
  Recorder r;
  ConsumerOptions o = Options("a");
  o.batch_size = 2;
  StreamConsumer c(o, r.handler());
  for (int i = 0; i < 5; ++i) Add(absl::StrCat("e", i));
  ASSERT_EQ(*c.RunOnce(conn_, 3), 3);
  ASSERT_EQ(*c.RunOnce(conn_, 100), 2);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"}));
  EXPECT_EQ(Pending(), 0);
}

}  // namespace
}  // namespace rusta::stream
