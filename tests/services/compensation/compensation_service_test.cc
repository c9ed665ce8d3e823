// The compensation module as the referral process hosts it (the fixture in
// tests/services/referral/referral_fixture.h: real assessment, registry and referral hosts on one
// real Redis, compensation wired as in services/referral/main.cc): the ledger from case events,
// settlement (once per request_id, also when two calls race), reports and replay.
#include <future>

#include "tests/services/referral/referral_fixture.h"

namespace rusta::referral {
namespace {

// ---- Compensation (issue 6): the ledger from case events ----

class CompensationTest : public ReferralResultsTest {
 protected:
  using CStub = v1::CompensationService::Stub;
  CStub* Comp(const std::string& who) {
    auto& stub = comp_stubs_[who];
    if (!stub) stub = v1::CompensationService::NewStub(
                   testing::Pki::Channel(replicas_[0].host->port(), pki_->ClientCredentials(who)));
    return stub.get();
  }
  std::vector<v1::PaymentLine> Lines(const std::string& who, const std::string& case_id, const std::string& statement = "") {
    v1::ListPaymentLinesRequest req;
    req.set_case_id(case_id);
    req.set_statement_id(statement);
    v1::ListPaymentLinesResponse resp;
    grpc::Status s = Invoke(Comp(who), &CStub::ListPaymentLines, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.lines().begin(), resp.lines().end()};
  }
  // A case through its whole path: decided, chosen, started 2026-03-02, a March report with 2
  // interpreter hours, ended (WORK) 2026-04-30, work from 2026-05-15 reported and checked against
  // a register that shows `register_line` (after the person id) at the 4-month mark.
  v1::Case PathToVerification(const std::string& register_line) {
    v1::Case c = MustEnded();
    EXPECT_TRUE(Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 10)}).ok());
    register_ = Register({c.person_id() + register_line});
    Handler().SetResultRegister(register_.get());
    clock_.Set(Stockholm(2026, 5, 20, 10));
    EXPECT_TRUE(Try("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid())).ok());
    clock_.Set(Stockholm(2026, 9, 15, 8));
    EXPECT_TRUE(Handler().RunDueDeadlines().ok());
    return GetCase(c.case_id());
  }
  std::unique_ptr<ResultRegister> register_;
  std::map<std::string, std::unique_ptr<CStub>> comp_stubs_;
};

// The illustrative tariff of domain.md section 5, in öre, written out here: [level A, B, C].
const std::map<v1::PaymentComponent, std::array<int64_t, 3>> kTariff = {
    {v1::PAYMENT_COMPONENT_BASIC, {180000, 220000, 260000}},
    {v1::PAYMENT_COMPONENT_RESULT, {1200000, 1600000, 2000000}},
    {v1::PAYMENT_COMPONENT_SPEED_BONUS, {400000, 500000, 600000}},
    {v1::PAYMENT_COMPONENT_SUPPLEMENTARY, {300000, 400000, 500000}},
    {v1::PAYMENT_COMPONENT_INTERPRETER, {45000, 45000, 45000}}};

TEST_F(CompensationTest, AWholePathToAVerifiedResultPaysExactlyTheExpectedLinesOnce) {
  Start();
  StandardProviders();
  v1::Case c = PathToVerification(",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no");
  ASSERT_EQ(c.state(), v1::CASE_STATE_RESULT_VERIFIED);
  const int level = static_cast<int>(c.level()) - 1;
  ASSERT_GE(level, 0);
  ASSERT_TRUE(replicas_[0].compensation->RunEngine().ok());

  // Expected, independently: basic for March and April 2026 (full time, no parallel measure); 2
  // interpreter hours in March; the result (verified 2026-09-15); the speed bonus (work started on
  // day 75 of the service: 2026-03-02 is day 1, 2026-05-15 is day 75 <= 90); the supplementary
  // payment (unsubsidised work at 100 % >= 80 %).
  std::multiset<std::pair<int, int64_t>> expected = {
      {v1::PAYMENT_COMPONENT_BASIC, kTariff.at(v1::PAYMENT_COMPONENT_BASIC)[level]},
      {v1::PAYMENT_COMPONENT_BASIC, kTariff.at(v1::PAYMENT_COMPONENT_BASIC)[level]},
      {v1::PAYMENT_COMPONENT_INTERPRETER, 2 * kTariff.at(v1::PAYMENT_COMPONENT_INTERPRETER)[level]},
      {v1::PAYMENT_COMPONENT_RESULT, kTariff.at(v1::PAYMENT_COMPONENT_RESULT)[level]},
      {v1::PAYMENT_COMPONENT_SPEED_BONUS, kTariff.at(v1::PAYMENT_COMPONENT_SPEED_BONUS)[level]},
      {v1::PAYMENT_COMPONENT_SUPPLEMENTARY, kTariff.at(v1::PAYMENT_COMPONENT_SUPPLEMENTARY)[level]}};
  std::vector<v1::PaymentLine> lines = Lines("eo", c.case_id());
  std::multiset<std::pair<int, int64_t>> got;
  std::set<std::string> months;
  for (const auto& l : lines) {
    got.insert({l.component(), l.amount().ore()});
    EXPECT_EQ(l.organisation_number(), kProviderOrg);
    EXPECT_EQ(l.tariff_version(), "illustrative-2020");
    EXPECT_FALSE(l.source_event_ids().empty()) << l.idempotency_key();
    EXPECT_FALSE(l.part_time_or_parallel_cut());
    if (l.component() == v1::PAYMENT_COMPONENT_BASIC) months.insert(absl::StrCat(l.period().year(), "-", l.period().month()));
    if (l.component() == v1::PAYMENT_COMPONENT_RESULT) {
      // The verification's event is what the result payment rests on.
      EXPECT_EQ(l.event_id(), c.history(c.history_size() - 1).event_id());
    }
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(months, (std::set<std::string>{"2026-3", "2026-4"}));

  // The same events again: no new line. A replay of the year finds no difference.
  ASSERT_TRUE(replicas_[0].compensation->RunEngine().ok());
  EXPECT_EQ(Lines("eo", c.case_id()).size(), lines.size());
  v1::ReplayPaymentsRequest replay;
  *replay.mutable_period()->mutable_start() = D(2026, 1, 1);
  *replay.mutable_period()->mutable_end() = D(2026, 12, 31);
  v1::ReplayPaymentsResponse replayed;
  ASSERT_TRUE(Invoke(Comp("eo"), &CStub::ReplayPayments, replay, &replayed).ok());
  EXPECT_EQ(replayed.difference_count(), 0);
  EXPECT_EQ(replayed.lines_compared(), static_cast<int64_t>(lines.size()));

  // Settlement of September: one statement with every line, matching their sum; a second
  // settlement of the month finds nothing new.
  v1::SettleMonthRequest settle;
  settle.set_request_id(Rid());
  settle.mutable_month()->set_year(2026);
  settle.mutable_month()->set_month(9);
  v1::SettleMonthResponse settled;
  grpc::Status s = Invoke(Comp("admin"), &CStub::SettleMonth, settle, &settled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(settled.statements_size(), 1);
  const v1::Statement& st = settled.statements(0);
  int64_t sum = 0;
  for (const auto& [component, amount] : expected) sum += amount;
  EXPECT_EQ(st.total().ore(), sum);
  EXPECT_EQ(st.line_count(), static_cast<int64_t>(expected.size()));
  int64_t listed = 0;
  for (const auto& l : Lines("eo", c.case_id(), st.statement_id())) listed += l.amount().ore();
  EXPECT_EQ(listed, st.total().ore());
  // The settled result payment moves the case to PAID, with the history naming the lines.
  v1::Case paid = GetCase(c.case_id());
  EXPECT_EQ(paid.state(), v1::CASE_STATE_PAID);
  EXPECT_EQ(paid.history(paid.history_size() - 1).kind(), v1::CASE_TRANSITION_KIND_MARK_PAID);
  v1::SettleMonthRequest again = settle;
  again.set_request_id(Rid());
  v1::SettleMonthResponse none;
  ASSERT_TRUE(Invoke(Comp("admin"), &CStub::SettleMonth, again, &none).ok());
  EXPECT_EQ(none.statements_size(), 0);
  // Only the engine writes: a caseworker may not settle; the provider reads its own lines without
  // person ids, another provider none of them.
  EXPECT_EQ(Invoke(Comp("caseworker"), &CStub::SettleMonth, again, &none).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  for (const auto& l : Lines("provider", c.case_id())) EXPECT_TRUE(l.person_id().empty());
  EXPECT_EQ(Lines("provider", c.case_id()).size(), lines.size());
  EXPECT_TRUE(Lines("provider2", c.case_id()).empty());
  // The report: all of it paid to the one provider, basic vs result shares.
  v1::GetPaymentReportRequest report;
  *report.mutable_period()->mutable_start() = D(2026, 1, 1);
  *report.mutable_period()->mutable_end() = D(2026, 12, 31);
  v1::GetPaymentReportResponse rep;
  ASSERT_TRUE(Invoke(Comp("eo"), &CStub::GetPaymentReport, report, &rep).ok());
  ASSERT_EQ(rep.providers_size(), 1);
  const int64_t basic = 2 * kTariff.at(v1::PAYMENT_COMPONENT_BASIC)[level];
  EXPECT_NEAR(rep.providers(0).basic_share(), static_cast<double>(basic) / sum, 1e-9);
}

TEST_F(CompensationTest, TwoConcurrentSettlementsWithOneRequestIdSettleOnceAndAnswerAlike) {
  Start();
  StandardProviders();
  v1::Case c = PathToVerification(",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no");
  ASSERT_EQ(c.state(), v1::CASE_STATE_RESULT_VERIFIED);
  v1::SettleMonthRequest settle;
  settle.set_request_id("settle-2026-09");
  settle.mutable_month()->set_year(2026);
  settle.mutable_month()->set_month(9);
  // Two calls at once (as a retry racing the first attempt), each on its own channel.
  auto stub_a = v1::CompensationService::NewStub(
      testing::Pki::Channel(replicas_[0].host->port(), pki_->ClientCredentials("admin")));
  auto stub_b = v1::CompensationService::NewStub(
      testing::Pki::Channel(replicas_[0].host->port(), pki_->ClientCredentials("admin")));
  auto call = [&](CStub* stub) {
    v1::SettleMonthResponse resp;
    grpc::Status s = Invoke(stub, &CStub::SettleMonth, settle, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  auto a = std::async(std::launch::async, call, stub_a.get());
  auto b = std::async(std::launch::async, call, stub_b.get());
  const v1::SettleMonthResponse first = a.get(), second = b.get();
  ASSERT_EQ(first.statements_size(), 1);
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(first.lines_settled(), 6);
  // One settlement: one statement of the month, every line in it once.
  v1::ListStatementsRequest list;
  list.set_organisation_number(kProviderOrg);
  v1::ListStatementsResponse listed;
  ASSERT_TRUE(Invoke(Comp("admin"), &CStub::ListStatements, list, &listed).ok());
  ASSERT_EQ(listed.statements_size(), 1);
  EXPECT_EQ(listed.statements(0).statement_id(), first.statements(0).statement_id());
  EXPECT_EQ(static_cast<int64_t>(Lines("eo", c.case_id(), first.statements(0).statement_id()).size()),
            first.lines_settled());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_PAID);
  // A later repeat gets the same answer; the id for another request is refused.
  EXPECT_EQ(call(Comp("admin")).SerializeAsString(), first.SerializeAsString());
  v1::SettleMonthRequest other = settle;
  other.mutable_month()->set_month(8);
  v1::SettleMonthResponse refused;
  EXPECT_EQ(Invoke(Comp("admin"), &CStub::SettleMonth, other, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CompensationTest, AResultThatFailsVerificationPaysNothingForTheResult) {
  Start();
  StandardProviders();
  v1::Case c = PathToVerification(",5560743089,Volvo Personvagnar AB,2026-05-15,2026-07-31,100,no");
  ASSERT_EQ(c.state(), v1::CASE_STATE_ENDED);
  ASSERT_TRUE(replicas_[0].compensation->RunEngine().ok());
  for (const auto& l : Lines("eo", c.case_id())) {
    EXPECT_TRUE(l.component() == v1::PAYMENT_COMPONENT_BASIC || l.component() == v1::PAYMENT_COMPONENT_INTERPRETER)
        << l.idempotency_key();
  }
  EXPECT_EQ(Lines("eo", c.case_id()).size(), 3u);  // March, April, March's interpreter hours
}

TEST_F(CompensationTest, AnEventThatDoesNotDecodeGoesToTheEnginesDeadLettersAndTheRestIsPaid) {
  Start();
  StandardProviders();
  {
    redis::RedisConnection conn(redis_.options());
    ASSERT_TRUE(conn.Command({"XADD", "events:referral", "*", "type", "rusta.v1.CaseEvent", "data", "\xff\xff"}).ok());
  }
  v1::Case c = PathToVerification(",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no");
  auto handled = replicas_[0].compensation->RunEngine();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_GT(*handled, 1);
  EXPECT_EQ(Lines("eo", c.case_id()).size(), 6u);
  redis::RedisConnection conn(redis_.options());
  auto dead = conn.Command({"XRANGE", "events:referral:dead:compensation", "-", "+"});
  ASSERT_TRUE(dead.ok()) << dead.status();
  ASSERT_EQ(dead->size(), 1u);
  auto pending = conn.Command({"XPENDING", "events:referral", "compensation"});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ((*pending)[0].integer, 0);
  // The ratings group is not affected by the engine's dead letter (it has its own).
  EXPECT_TRUE(Handler().RunRatingFeed().ok());
}

}  // namespace
}  // namespace rusta::referral
