// The reliable work queue against a real redis-server.
#include "common/queue/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/lua/common_library.h"
#include "tests/support/redis_server.h"

namespace rusta::queue {
namespace {

using redis::RedisConnection;

class WorkQueueTest : public ::testing::Test {
 protected:
  WorkQueueTest() { functions_.Add(lua::CommonLibrary()); }
  std::unique_ptr<RedisConnection> Connect() {
    return std::make_unique<RedisConnection>(server_.options(), &functions_);
  }
  static WorkQueue MakeQueue(int64_t visibility_ms = 60000, int64_t max_deliveries = 5) {
    QueueOptions o;
    o.name = "test";
    o.visibility_timeout_ms = visibility_ms;
    o.max_deliveries = max_deliveries;
    return WorkQueue(o);
  }
  testing::RedisServer server_;
  redis::FunctionRegistry functions_;
};

TEST_F(WorkQueueTest, ItemsAreClaimedInOrderAndCompletedOnce) {
  auto c = Connect();
  WorkQueue q = MakeQueue();
  ASSERT_TRUE(q.Enqueue(*c, "first", 1000).ok());
  ASSERT_TRUE(q.Enqueue(*c, std::string("sec\0nd", 6), 2000).ok());
  auto a = q.Claim(*c, "cw-1", 3000);
  ASSERT_TRUE(a.ok() && a->has_value()) << a.status();
  EXPECT_EQ((*a)->payload, "first");
  EXPECT_EQ((*a)->enqueued_ms, 1000);
  EXPECT_EQ((*a)->deliveries, 1);
  auto b = q.Claim(*c, "cw-2", 3000);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->payload, std::string("sec\0nd", 6));
  auto none = q.Claim(*c, "cw-3", 3000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Only the holder may complete; completing twice is refused.
  EXPECT_EQ(q.Complete(*c, (*a)->id, "cw-2").status().code(), absl::StatusCode::kFailedPrecondition);
  auto done = q.Complete(*c, (*a)->id, "cw-1");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->payload, "first");
  EXPECT_EQ(done->enqueued_ms, 1000);
  EXPECT_EQ(q.Complete(*c, (*a)->id, "cw-1").status().code(), absl::StatusCode::kNotFound);

  auto stats = q.Stats(*c);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->waiting, 0);
  EXPECT_EQ(stats->claimed, 1);
  EXPECT_EQ(stats->oldest_enqueued_ms, 2000);
}

TEST_F(WorkQueueTest, ClaimedItemOfADeadWorkerIsDeliveredAgainAfterTheVisibilityTimeout) {
  WorkQueue q = MakeQueue(/*visibility_ms=*/300);
  std::string id;
  {
    auto worker = Connect();
    ASSERT_TRUE(q.Enqueue(*worker, "case-42", 1).ok());
    auto item = q.Claim(*worker, "replica-a", 1);
    ASSERT_TRUE(item.ok() && item->has_value());
    id = (*item)->id;
    // The worker dies here: its connection goes away without completing.
  }
  auto other = Connect();
  auto early = q.Claim(*other, "replica-b", 2);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value()) << "delivered again before the visibility timeout";
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto again = q.Claim(*other, "replica-b", 3);
  ASSERT_TRUE(again.ok() && again->has_value()) << again.status();
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*again)->payload, "case-42");
  EXPECT_EQ((*again)->deliveries, 2);
  // The first worker no longer holds it.
  EXPECT_EQ(q.Complete(*other, id, "replica-a").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(q.Complete(*other, id, "replica-b").ok());
}

TEST_F(WorkQueueTest, ItemFailingTooOftenGoesToTheDeadLetterStream) {
  auto c = Connect();
  WorkQueue q = MakeQueue(60000, /*max_deliveries=*/3);
  ASSERT_TRUE(q.Enqueue(*c, "poison", 7).ok());
  ASSERT_TRUE(q.Enqueue(*c, "fine", 8).ok());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto item = q.Claim(*c, "w", 10);
    ASSERT_TRUE(item.ok() && item->has_value());
    ASSERT_EQ((*item)->payload, "poison") << "attempt " << attempt;
    EXPECT_EQ((*item)->deliveries, attempt);
    ASSERT_TRUE(q.Fail(*c, (*item)->id, "w").ok());
  }
  auto next = q.Claim(*c, "w", 10);
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->payload, "fine");
  auto dead = q.DeadLetters(*c, 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].payload, "poison");
  EXPECT_EQ((*dead)[0].deliveries, 3);
  EXPECT_EQ((*dead)[0].enqueued_ms, 7);
  EXPECT_EQ(q.Stats(*c)->dead, 1);
}

TEST_F(WorkQueueTest, ReleaseGivesTheItemBackAtOnceWithoutCountingIt) {
  auto c = Connect();
  WorkQueue q = MakeQueue(60000, /*max_deliveries=*/2);
  ASSERT_TRUE(q.Enqueue(*c, "x", 1).ok());
  for (int i = 0; i < 5; ++i) {
    auto item = q.Claim(*c, i % 2 ? "cw-a" : "cw-b", 2);
    ASSERT_TRUE(item.ok() && item->has_value()) << "round " << i;
    EXPECT_EQ((*item)->deliveries, 1);
    EXPECT_EQ(q.Release(*c, (*item)->id, i % 2 ? "cw-b" : "cw-a").code(),
              absl::StatusCode::kFailedPrecondition);  // not the holder
    ASSERT_TRUE(q.Release(*c, (*item)->id, i % 2 ? "cw-a" : "cw-b").ok());
  }
  EXPECT_EQ(q.Stats(*c)->dead, 0);
}

TEST_F(WorkQueueTest, DelayedItemsComeDueInOrderOfDueTimeAndOnlyWhenDue) {
  auto c = Connect();
  WorkQueue q = MakeQueue();
  ASSERT_TRUE(*q.Schedule(*c, "deadline:c3", "c3", 3000));
  ASSERT_TRUE(*q.Schedule(*c, "deadline:c1", "c1", 1000));
  ASSERT_TRUE(*q.Schedule(*c, "deadline:c2", "c2", 2000));
  EXPECT_FALSE(*q.Schedule(*c, "deadline:c2", "other", 500));  // same id: the first stays
  ASSERT_TRUE(*q.Schedule(*c, "deadline:c4", "c4", 4000));
  ASSERT_TRUE(*q.CancelScheduled(*c, "deadline:c4"));
  EXPECT_EQ(q.Stats(*c)->scheduled, 3);
  EXPECT_EQ(q.Stats(*c)->next_due_ms, 1000);

  auto none = q.Claim(*c, "svc", 999);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    auto item = q.Claim(*c, "svc", 10000);
    ASSERT_TRUE(item.ok());
    if (!item->has_value()) break;
    order.push_back((*item)->payload);
    EXPECT_EQ((*item)->delayed_id, "deadline:" + (*item)->payload);
    ASSERT_TRUE(q.Complete(*c, (*item)->id, "svc").ok());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"c1", "c2", "c3"}));
}

TEST_F(WorkQueueTest, ADueItemIsDeliveredExactlyOnceToConcurrentClaimers) {
  WorkQueue q = MakeQueue();
  {
    auto c = Connect();
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(*q.Schedule(*c, "d" + std::to_string(i), std::to_string(i), 100 + i));
    }
  }
  std::mutex mu;
  std::vector<std::string> got;
  std::vector<std::thread> replicas;
  for (int r = 0; r < 4; ++r) {
    replicas.emplace_back([&, r] {
      auto c = Connect();
      for (;;) {
        auto item = q.Claim(*c, "replica-" + std::to_string(r), 100000);
        ASSERT_TRUE(item.ok()) << item.status();
        if (!item->has_value()) return;
        ASSERT_TRUE(q.Complete(*c, (*item)->id, "replica-" + std::to_string(r)).ok());
        std::lock_guard<std::mutex> lock(mu);
        got.push_back((*item)->payload);
      }
    });
  }
  for (auto& t : replicas) t.join();
  std::set<std::string> unique(got.begin(), got.end());
  EXPECT_EQ(got.size(), 200u);
  EXPECT_EQ(unique.size(), 200u);
}

TEST_F(WorkQueueTest, ExtendKeepsAnItemFromBeingReclaimed) {
  auto c = Connect();
  WorkQueue q = MakeQueue(/*visibility_ms=*/300);
  ASSERT_TRUE(q.Enqueue(*c, "long job", 1).ok());
  auto item = q.Claim(*c, "a", 1);
  ASSERT_TRUE(item.ok() && item->has_value());
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ASSERT_TRUE(q.Extend(*c, (*item)->id, "a").ok());
  }
  auto other = q.Claim(*c, "b", 2);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST_F(WorkQueueTest, RedisDownIsUnavailable) {
  auto c = Connect();
  WorkQueue q = MakeQueue();
  server_.Stop();
  EXPECT_EQ(q.Enqueue(*c, "x", 1).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(q.Claim(*c, "w", 1).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rusta::queue
