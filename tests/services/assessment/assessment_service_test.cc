// The assessment service over gRPC with mutual TLS and a real Redis: assess, explain, replay,
// override, support-group queue, link-once, complementary questions, follow-up report, access
// rules and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/lua/common_library.h"
#include "common/server/audit_handler.h"
#include "common/server/service_host.h"
#include "common/validation/municipality_codes.h"
#include "rusta/v1/assessment.grpc.pb.h"
#include "rusta/v1/audit_service.grpc.pb.h"
#include "services/assessment/assessment_handler.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_host.h"

namespace rusta::lua {
const redis::FunctionLibrary& AssessmentLibrary();
}

namespace rusta::assessment {
namespace {

using ::testing::HasSubstr;
using v1::AssessmentService;
namespace v1 = rusta::v1;

// A valid personnummer for a birth date and serial: the check digit computed here, independently
// of the code under test (Luhn over the 10-digit form, weights 2,1,2,1,...).
std::string PersonNumber(int year, int month, int day, int serial) {
  std::string ten = absl::StrFormat("%02d%02d%02d%03d", year % 100, month, day, serial);
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    int d = (ten[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  return absl::StrFormat("%04d%02d%02d%03d%d", year, month, day, serial, (10 - sum % 10) % 10);
}

v1::AssessmentFactors TypicalFactors() {
  v1::AssessmentFactors f;
  f.set_country_of_birth("SE");
  f.set_county_code("14");
  f.set_postal_code("41301");
  f.set_municipality_code("1480");
  f.set_education_level(v1::EDUCATION_LEVEL_UPPER_SECONDARY);
  f.set_education_orientation("52");
  f.add_occupation_groups_sought("5120");
  f.set_age(35);
  f.set_sex(v1::SEX_FEMALE);
  f.set_fund_membership(v1::FUND_MEMBERSHIP_MEMBER);
  f.mutable_registration_date()->set_year(2025);
  f.mutable_registration_date()->set_month(3);
  f.mutable_registration_date()->set_day(1);
  f.set_days_registered_previous_period(120);
  f.set_days_since_previous_period(400);
  f.set_previous_period_count(1);
  f.set_days_in_programmes_previous_periods(30);
  f.set_disability_status(v1::DISABILITY_STATUS_NONE);
  auto* a = f.mutable_area_statistics();
  a->set_unemployment_share(0.07);
  a->mutable_median_annual_income()->set_ore(32000000);
  a->set_post_secondary_education_share(0.35);
  a->set_foreign_citizen_share(0.12);
  a->set_single_household_share(0.4);
  a->set_statistics_version("scb-2024");
  return f;
}

class AssessmentServiceTest : public ::testing::Test {
 protected:
  AssessmentServiceTest() : clock_(absl::FromCivil(absl::CivilSecond(2025, 9, 15, 10, 0, 0), absl::UTCTimeZone())) {}

  void SetUp() override {
    pki_.AddClient("eo", "spiffe://rusta.local/employment-officer/eo-1");
    pki_.AddClient("sg1", "spiffe://rusta.local/support-group/sg-1");
    pki_.AddClient("sg2", "spiffe://rusta.local/support-group/sg-2");
    pki_.AddClient("auditor", "spiffe://rusta.local/auditor/au-1");
    auto m = validation::MunicipalityCodes::LoadCsv(RUSTA_SHARED_DATA_DIR "/municipalities.csv");
    auto p = validation::PostalCodeDirectory::LoadCsv(RUSTA_SHARED_DATA_DIR "/postal_to_municipality.csv");
    ASSERT_TRUE(m.ok() && p.ok());
    municipalities_ = std::make_unique<validation::MunicipalityCodes>(std::move(*m));
    postal_ = std::make_unique<validation::PostalCodeDirectory>(std::move(*p));
    auto models = ModelRegistry::LoadDirectory(RUSTA_SOURCE_DIR "/services/assessment/models");
    ASSERT_TRUE(models.ok()) << models.status();
    models_ = std::make_unique<ModelRegistry>(std::move(*models));
  }

  void Start(std::function<void(AssessmentConfig&)> adjust = nullptr) {
    config::ConfigParser parser({}, {});
    AssessmentConfig config = ReadAssessmentConfig(parser);
    config.model_dir = RUSTA_SOURCE_DIR "/services/assessment/models";
    config.support_review_visibility_ms = 400;
    config.minimum_group_size = 5;
    config.pseudonym_secret = "test-secret";
    if (adjust) adjust(config);
    redis::FunctionRegistry functions;
    functions.Add(lua::CommonLibrary());
    functions.Add(lua::AssessmentLibrary());
    host_ = std::make_unique<server::ServiceHost>(testing::TestServerConfig(pki_, redis_), functions);
    host_->SetClock(&clock_);
    handler_ = std::make_unique<AssessmentHandler>(*host_, config, *models_, municipalities_.get(), postal_.get());
    audit_ = std::make_unique<server::AuditHandler>(*host_);
    host_->AddService(handler_.get(), "rusta.v1.AssessmentService");
    host_->AddService(audit_.get(), "rusta.v1.AuditService");
    ASSERT_TRUE(host_->Start().ok());
  }

  std::unique_ptr<AssessmentService::Stub> As(const std::string& client) {
    return AssessmentService::NewStub(testing::Pki::Channel(host_->port(), pki_.ClientCredentials(client)));
  }

  grpc::Status Assess(const std::string& client, const std::string& request_id, const std::string& person,
                      const v1::AssessmentFactors& factors, v1::AssessResponse* resp) {
    grpc::ClientContext ctx;
    v1::AssessRequest req;
    req.set_request_id(request_id);
    req.set_person_id(person);
    *req.mutable_factors() = factors;
    return As(client)->Assess(&ctx, req, resp);
  }

  v1::Assessment MustAssess(const v1::AssessmentFactors& factors, const std::string& person = PersonNumber(1990, 1, 1, 238)) {
    v1::AssessResponse resp;
    grpc::Status s = Assess("caseworker", absl::StrCat("r-", ++counter_), person, factors, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.assessment();
  }

  // Factors the shipped model puts on the given side of eligibility (found by trying, so the test
  // does not depend on the illustrative coefficients).
  v1::Assessment AssessmentWithEligibility(bool eligible) {
    std::mt19937 rng(eligible ? 11 : 12);
    for (int i = 0; i < 200; ++i) {
      v1::AssessmentFactors f = TypicalFactors();
      f.set_age(18 + static_cast<int>(rng() % 48));
      f.set_education_level(static_cast<v1::EducationLevel>(1 + rng() % 6));
      f.set_days_registered_previous_period(static_cast<int>(rng() % 900));
      f.set_fund_membership(rng() % 2 ? v1::FUND_MEMBERSHIP_MEMBER : v1::FUND_MEMBERSHIP_NOT_MEMBER);
      f.set_disability_status(rng() % 4 == 0 ? v1::DISABILITY_STATUS_REGISTERED : v1::DISABILITY_STATUS_NONE);
      if (f.disability_status() == v1::DISABILITY_STATUS_REGISTERED) f.set_disability_code("31");
      f.mutable_area_statistics()->set_unemployment_share((rng() % 25) / 100.0);
      v1::Assessment a = MustAssess(f, PersonNumber(1980, 5, 5, 100 + i));
      if (a.result().eligible() == eligible) return a;
    }
    ADD_FAILURE() << "no assessment with eligible=" << eligible << " in 200 tries";
    return {};
  }

  int64_t AuditEvents() {
    redis::RedisConnection c(redis_.options());
    auto n = c.Command({"XLEN", host_->audit().events_key()});
    return n.ok() ? n->integer : -1;
  }

  testing::RedisServer redis_;
  testing::Pki pki_;
  server::ManualClock clock_;
  std::unique_ptr<validation::MunicipalityCodes> municipalities_;
  std::unique_ptr<validation::PostalCodeDirectory> postal_;
  std::unique_ptr<ModelRegistry> models_;
  std::unique_ptr<server::ServiceHost> host_;
  std::unique_ptr<AssessmentHandler> handler_;
  std::unique_ptr<server::AuditHandler> audit_;
  int counter_ = 0;
};

TEST_F(AssessmentServiceTest, AssessReturnsAnExplainedVersionedResultAndStoresIt) {
  Start();
  const std::string person = PersonNumber(1990, 1, 1, 238);
  v1::AssessResponse resp;
  grpc::Status s = Assess("caseworker", "req-1", person.substr(2), TypicalFactors(), &resp);  // 10 digits
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::Assessment& a = resp.assessment();
  EXPECT_THAT(a.assessment_id(), ::testing::StartsWith("as-"));
  EXPECT_EQ(a.person_id(), person);  // normalised to 12 digits
  EXPECT_EQ(a.version(), 1);
  EXPECT_EQ(a.assessed_by().id(), "spiffe://rusta.local/caseworker/cw-0001");
  const v1::AssessmentResult& r = a.result();
  EXPECT_EQ(r.model_version(), "2021.2");  // in force on 2025-09-15
  EXPECT_EQ(r.threshold_version(), "t2021-11");
  EXPECT_EQ(r.eligibility_rule(), v1::ELIGIBILITY_RULE_TOOL_OUTCOME);
  EXPECT_NE(r.outcome(), v1::ASSESSMENT_OUTCOME_UNSPECIFIED);
  EXPECT_EQ(r.level() != v1::LEVEL_UNSPECIFIED, r.outcome() == v1::ASSESSMENT_OUTCOME_IN_BETWEEN);
  EXPECT_EQ(r.eligible(), r.outcome() == v1::ASSESSMENT_OUTCOME_IN_BETWEEN);
  // Explained: contributions sum to the logit, largest first, probability is the logistic of it.
  ASSERT_GT(r.contributions_size(), 5);
  double sum = r.intercept();
  for (const auto& c : r.contributions()) sum += c.contribution();
  EXPECT_NEAR(sum, r.logit(), 1e-9);
  EXPECT_NEAR(r.probability(), 1.0 / (1.0 + std::exp(-r.logit())), 1e-12);
  for (int i = 1; i < r.contributions_size(); ++i) {
    EXPECT_GE(std::abs(r.contributions(i - 1).contribution()), std::abs(r.contributions(i).contribution()));
  }
  EXPECT_FALSE(r.contributions(0).explanation().empty());

  // Stored, readable, listed under the person.
  grpc::ClientContext ctx;
  v1::GetAssessmentRequest get;
  get.set_assessment_id(a.assessment_id());
  v1::GetAssessmentResponse got;
  ASSERT_TRUE(As("eo")->GetAssessment(&ctx, get, &got).ok());
  EXPECT_EQ(got.assessment().SerializeAsString(), a.SerializeAsString());
  clock_.Advance(absl::Minutes(5));
  MustAssess(TypicalFactors(), person);  // assessed again: a second run, the first unchanged
  grpc::ClientContext ctx2;
  v1::ListAssessmentsRequest list;
  list.set_person_id(person);
  v1::ListAssessmentsResponse listed;
  ASSERT_TRUE(As("caseworker")->ListAssessments(&ctx2, list, &listed).ok());
  ASSERT_EQ(listed.assessments_size(), 2);
  EXPECT_EQ(listed.assessments(1).assessment_id(), a.assessment_id());  // newest first
}

TEST_F(AssessmentServiceTest, RepeatedRequestIdReturnsTheFirstAssessmentAndStoresNothingNew) {
  Start();
  v1::AssessResponse first, second;
  ASSERT_TRUE(Assess("caseworker", "same", PersonNumber(1990, 1, 1, 238), TypicalFactors(), &first).ok());
  const int64_t events = AuditEvents();
  ASSERT_TRUE(Assess("caseworker", "same", PersonNumber(1990, 1, 1, 238), TypicalFactors(), &second).ok());
  EXPECT_EQ(second.assessment().assessment_id(), first.assessment().assessment_id());
  EXPECT_EQ(AuditEvents(), events);
  v1::AssessmentFactors other = TypicalFactors();
  other.set_age(50);
  grpc::Status s = Assess("caseworker", "same", PersonNumber(1990, 1, 1, 238), other, &second);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
}

TEST_F(AssessmentServiceTest, TheModelAndThresholdsInForceFollowTheDate) {
  Start();
  clock_.Set(absl::FromCivil(absl::CivilSecond(2020, 12, 7, 12, 0, 0), absl::UTCTimeZone()));
  v1::AssessmentFactors f = TypicalFactors();
  f.mutable_registration_date()->set_year(2020);
  EXPECT_EQ(MustAssess(f).result().threshold_version(), "t2020-06");
  clock_.Set(absl::FromCivil(absl::CivilSecond(2020, 12, 8, 12, 0, 0), absl::UTCTimeZone()));
  v1::Assessment a = MustAssess(f);
  EXPECT_EQ(a.result().model_version(), "2020.1");
  EXPECT_EQ(a.result().threshold_version(), "t2020-12");
  clock_.Set(absl::FromCivil(absl::CivilSecond(2021, 11, 17, 12, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(MustAssess(f).result().model_version(), "2021.2");
  // Before any model: refused, nothing stored.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2019, 1, 1, 12, 0, 0), absl::UTCTimeZone()));
  f.mutable_registration_date()->set_year(2018);
  v1::AssessResponse resp;
  EXPECT_EQ(Assess("caseworker", "old", PersonNumber(1990, 1, 1, 238), f, &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AssessmentServiceTest, ReplayUnderItsOwnVersionIsIdenticalAndAnotherVersionCompares) {
  Start();
  v1::Assessment a = MustAssess(TypicalFactors());
  grpc::ClientContext ctx;
  v1::ReplayAssessmentRequest req;
  req.set_assessment_id(a.assessment_id());
  req.set_own_version(true);
  v1::ReplayAssessmentResponse resp;
  ASSERT_TRUE(As("caseworker")->ReplayAssessment(&ctx, req, &resp).ok());
  EXPECT_TRUE(resp.identical());
  EXPECT_EQ(resp.replayed().SerializeAsString(), a.result().SerializeAsString());

  grpc::ClientContext ctx2;
  req.set_model_version("2020.1");
  v1::ReplayAssessmentResponse other;
  ASSERT_TRUE(As("caseworker")->ReplayAssessment(&ctx2, req, &other).ok());
  EXPECT_EQ(other.replayed().model_version(), "2020.1");
  EXPECT_EQ(other.original().model_version(), "2021.2");
  EXPECT_FALSE(other.identical());
  grpc::ClientContext ctx3;
  req.set_model_version("1999.9");
  EXPECT_EQ(As("caseworker")->ReplayAssessment(&ctx3, req, &other).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

struct BadInput {
  std::string name;
  std::function<void(v1::AssessRequest&)> spoil;
  std::string field;
};

TEST_F(AssessmentServiceTest, BadInputIsInvalidArgumentNamingTheFieldAndStoresNothing) {
  Start();
  const std::vector<BadInput> cases = {
      {"malformed personnummer", [](v1::AssessRequest& r) { r.set_person_id("19900101-2381"); }, "person_id"},
      {"letters in personnummer", [](v1::AssessRequest& r) { r.set_person_id("1990010A2380"); }, "person_id"},
      {"unknown municipality", [](v1::AssessRequest& r) { r.mutable_factors()->set_municipality_code("1479"); }, "factors.municipality_code"},
      {"unknown postal code", [](v1::AssessRequest& r) { r.mutable_factors()->set_postal_code("99999"); }, "factors.postal_code"},
      {"county not the municipality's", [](v1::AssessRequest& r) { r.mutable_factors()->set_county_code("01"); }, "factors.county_code"},
      {"age too low", [](v1::AssessRequest& r) { r.mutable_factors()->set_age(15); }, "factors.age"},
      {"age too high", [](v1::AssessRequest& r) { r.mutable_factors()->set_age(67); }, "factors.age"},
      {"five occupation groups", [](v1::AssessRequest& r) {
         for (int i = 0; i < 4; ++i) r.mutable_factors()->add_occupation_groups_sought("2512");
       }, "factors.occupation_groups_sought"},
      {"missing education level", [](v1::AssessRequest& r) { r.mutable_factors()->clear_education_level(); }, "factors.education_level"},
      {"missing age", [](v1::AssessRequest& r) { r.mutable_factors()->clear_age(); }, "factors.age"},
      {"missing area statistics", [](v1::AssessRequest& r) { r.mutable_factors()->clear_area_statistics(); }, "factors.area_statistics"},
      {"share above one", [](v1::AssessRequest& r) { r.mutable_factors()->mutable_area_statistics()->set_unemployment_share(1.5); }, "factors.area_statistics.unemployment_share"},
      {"registration in the future", [](v1::AssessRequest& r) { r.mutable_factors()->mutable_registration_date()->set_year(2026); }, "factors.registration_date"},
      {"impossible date", [](v1::AssessRequest& r) {
         r.mutable_factors()->mutable_registration_date()->set_month(2);
         r.mutable_factors()->mutable_registration_date()->set_day(30);
       }, "factors.registration_date"},
      {"missing factors", [](v1::AssessRequest& r) { r.clear_factors(); }, "factors"},
      {"missing request id", [](v1::AssessRequest& r) { r.clear_request_id(); }, "request_id"},
      {"disability code without status", [](v1::AssessRequest& r) { r.mutable_factors()->set_disability_code("31"); }, "factors.disability_code"},
  };
  const int64_t events = AuditEvents();
  int n = 0;
  for (const BadInput& c : cases) {
    v1::AssessRequest req;
    req.set_request_id(absl::StrCat("bad-", ++n));
    req.set_person_id(PersonNumber(1990, 1, 1, 238));
    *req.mutable_factors() = TypicalFactors();
    c.spoil(req);
    grpc::ClientContext ctx;
    v1::AssessResponse resp;
    grpc::Status s = As("caseworker")->Assess(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(s.error_message(), ::testing::StartsWith(c.field + ":")) << c.name;
  }
  EXPECT_EQ(AuditEvents(), events);
  grpc::ClientContext ctx;
  v1::ListAssessmentsRequest list;
  list.set_person_id(PersonNumber(1990, 1, 1, 238));
  v1::ListAssessmentsResponse listed;
  ASSERT_TRUE(As("caseworker")->ListAssessments(&ctx, list, &listed).ok());
  EXPECT_EQ(listed.assessments_size(), 0);
}

TEST_F(AssessmentServiceTest, OverrideNeedsAReasonAndJustificationAndTheRightRole) {
  Start();
  v1::Assessment a = AssessmentWithEligibility(false);
  auto override_req = [&](const std::string& id) {
    v1::RecordOverrideRequest r;
    r.set_request_id(id);
    r.set_assessment_id(a.assessment_id());
    r.set_outcome(v1::ASSESSMENT_OUTCOME_IN_BETWEEN);
    r.set_level(v1::LEVEL_C);
    r.set_reason_code("LOW_ACTIVITY_CAPACITY");
    r.set_justification("Uppgifterna visar behov av stöd som verktyget inte fångar.");
    return r;
  };
  struct Case { std::string name; std::function<void(v1::RecordOverrideRequest&)> spoil; std::string field; };
  const std::vector<Case> bad = {
      {"no reason", [](auto& r) { r.clear_reason_code(); }, "reason_code"},
      {"unknown reason", [](auto& r) { r.set_reason_code("BECAUSE"); }, "reason_code"},
      {"no justification", [](auto& r) { r.set_justification("   "); }, "justification"},
      {"no level for IN_BETWEEN", [](auto& r) { r.clear_level(); }, "level"},
      {"no outcome", [](auto& r) { r.clear_outcome(); }, "outcome"},
  };
  for (const Case& c : bad) {
    v1::RecordOverrideRequest r = override_req(absl::StrCat("o-", c.field));
    c.spoil(r);
    grpc::ClientContext ctx;
    v1::RecordOverrideResponse resp;
    grpc::Status s = As("caseworker")->RecordOverride(&ctx, r, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(s.error_message(), ::testing::StartsWith(c.field + ":")) << c.name;
  }
  for (const char* who : {"sg1", "provider", "municipality"}) {
    grpc::ClientContext ctx;
    v1::RecordOverrideResponse resp;
    EXPECT_EQ(As(who)->RecordOverride(&ctx, override_req("o-role"), &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  {  // stale version
    v1::RecordOverrideRequest r = override_req("o-stale");
    r.set_expected_version(7);
    grpc::ClientContext ctx;
    v1::RecordOverrideResponse resp;
    EXPECT_EQ(As("eo")->RecordOverride(&ctx, r, &resp).error_code(), grpc::StatusCode::ABORTED);
  }
  v1::RecordOverrideRequest ok = override_req("o-ok");
  ok.set_expected_version(1);
  grpc::ClientContext ctx;
  v1::RecordOverrideResponse resp;
  grpc::Status s = As("eo")->RecordOverride(&ctx, ok, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.assessment().version(), 2);
  EXPECT_EQ(resp.assessment().override().level(), v1::LEVEL_C);
  EXPECT_EQ(resp.assessment().override().recorded_by().role(), v1::ROLE_EMPLOYMENT_OFFICER);
  EXPECT_EQ(resp.assessment().result().SerializeAsString(), a.result().SerializeAsString());  // the tool's stays
  grpc::ClientContext again;
  v1::RecordOverrideResponse repeat;
  ASSERT_TRUE(As("eo")->RecordOverride(&again, ok, &repeat).ok());
  EXPECT_EQ(repeat.assessment().version(), 2);  // the repeat changed nothing
}

TEST_F(AssessmentServiceTest, ARepeatedRequestIdAnswersWithTheFirstResponseAfterLaterChanges) {
  Start();
  v1::Assessment a = AssessmentWithEligibility(true);
  v1::AnswerComplementaryQuestionsRequest answer;
  answer.set_request_id("answer-1");
  answer.set_assessment_id(a.assessment_id());
  answer.mutable_answers()->mutable_normal_month_work_income_last_year()->set_ore(100);
  v1::AnswerComplementaryQuestionsResponse first, again;
  grpc::ClientContext c1;
  ASSERT_TRUE(As("caseworker")->AnswerComplementaryQuestions(&c1, answer, &first).ok());
  v1::AnswerComplementaryQuestionsRequest later = answer;  // a later, different change
  later.set_request_id("answer-2");
  later.mutable_answers()->mutable_normal_month_work_income_last_year()->set_ore(200);
  grpc::ClientContext c2;
  ASSERT_TRUE(As("caseworker")->AnswerComplementaryQuestions(&c2, later, &again).ok());
  EXPECT_EQ(again.assessment().version(), 3);
  grpc::ClientContext c3;
  ASSERT_TRUE(As("caseworker")->AnswerComplementaryQuestions(&c3, answer, &again).ok());
  EXPECT_EQ(again.assessment().version(), 2);  // the first call's response, not the state now
  EXPECT_EQ(again.assessment().complementary_answers().normal_month_work_income_last_year().ore(), 100);
}

TEST_F(AssessmentServiceTest, NotEligibleGoesToTheSupportGroupQueueClaimCompleteAndReclaim) {
  Start();
  v1::Assessment eligible = AssessmentWithEligibility(true);
  v1::Assessment not_eligible = AssessmentWithEligibility(false);
  auto send = [&](const v1::Assessment& a, const std::string& id, v1::SendToSupportGroupResponse* resp) {
    grpc::ClientContext ctx;
    v1::SendToSupportGroupRequest r;
    r.set_request_id(id);
    r.set_assessment_id(a.assessment_id());
    r.set_note("Verktyget säger nära, men personen har varit inskriven länge.");
    return As("caseworker")->SendToSupportGroup(&ctx, r, resp);
  };
  v1::SendToSupportGroupResponse sent;
  EXPECT_EQ(send(eligible, "s1", &sent).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(send(not_eligible, "s2", &sent).ok());
  EXPECT_EQ(sent.assessment().support_review().status(), v1::SUPPORT_REVIEW_STATUS_PENDING);
  EXPECT_FALSE(sent.item().item_id().empty());
  EXPECT_EQ(send(not_eligible, "s3", &sent).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto claim = [&](const std::string& who, const std::string& id) {
    grpc::ClientContext ctx;
    v1::ClaimSupportReviewRequest r;
    r.set_request_id(id);
    v1::ClaimSupportReviewResponse resp;
    grpc::Status s = As(who)->ClaimSupportReview(&ctx, r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  v1::ClaimSupportReviewResponse first = claim("sg1", "c1");
  ASSERT_TRUE(first.has_item());
  EXPECT_EQ(first.assessment().assessment_id(), not_eligible.assessment_id());
  EXPECT_EQ(first.item().claimed_by(), "spiffe://rusta.local/support-group/sg-1");
  EXPECT_EQ(claim("sg1", "c1").item().item_id(), first.item().item_id());  // repeat: same item
  EXPECT_FALSE(claim("sg2", "c2").has_item());  // held by sg-1
  {
    grpc::ClientContext ctx;
    v1::ClaimSupportReviewResponse resp;
    EXPECT_EQ(As("caseworker")->ClaimSupportReview(&ctx, {}, &resp).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // sg-1 walks away; after the visibility timeout sg-2 gets it.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  v1::ClaimSupportReviewResponse second = claim("sg2", "c3");
  ASSERT_TRUE(second.has_item());
  EXPECT_EQ(second.item().item_id(), first.item().item_id());
  EXPECT_EQ(second.item().delivery_count(), 2);

  auto complete = [&](const std::string& who, const std::string& id, v1::CompleteSupportReviewResponse* resp) {
    grpc::ClientContext ctx;
    v1::CompleteSupportReviewRequest r;
    r.set_request_id(id);
    r.set_item_id(first.item().item_id());
    r.set_conclusion(v1::SUPPORT_REVIEW_CONCLUSION_RECOMMEND_REFERRAL);
    r.set_justification("Långvarig inskrivning och tidigare avbrott talar för Rusta och matcha.");
    return As(who)->CompleteSupportReview(&ctx, r, resp);
  };
  v1::CompleteSupportReviewResponse done;
  EXPECT_EQ(complete("sg1", "d1", &done).error_code(), grpc::StatusCode::FAILED_PRECONDITION);  // no longer its
  grpc::Status s = complete("sg2", "d2", &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(done.assessment().support_review().status(), v1::SUPPORT_REVIEW_STATUS_COMPLETED);
  EXPECT_EQ(done.assessment().support_review().reviewed_by().id(), "spiffe://rusta.local/support-group/sg-2");
  EXPECT_FALSE(claim("sg1", "c4").has_item());  // nothing left

  grpc::ClientContext ctx;
  v1::GetSupportReviewQueueStatsResponse stats;
  ASSERT_TRUE(As("sg1")->GetSupportReviewQueueStats(&ctx, {}, &stats).ok());
  EXPECT_EQ(stats.stats().depth(), 0);
  EXPECT_EQ(stats.stats().pending(), 0);
}

TEST_F(AssessmentServiceTest, ExactlyOneAssessmentIsLinkedToADecision) {
  Start();
  v1::Assessment a = AssessmentWithEligibility(true);
  v1::Assessment b = AssessmentWithEligibility(true);
  v1::Assessment not_eligible = AssessmentWithEligibility(false);
  auto link = [&](const std::string& who, const v1::Assessment& x, const std::string& case_id,
                  const std::string& id) {
    grpc::ClientContext ctx;
    v1::LinkDecisionRequest r;
    r.set_request_id(id);
    r.set_assessment_id(x.assessment_id());
    r.set_case_id(case_id);
    r.set_decision_id("d-" + case_id);
    v1::LinkDecisionResponse resp;
    return As(who)->LinkDecision(&ctx, r, &resp);
  };
  EXPECT_EQ(link("caseworker", a, "case-1", "l0").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(link("referral", a, "case-1", "l1").ok());
  EXPECT_TRUE(link("referral", a, "case-1", "l1").ok());  // the same request again: its first result
  grpc::Status second = link("referral", a, "case-2", "l2");
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(second.error_message(), HasSubstr("assessment.link_once"));
  grpc::Status other = link("referral", b, "case-1", "l3");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(other.error_message(), HasSubstr("assessment.link_once"));
  EXPECT_EQ(link("referral", not_eligible, "case-3", "l4").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AssessmentServiceTest, ComplementaryQuestionsOnlyAfterInBetween) {
  Start();
  v1::Assessment in_between = AssessmentWithEligibility(true);
  v1::Assessment other = AssessmentWithEligibility(false);
  auto answer = [&](const v1::Assessment& a, const std::string& id, v1::AnswerComplementaryQuestionsResponse* resp) {
    grpc::ClientContext ctx;
    v1::AnswerComplementaryQuestionsRequest r;
    r.set_request_id(id);
    r.set_assessment_id(a.assessment_id());
    r.mutable_answers()->mutable_normal_month_work_income_last_year()->set_ore(1850000);
    return As("caseworker")->AnswerComplementaryQuestions(&ctx, r, resp);
  };
  v1::AnswerComplementaryQuestionsResponse resp;
  ASSERT_TRUE(answer(in_between, "q1", &resp).ok());
  EXPECT_EQ(resp.assessment().complementary_answers().normal_month_work_income_last_year().ore(), 1850000);
  EXPECT_EQ(answer(other, "q2", &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AssessmentServiceTest, ProvidersAndMunicipalitiesGetNothing) {
  Start();
  v1::Assessment a = MustAssess(TypicalFactors());
  for (const char* who : {"provider", "municipality"}) {
    grpc::ClientContext c1, c2, c3;
    v1::GetAssessmentRequest get;
    get.set_assessment_id(a.assessment_id());
    v1::GetAssessmentResponse got;
    EXPECT_EQ(As(who)->GetAssessment(&c1, get, &got).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
    v1::ListModelsResponse models;
    EXPECT_EQ(As(who)->ListModels(&c2, {}, &models).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
    v1::AssessResponse assessed;
    EXPECT_EQ(As(who)->Assess(&c3, {}, &assessed).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
  }
}

TEST_F(AssessmentServiceTest, ListModelsShowsBothIllustrativeVersionsAndTheOneInForce) {
  Start();
  grpc::ClientContext ctx;
  v1::ListModelsResponse resp;
  ASSERT_TRUE(As("caseworker")->ListModels(&ctx, {}, &resp).ok());
  ASSERT_EQ(resp.models_size(), 2);
  EXPECT_EQ(resp.models(0).model_version(), "2021.2");
  EXPECT_TRUE(resp.models(0).in_force());
  EXPECT_FALSE(resp.models(1).in_force());
  for (const auto& m : resp.models()) EXPECT_TRUE(m.illustrative());
}

TEST_F(AssessmentServiceTest, TimeRegisteredRuleIsRecordedAndNeedsItsInput) {
  Start([](AssessmentConfig& c) {
    c.eligibility_rule.kind = EligibilityRule::Kind::kTimeRegistered;
    c.eligibility_rule.min_days_registered = 180;
  });
  v1::AssessResponse resp;
  grpc::Status s = Assess("caseworker", "t1", PersonNumber(1990, 1, 1, 238), TypicalFactors(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("factors.days_registered_current_period"));
  v1::AssessmentFactors f = TypicalFactors();
  f.set_days_registered_current_period(200);
  v1::Assessment a = MustAssess(f);
  EXPECT_EQ(a.result().eligibility_rule(), v1::ELIGIBILITY_RULE_TIME_REGISTERED);
  EXPECT_EQ(a.result().eligibility_rule_version(), "time-registered/1:min-days=180");
  EXPECT_TRUE(a.result().eligible());
  f.set_days_registered_current_period(179);
  EXPECT_FALSE(MustAssess(f).result().eligible());
}

// The follow-up report on a generated population, against figures this test computes itself
// from what it sent and what the service answered.
TEST_F(AssessmentServiceTest, FollowUpReportMatchesAnIndependentCount) {
  Start();
  std::mt19937 rng(2021);
  struct Expected { int64_t assessments = 0, followed = 0, correct = 0, overridden = 0; };
  std::map<std::string, Expected> by_sex;
  Expected total;
  for (int i = 0; i < 60; ++i) {
    v1::AssessmentFactors f = TypicalFactors();
    const bool female = i % 3 != 0;
    f.set_sex(female ? v1::SEX_FEMALE : v1::SEX_MALE);
    f.set_age(20 + static_cast<int>(rng() % 40));
    f.set_days_registered_previous_period(static_cast<int>(rng() % 700));
    f.set_fund_membership(rng() % 2 ? v1::FUND_MEMBERSHIP_MEMBER : v1::FUND_MEMBERSHIP_NOT_MEMBER);
    v1::Assessment a = MustAssess(f, PersonNumber(1970 + i % 30, 1 + i % 12, 1 + i % 28, 200 + i));
    Expected& g = by_sex[female ? "FEMALE" : "MALE"];
    ++g.assessments;
    ++total.assessments;
    if (i % 5 == 0) {  // an override on some
      grpc::ClientContext ctx;
      v1::RecordOverrideRequest r;
      r.set_request_id(absl::StrCat("ov-", i));
      r.set_assessment_id(a.assessment_id());
      r.set_outcome(a.result().outcome() == v1::ASSESSMENT_OUTCOME_FAR ? v1::ASSESSMENT_OUTCOME_CLOSE
                                                                         : v1::ASSESSMENT_OUTCOME_FAR);
      r.set_reason_code("OTHER_SUPPORT_NEEDS");
      r.set_justification("Enligt uppgifterna.");
      v1::RecordOverrideResponse resp;
      ASSERT_TRUE(As("caseworker")->RecordOverride(&ctx, r, &resp).ok());
      ++g.overridden;
      ++total.overridden;
    }
    if (i % 4 != 3) {  // a follow-up on three in four
      const bool job = rng() % 2 == 0;
      grpc::ClientContext ctx;
      v1::RecordFollowUpRequest r;
      r.set_request_id(absl::StrCat("fu-", i));
      r.set_assessment_id(a.assessment_id());
      r.set_status(job ? v1::LABOUR_MARKET_STATUS_EMPLOYED : v1::LABOUR_MARKET_STATUS_NOT_EMPLOYED);
      r.mutable_observed_on()->set_year(2025);
      r.mutable_observed_on()->set_month(9);
      r.mutable_observed_on()->set_day(15);
      v1::RecordFollowUpResponse resp;
      ASSERT_TRUE(As("caseworker")->RecordFollowUp(&ctx, r, &resp).ok());
      // Correct: recommended referral and no job, or not recommended and a job (domain.md 4).
      const bool correct = a.result().eligible() != job;
      ++g.followed;
      ++total.followed;
      g.correct += correct;
      total.correct += correct;
    }
  }
  grpc::ClientContext ctx;
  v1::GetFollowUpReportRequest req;
  req.mutable_period()->mutable_start()->set_year(2025);
  req.mutable_period()->mutable_start()->set_month(9);
  req.mutable_period()->mutable_start()->set_day(1);
  req.mutable_period()->mutable_end()->set_year(2025);
  req.mutable_period()->mutable_end()->set_month(9);
  req.mutable_period()->mutable_end()->set_day(30);
  req.add_group_by(v1::FOLLOW_UP_DIMENSION_SEX);
  v1::GetFollowUpReportResponse report;
  ASSERT_TRUE(As("caseworker")->GetFollowUpReport(&ctx, req, &report).ok());
  EXPECT_EQ(report.total().assessments(), total.assessments);
  EXPECT_EQ(report.total().followed_up(), total.followed);
  EXPECT_DOUBLE_EQ(report.total().correct_share(), static_cast<double>(total.correct) / total.followed);
  EXPECT_DOUBLE_EQ(report.total().override_rate(), static_cast<double>(total.overridden) / total.assessments);
  ASSERT_EQ(report.groups_size(), 2);
  for (const auto& g : report.groups()) {
    const Expected& e = by_sex[g.key().at("SEX")];
    EXPECT_FALSE(g.suppressed());
    EXPECT_EQ(g.assessments(), e.assessments);
    EXPECT_EQ(g.followed_up(), e.followed);
    EXPECT_DOUBLE_EQ(g.correct_share(), static_cast<double>(e.correct) / e.followed);
    EXPECT_DOUBLE_EQ(g.override_rate(), static_cast<double>(e.overridden) / e.assessments);
  }
  // A finer breakdown suppresses the small groups (minimum 5 here).
  grpc::ClientContext ctx2;
  req.add_group_by(v1::FOLLOW_UP_DIMENSION_DISABILITY);
  req.add_group_by(v1::FOLLOW_UP_DIMENSION_BORN_IN_SWEDEN);
  v1::GetFollowUpReportResponse fine;
  ASSERT_TRUE(As("caseworker")->GetFollowUpReport(&ctx2, req, &fine).ok());
  for (const auto& g : fine.groups()) {
    if (g.suppressed()) {
      EXPECT_EQ(g.assessments(), 0);
    }
  }
  // Nothing in another period.
  grpc::ClientContext ctx3;
  req.mutable_period()->mutable_start()->set_month(8);
  req.mutable_period()->mutable_end()->set_month(8);
  v1::GetFollowUpReportResponse empty;
  ASSERT_TRUE(As("caseworker")->GetFollowUpReport(&ctx3, req, &empty).ok());
  EXPECT_EQ(empty.total().assessments(), 0);
}

TEST_F(AssessmentServiceTest, EveryAssessmentChangeReplayAndReadIsAuditedAndTheChainHolds) {
  Start();
  const int64_t before = AuditEvents();
  v1::Assessment a = MustAssess(TypicalFactors());
  grpc::ClientContext c1;
  v1::GetAssessmentRequest get;
  get.set_assessment_id(a.assessment_id());
  v1::GetAssessmentResponse got;
  ASSERT_TRUE(As("caseworker")->GetAssessment(&c1, get, &got).ok());
  grpc::ClientContext c2;
  v1::ReplayAssessmentRequest replay;
  replay.set_assessment_id(a.assessment_id());
  replay.set_own_version(true);
  v1::ReplayAssessmentResponse replayed;
  ASSERT_TRUE(As("caseworker")->ReplayAssessment(&c2, replay, &replayed).ok());
  EXPECT_EQ(AuditEvents(), before + 3);

  auto audit = v1::AuditService::NewStub(testing::Pki::Channel(host_->port(), pki_.ClientCredentials("auditor")));
  grpc::ClientContext c3;
  v1::ListAuditEventsRequest list;
  list.mutable_subject()->set_kind(v1::SUBJECT_KIND_ASSESSMENT);
  list.mutable_subject()->set_id(a.assessment_id());
  v1::ListAuditEventsResponse events;
  ASSERT_TRUE(audit->ListAuditEvents(&c3, list, &events).ok());
  ASSERT_EQ(events.events_size(), 3);
  EXPECT_EQ(events.events(0).event().action(), "assessment.Assess");
  EXPECT_EQ(events.events(0).event().rule_version(), "2021.2/t2021-11/tool-outcome/1");
  EXPECT_EQ(events.events(2).event().action(), "assessment.ReplayAssessment");
  grpc::ClientContext c4;
  v1::VerifyAuditChainResponse verified;
  ASSERT_TRUE(audit->VerifyAuditChain(&c4, {}, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.description();
}

TEST_F(AssessmentServiceTest, RedisKeysCarryNoPersonnummer) {
  Start();
  const std::string person = PersonNumber(1990, 1, 1, 238);
  MustAssess(TypicalFactors(), person);
  redis::RedisConnection c(redis_.options());
  auto keys = c.Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok());
  for (const auto& k : keys->elements) {
    EXPECT_THAT(k.str, ::testing::Not(HasSubstr(person.substr(2))));
  }
}

}  // namespace
}  // namespace rusta::assessment

namespace rusta::assessment {
namespace {

TEST(AssessmentPolicyTest, EveryRpcOfTheServiceIsInThePolicyTable) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("rusta.v1.AssessmentService");
  ASSERT_NE(service, nullptr);
  const identity::Policy policy = AssessmentHandler::MakePolicy();
  ASSERT_GT(service->method_count(), 10);
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_TRUE(policy.Covers(service->method(i)->name())) << service->method(i)->name();
  }
}

TEST(AssessmentPolicyTest, ProvidersAndMunicipalitiesAreInNoRule) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("rusta.v1.AssessmentService");
  ASSERT_NE(service, nullptr);
  const identity::Policy policy = AssessmentHandler::MakePolicy();
  for (int i = 0; i < service->method_count(); ++i) {
    for (identity::Role role : {identity::Role::kProvider, identity::Role::kMunicipality}) {
      identity::Identity who{"spiffe://rusta.local/x/1", role, "1"};
      EXPECT_EQ(policy.Check(service->method(i)->name(), who).code(), absl::StatusCode::kPermissionDenied)
          << service->method(i)->name();
    }
  }
}

}  // namespace
}  // namespace rusta::assessment
