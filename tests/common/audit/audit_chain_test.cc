// The audit chains against a real redis-server: concurrent appends to one chain never fork it,
// many chains interleave in one stream, and every kind of tampering is found and named.
#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_log.h"
#include "common/audit/audit_verifier.h"
#include "common/lua/common_library.h"
#include "tests/support/redis_server.h"

namespace rusta::audit {
namespace {

using redis::RedisConnection;
using redis::RedisValue;

class AuditChainTest : public ::testing::Test {
 protected:
  AuditChainTest() { functions_.Add(lua::CommonLibrary()); }
  std::unique_ptr<RedisConnection> Connect() {
    return std::make_unique<RedisConnection>(server_.options(), &functions_);
  }
  static rusta::v1::AuditEvent Event(int n) {
    identity::Identity actor{"spiffe://rusta.local/caseworker/cw-1", identity::Role::kCaseworker, "cw-1"};
    rusta::v1::AuditEvent e = MakeAuditEvent(actor, "test", "Act", absl::FromUnixSeconds(1700000000 + n));
    AddSubject(e, rusta::v1::SUBJECT_KIND_CASE, absl::StrCat("case-", n));
    return e;
  }
  static constexpr char kChain[] = "case/c-1";
  void AppendEvents(int n, const std::string& chain = kChain) {
    auto c = Connect();
    for (int i = 1; i <= n; ++i) ASSERT_TRUE(log_.Append(*c, chain, Event(i)).ok());
  }
  // Rewrites the stream with the same entry ids, letting `edit` change the entries first: what
  // someone with write access to Redis could do.
  void Rewrite(const std::function<void(std::vector<RedisValue>&)>& edit) {
    auto c = Connect();
    auto all = c->Command({"XRANGE", log_.events_key(), "-", "+"});
    ASSERT_TRUE(all.ok());
    std::vector<RedisValue> entries = all->elements;
    edit(entries);
    ASSERT_TRUE(c->Command({"DEL", log_.events_key()}).ok());
    for (const RedisValue& e : entries) {
      std::vector<std::string> cmd = {"XADD", log_.events_key(), e[0].str};
      for (const RedisValue& f : e[1].elements) cmd.push_back(f.str);
      ASSERT_TRUE(c->Command(cmd).ok());
    }
  }
  static void SetField(RedisValue& entry, const std::string& name, const std::string& value) {
    auto& f = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < f.size(); i += 2) if (f[i].str == name) f[i + 1].str = value;
  }
  static std::string Field(const RedisValue& entry, const std::string& name) {
    const auto& f = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < f.size(); i += 2) if (f[i].str == name) return f[i + 1].str;
    return "";
  }
  VerificationReport Verify() {
    auto c = Connect();
    AuditVerifier verifier(log_, /*page_size=*/7);  // small pages exercise paging
    auto report = verifier.Verify(*c);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerificationReport{};
  }

  testing::RedisServer server_;
  redis::FunctionRegistry functions_;
  AuditLog log_{"test"};
};

TEST_F(AuditChainTest, LinkHashIsSha256OfTheDocumentedString) {
  // Computed here from the published SHA-256 of the pieces, not by the code under test.
  const std::string body = "abc";
  const std::string body_hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";  // FIPS 180-2
  EXPECT_EQ(Sha256Hex(body), body_hash);
  EXPECT_EQ(LinkHash(kGenesisHash, "case/c-1", 1, body),
            Sha256Hex(std::string(kGenesisHash) + ":case/c-1:1:" + body_hash));
}

TEST_F(AuditChainTest, ConcurrentAppendsFromManyThreadsKeepEveryChainUnbroken) {
  // Eight writers (think: replicas) hammer one shared chain and each also its own chain.
  constexpr int kThreads = 8, kEach = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      auto c = Connect();
      for (int i = 0; i < kEach; ++i) {
        auto shared = log_.Append(*c, "case/shared", Event(t * 1000 + i));
        ASSERT_TRUE(shared.ok()) << shared.status();
        auto own = log_.Append(*c, absl::StrCat("case/own-", t), Event(t * 1000 + i));
        ASSERT_TRUE(own.ok()) << own.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  VerificationReport report = Verify();
  EXPECT_TRUE(report.ok) << report.description;
  EXPECT_EQ(report.events_checked, 2 * kThreads * kEach);
  EXPECT_EQ(report.chains, kThreads + 1);
  auto c = Connect();
  EXPECT_EQ(c->Command({"HGET", log_.heads_key(), "case/shared"})->str.substr(0, 4), "800:");
}

TEST_F(AuditChainTest, EmptyChainVerifies) {
  VerificationReport report = Verify();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events_checked, 0);
}

TEST_F(AuditChainTest, InterleavedChainsVerifyAndTamperingNamesTheChain) {
  AppendEvents(5, "assessment/a");
  AppendEvents(5, "case/b");
  AppendEvents(5, "assessment/a");
  EXPECT_TRUE(Verify().ok);
  Rewrite([](std::vector<RedisValue>& entries) { SetField(entries[12], "body", "forged"); });
  VerificationReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.chain, "assessment/a");
  EXPECT_EQ(report.first_bad_seq, 8);
}

TEST_F(AuditChainTest, ModifiedEventIsNamed) {
  AppendEvents(20);
  Rewrite([](std::vector<RedisValue>& entries) {
    rusta::v1::AuditEvent e;
    e.ParseFromString(Field(entries[11], "body"));
    e.set_actor_id("spiffe://rusta.local/caseworker/someone-else");
    std::string body;
    e.SerializeToString(&body);
    SetField(entries[11], "body", body);
  });
  VerificationReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, ChainProblem::kModified);
  EXPECT_EQ(report.first_bad_seq, 12);
  EXPECT_EQ(report.events_checked, 11);
}

TEST_F(AuditChainTest, ModifiedEventWithARecomputedHashIsStillNamed) {
  AppendEvents(20);
  Rewrite([](std::vector<RedisValue>& entries) {
    // The forger recomputes event 5's own hash; event 6 still links to the old one.
    const std::string body = "forged";
    SetField(entries[4], "body", body);
    SetField(entries[4], "hash", LinkHash(Field(entries[4], "prev"), kChain, 5, body));
  });
  VerificationReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, ChainProblem::kModified);
  EXPECT_EQ(report.first_bad_seq, 5);
}

TEST_F(AuditChainTest, RemovedEventIsNamed) {
  AppendEvents(20);
  auto c = Connect();
  auto all = c->Command({"XRANGE", log_.events_key(), "-", "+"});
  ASSERT_TRUE(c->Command({"XDEL", log_.events_key(), all->elements[8][0].str}).ok());
  VerificationReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, ChainProblem::kRemoved);
  EXPECT_EQ(report.first_bad_seq, 9);
}

TEST_F(AuditChainTest, EventsRemovedFromTheEndAreNamed) {
  AppendEvents(20);
  auto c = Connect();
  auto all = c->Command({"XRANGE", log_.events_key(), "-", "+"});
  ASSERT_TRUE(c->Command({"XDEL", log_.events_key(), all->elements[18][0].str,
                          all->elements[19][0].str}).ok());
  VerificationReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, ChainProblem::kRemoved);
  EXPECT_EQ(report.first_bad_seq, 19);
}

TEST_F(AuditChainTest, AChainWhoseHeadWasDeletedIsNamed) {
  AppendEvents(3);
  auto c = Connect();
  ASSERT_TRUE(c->Command({"HDEL", log_.heads_key(), kChain}).ok());
  VerificationReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.chain, kChain);
}

TEST_F(AuditChainTest, AStaleHeadIsRefusedByRedisSoAChainCannotFork) {
  auto c = Connect();
  ASSERT_TRUE(log_.Append(*c, kChain, Event(1)).ok());
  // A writer that read the head before that append tries to append on the old head.
  PreparedEvent stale = AuditLog::Prepare(kChain, RedisValue{}, Event(2));
  auto r = c->Call("rusta_audit_append", {log_.events_key(), log_.heads_key()}, stale.args);
  EXPECT_TRUE(AuditLog::IsChainConflict(r.status())) << r.status();
  EXPECT_EQ(c->Command({"XLEN", log_.events_key()})->integer, 1);
}

TEST_F(AuditChainTest, SwappedEventsAreNamed) {
  AppendEvents(20);
  Rewrite([](std::vector<RedisValue>& entries) {
    std::swap(entries[13].elements[1], entries[14].elements[1]);  // same ids, contents swapped
  });
  VerificationReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, ChainProblem::kReordered);
  EXPECT_EQ(report.first_bad_seq, 14);
}

TEST_F(AuditChainTest, AppendWhileRedisIsDownIsUnavailable) {
  auto c = Connect();
  server_.Stop();
  EXPECT_EQ(log_.Append(*c, kChain, Event(1)).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rusta::audit
