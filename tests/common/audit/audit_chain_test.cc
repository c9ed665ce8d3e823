// The audit chain against a real redis-server: the Lua hash equals OpenSSL's, concurrent appends
// keep one unbroken chain, and every kind of tampering is found and named.
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
  void AppendEvents(int n) {
    auto c = Connect();
    for (int i = 1; i <= n; ++i) ASSERT_TRUE(log_.Append(*c, Event(i)).ok());
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

TEST_F(AuditChainTest, LuaSha256EqualsOpenSsl) {
  auto c = Connect();
  std::mt19937 rng(7);
  std::vector<size_t> lengths = {0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4096};
  for (size_t length : lengths) {
    std::string data(length, '\0');
    for (char& ch : data) ch = static_cast<char>(rng() & 0xff);
    auto lua = c->Call("rusta_sha256_hex", {}, {data});
    ASSERT_TRUE(lua.ok()) << lua.status();
    EXPECT_EQ(lua->str, Sha256Hex(data)) << "length " << length;
  }
  // And a published test vector (FIPS 180-2, "abc").
  EXPECT_EQ(c->Call("rusta_sha256_hex", {}, {"abc"})->str,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(AuditChainTest, ConcurrentAppendsFromManyThreadsKeepOneChain) {
  constexpr int kThreads = 8, kEach = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      auto c = Connect();
      for (int i = 0; i < kEach; ++i) {
        auto r = log_.Append(*c, Event(t * 1000 + i));
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  VerificationReport report = Verify();
  EXPECT_TRUE(report.ok) << report.description;
  EXPECT_EQ(report.events_checked, kThreads * kEach);
  auto c = Connect();
  EXPECT_EQ(c->Command({"XLEN", log_.events_key()})->integer, kThreads * kEach);
}

TEST_F(AuditChainTest, EmptyChainVerifies) {
  VerificationReport report = Verify();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events_checked, 0);
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
    SetField(entries[4], "hash",
             Sha256Hex(absl::StrCat(Field(entries[4], "prev"), ":5:", Sha256Hex(body))));
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
  EXPECT_EQ(log_.Append(*c, Event(1)).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rusta::audit
