#include "common/redis/redis_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/redis_server.h"

namespace rusta::redis {
namespace {

TEST(RedisExecutorTest, EachWorkerUsesItsOwnConnection) {
  testing::RedisServer server;
  RedisExecutor executor(server.options(), nullptr, 4);
  std::mutex mu;
  std::set<const RedisConnection*> seen;
  std::atomic<int> done{0};
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(executor.Submit([&](RedisConnection& c) {
      ASSERT_TRUE(c.Command({"INCR", "counter"}).ok());
      std::lock_guard<std::mutex> lock(mu);
      seen.insert(&c);
      ++done;
    }));
  }
  executor.Shutdown();  // drains
  EXPECT_EQ(done.load(), 400);
  EXPECT_LE(seen.size(), 4u);
  EXPECT_GE(seen.size(), 1u);
  RedisConnection check(server.options());
  EXPECT_EQ(check.Command({"GET", "counter"})->str, "400");
}

TEST(RedisExecutorTest, RefusesWorkBeyondItsQueueBound) {
  testing::RedisServer server;
  RedisExecutor executor(server.options(), nullptr, 1, /*max_queued=*/2);
  std::atomic<bool> started{false}, release{false};
  ASSERT_TRUE(executor.Submit([&](RedisConnection&) {
    started.store(true);
    while (!release.load()) std::this_thread::yield();
  }));
  while (!started.load()) std::this_thread::yield();  // the worker is busy, the queue empty
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += executor.Submit([](RedisConnection&) {}) ? 1 : 0;
  EXPECT_EQ(accepted, 2);
  release.store(true);
}

TEST(RedisExecutorTest, RunSyncReturnsTheTaskStatus) {
  testing::RedisServer server;
  RedisExecutor executor(server.options(), nullptr, 2);
  EXPECT_TRUE(executor.RunSync([](RedisConnection& c) { return c.Ping(); }).ok());
  server.Stop();
  EXPECT_EQ(executor.RunSync([](RedisConnection& c) { return c.Ping(); }).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rusta::redis
