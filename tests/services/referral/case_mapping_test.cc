// Unit tests of the mapping between the stored protos and the referral domain
// (services/referral/case_mapping.h). The protos are built by hand; every expected value is written
// out here (dates, times as Unix seconds, enum pairs), never computed with the code under test.
#include "services/referral/case_mapping.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/message_differencer.h>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rusta::referral {
namespace {

namespace v1 = ::rusta::v1;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Builders.
// ---------------------------------------------------------------------------------------------

v1::Date Date(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

google::protobuf::Timestamp Ts(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

v1::Actor Actor(const std::string& id, v1::Role role) {
  v1::Actor a;
  a.set_id(id);
  a.set_role(role);
  return a;
}

void AddHistory(v1::Case& c, v1::CaseTransitionKind kind, v1::CaseState from, v1::CaseState to,
                v1::Role role, int64_t seconds) {
  v1::CaseTransition* t = c.add_history();
  t->set_sequence(c.history_size());
  t->set_kind(kind);
  t->set_from_state(from);
  t->set_to_state(to);
  *t->mutable_actor() = Actor("spiffe://rusta.local/x/y", role);
  *t->mutable_time() = Ts(seconds);
  t->set_case_version(c.history_size());
}

constexpr char kOldProvider[] = "5560360793";
constexpr char kProvider[] = "5567037485";

// 2025-07-20T22:30:00Z: 2025-07-21 00:30 in Stockholm (CEST, UTC+2).
constexpr int64_t kProlongSeconds = 1753050600;
// 2025-01-10T09:15:00Z.
constexpr int64_t kDecideSeconds = 1736500500;

// An ACTIVE, prolonged, paused case after one provider change, with everything filled in.
v1::Case ActiveCase() {
  v1::Case c;
  c.set_case_id("rm-0001");
  c.set_person_id("199001012380");
  c.set_version(14);
  c.set_state(v1::CASE_STATE_ACTIVE);
  c.set_home_municipality_code("1480");
  c.set_home_postal_code("41104");
  c.set_assessment_id("as-9");

  v1::Decision* d = c.mutable_decision();
  d->set_decision_id("dec-1");
  d->set_basis(v1::DECISION_BASIS_ASSESSMENT);
  d->set_assessment_id("as-9");
  d->set_level(v1::LEVEL_B);
  *d->mutable_decided_by() = Actor("spiffe://rusta.local/caseworker/cw-1", v1::ROLE_CASEWORKER);
  *d->mutable_decided_on() = Date(2025, 1, 10);
  *d->mutable_decided_at() = Ts(kDecideSeconds);
  d->set_rule_version("referral-rules/1");
  *d->mutable_choice_deadline() = Date(2025, 1, 24);

  c.set_level(v1::LEVEL_B);
  v1::Extent* e = c.mutable_extent();
  e->set_kind(v1::EXTENT_KIND_PART_TIME);
  e->set_percentage(50);
  e->set_part_time_reason(v1::PART_TIME_REASON_REDUCED_CAPACITY);
  e->set_available_hours_per_week(30);
  *d->mutable_extent() = *e;

  v1::ProviderAssignment* first = c.add_provider_history();
  first->set_organisation_number(kOldProvider);
  first->set_provider_name("Första AB");
  first->set_choice_kind(v1::CHOICE_KIND_ACTIVE);
  *first->mutable_assigned_on() = Date(2025, 1, 20);
  *first->mutable_ended_on() = Date(2025, 3, 31);
  v1::ProviderAssignment* second = c.add_provider_history();
  second->set_organisation_number(kProvider);
  second->set_provider_name("Andra AB");
  second->set_choice_kind(v1::CHOICE_KIND_CHANGE);
  *second->mutable_assigned_on() = Date(2025, 4, 1);
  second->set_change_reason(v1::PROVIDER_CHANGE_REASON_MOVED);
  second->set_change_reason_text("flyttade till Borås");
  *c.mutable_current_provider() = *second;
  c.set_provider_change_count(1);
  c.set_choice_kind(v1::CHOICE_KIND_ACTIVE);

  v1::ServicePeriod* p1 = c.add_service_periods();
  p1->set_number(1);
  *p1->mutable_dates()->mutable_start() = Date(2025, 2, 3);
  *p1->mutable_dates()->mutable_end() = Date(2025, 8, 2);
  v1::ServicePeriod* p2 = c.add_service_periods();
  p2->set_number(2);
  *p2->mutable_dates()->mutable_start() = Date(2025, 8, 3);
  *p2->mutable_dates()->mutable_end() = Date(2026, 2, 2);
  *p2->mutable_decided_by() = Actor("spiffe://rusta.local/caseworker/cw-1", v1::ROLE_CASEWORKER);
  p2->set_justification("behöver mer tid");
  *c.mutable_started_on() = Date(2025, 2, 3);
  *c.mutable_maximum_end_date() = Date(2026, 2, 9);

  v1::CasePause* closed = c.add_pauses();
  closed->set_pause_id("pa-1");
  closed->set_reason(v1::PAUSE_REASON_SICK);
  *closed->mutable_dates()->mutable_start() = Date(2025, 3, 3);
  *closed->mutable_dates()->mutable_end() = Date(2025, 3, 9);
  closed->set_stops_clock(true);
  v1::CasePause* open = c.add_pauses();
  open->set_pause_id("pa-2");
  open->set_reason(v1::PAUSE_REASON_OTHER);
  *open->mutable_dates()->mutable_start() = Date(2025, 9, 1);
  open->set_stops_clock(false);
  c.set_paused(true);

  v1::ParallelMeasure* m = c.add_parallel_measures();
  m->set_measure_id("pm-1");
  m->set_kind(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT);
  m->set_actor_name("Verkstaden");
  *m->mutable_dates()->mutable_start() = Date(2025, 5, 5);
  *m->mutable_dates()->mutable_end() = Date(2025, 6, 30);
  m->set_percentage(25);

  v1::CaseFlag* flag = c.add_flags();
  flag->set_kind(v1::CASE_FLAG_KIND_MAXIMUM_TIME_NEAR);
  *flag->mutable_raised_at() = Ts(1760000000);
  flag->set_note("maxtid nära");

  AddHistory(c, v1::CASE_TRANSITION_KIND_CREATE, v1::CASE_STATE_UNSPECIFIED,
             v1::CASE_STATE_REGISTERED, v1::ROLE_SERVICE, 1736300000);
  AddHistory(c, v1::CASE_TRANSITION_KIND_ATTACH_ASSESSMENT, v1::CASE_STATE_REGISTERED,
             v1::CASE_STATE_ASSESSED, v1::ROLE_CASEWORKER, 1736300001);
  AddHistory(c, v1::CASE_TRANSITION_KIND_DECIDE, v1::CASE_STATE_ASSESSED, v1::CASE_STATE_DECIDED,
             v1::ROLE_CASEWORKER, kDecideSeconds);
  AddHistory(c, v1::CASE_TRANSITION_KIND_OPEN_CHOICE, v1::CASE_STATE_DECIDED,
             v1::CASE_STATE_AWAITING_CHOICE, v1::ROLE_CASEWORKER, kDecideSeconds);
  AddHistory(c, v1::CASE_TRANSITION_KIND_CHOOSE_PROVIDER, v1::CASE_STATE_AWAITING_CHOICE,
             v1::CASE_STATE_ASSIGNED, v1::ROLE_SERVICE, 1737370000);
  AddHistory(c, v1::CASE_TRANSITION_KIND_START, v1::CASE_STATE_ASSIGNED, v1::CASE_STATE_ACTIVE,
             v1::ROLE_CASEWORKER, 1738570000);
  AddHistory(c, v1::CASE_TRANSITION_KIND_CHANGE_PROVIDER, v1::CASE_STATE_ACTIVE,
             v1::CASE_STATE_ACTIVE, v1::ROLE_SERVICE, 1743500000);
  AddHistory(c, v1::CASE_TRANSITION_KIND_FLAG, v1::CASE_STATE_ACTIVE, v1::CASE_STATE_ACTIVE,
             v1::ROLE_SERVICE, 1743500001);
  AddHistory(c, v1::CASE_TRANSITION_KIND_REGISTER_PARALLEL_MEASURE, v1::CASE_STATE_ACTIVE,
             v1::CASE_STATE_ACTIVE, v1::ROLE_EMPLOYMENT_OFFICER, 1746400000);
  AddHistory(c, v1::CASE_TRANSITION_KIND_PROLONG, v1::CASE_STATE_ACTIVE, v1::CASE_STATE_ACTIVE,
             v1::ROLE_CASEWORKER, kProlongSeconds);
  AddHistory(c, v1::CASE_TRANSITION_KIND_PAUSE, v1::CASE_STATE_ACTIVE, v1::CASE_STATE_ACTIVE,
             v1::ROLE_SERVICE, 1756700000);

  v1::CaseResult* r = c.mutable_result();
  r->set_result_id("res-1");
  r->mutable_organisation()->set_name("Arbetsgivaren AB");
  *c.mutable_created_at() = Ts(1736300000);
  *c.mutable_updated_at() = Ts(1756700000);
  return c;
}

// ---------------------------------------------------------------------------------------------
// ToDomainCase.
// ---------------------------------------------------------------------------------------------

TEST(CaseMappingToDomainCaseTest, ActiveCaseFieldByField) {
  absl::StatusOr<Case> got = ToDomainCase(ActiveCase());
  ASSERT_TRUE(got.ok()) << got.status();
  const Case& c = *got;

  EXPECT_EQ(c.case_id, "rm-0001");
  EXPECT_EQ(c.person_id, "199001012380");
  EXPECT_EQ(c.version, 14);
  EXPECT_EQ(c.state, CaseState::kActive);
  EXPECT_EQ(c.home_municipality_code, "1480");

  EXPECT_EQ(c.level, Level::kB);
  EXPECT_EQ(c.extent.kind, ExtentKind::kPartTime);
  EXPECT_EQ(c.extent.percentage, 50);
  EXPECT_EQ(c.extent.part_time_reason, PartTimeReason::kReducedCapacity);
  EXPECT_EQ(c.extent.part_time_reason_text, "");
  EXPECT_EQ(c.extent.available_hours_per_week, 30);
  EXPECT_EQ(c.decided_on, std::optional<absl::CivilDay>(absl::CivilDay(2025, 1, 10)));
  EXPECT_EQ(c.choice_deadline, std::optional<absl::CivilDay>(absl::CivilDay(2025, 1, 24)));

  ASSERT_EQ(c.providers.size(), 2u);
  EXPECT_EQ(c.providers[0].organisation_number, "5560360793");
  EXPECT_EQ(c.providers[0].choice_kind, ChoiceKind::kActive);
  EXPECT_EQ(c.providers[0].assigned_on, absl::CivilDay(2025, 1, 20));
  EXPECT_EQ(c.providers[0].ended_on, std::optional<absl::CivilDay>(absl::CivilDay(2025, 3, 31)));
  EXPECT_EQ(c.providers[0].change_reason, ProviderChangeReason::kUnspecified);
  EXPECT_EQ(c.providers[1].organisation_number, "5567037485");
  EXPECT_EQ(c.providers[1].choice_kind, ChoiceKind::kChange);
  EXPECT_EQ(c.providers[1].assigned_on, absl::CivilDay(2025, 4, 1));
  EXPECT_EQ(c.providers[1].ended_on, std::nullopt);
  EXPECT_EQ(c.providers[1].change_reason, ProviderChangeReason::kMoved);
  ASSERT_NE(c.CurrentProvider(), nullptr);
  EXPECT_EQ(c.CurrentProvider()->organisation_number, "5567037485");
  EXPECT_EQ(c.choice_kind, ChoiceKind::kActive);

  EXPECT_EQ(c.started_on, std::optional<absl::CivilDay>(absl::CivilDay(2025, 2, 3)));
  EXPECT_TRUE(c.prolonged);
  // The PROLONG entry's time is 2025-07-20 22:30 UTC, already 2025-07-21 in Sweden.
  EXPECT_EQ(c.prolonged_on, std::optional<absl::CivilDay>(absl::CivilDay(2025, 7, 21)));

  ASSERT_EQ(c.pauses.size(), 2u);
  EXPECT_EQ(c.pauses[0].from, absl::CivilDay(2025, 3, 3));
  EXPECT_EQ(c.pauses[0].until, std::optional<absl::CivilDay>(absl::CivilDay(2025, 3, 9)));
  EXPECT_TRUE(c.pauses[0].stops_clock);
  EXPECT_EQ(c.pauses[1].from, absl::CivilDay(2025, 9, 1));
  EXPECT_EQ(c.pauses[1].until, std::nullopt);
  EXPECT_FALSE(c.pauses[1].stops_clock);
  EXPECT_TRUE(c.Paused());

  ASSERT_EQ(c.parallel_measures.size(), 1u);
  EXPECT_EQ(c.parallel_measures[0].kind, ParallelMeasureKind::kWorkPlacement);
  EXPECT_EQ(c.parallel_measures[0].start, absl::CivilDay(2025, 5, 5));
  EXPECT_EQ(c.parallel_measures[0].end, std::optional<absl::CivilDay>(absl::CivilDay(2025, 6, 30)));
  EXPECT_EQ(c.parallel_measures[0].percentage, 25);

  EXPECT_EQ(c.end_date, std::nullopt);
  EXPECT_EQ(c.end_reason, EndReason::kUnspecified);

  // Eleven stored entries, the FLAG one left out.
  struct Expected {
    Transition transition;
    CaseState from, to;
    Role role;
    int64_t seconds;
  };
  const std::vector<Expected> expected = {
      {Transition::kCreate, CaseState::kNone, CaseState::kRegistered, Role::kService, 1736300000},
      {Transition::kAttachAssessment, CaseState::kRegistered, CaseState::kAssessed,
       Role::kCaseworker, 1736300001},
      {Transition::kDecide, CaseState::kAssessed, CaseState::kDecided, Role::kCaseworker,
       1736500500},
      {Transition::kOpenChoice, CaseState::kDecided, CaseState::kAwaitingChoice, Role::kCaseworker,
       1736500500},
      {Transition::kChooseProvider, CaseState::kAwaitingChoice, CaseState::kAssigned,
       Role::kService, 1737370000},
      {Transition::kStart, CaseState::kAssigned, CaseState::kActive, Role::kCaseworker,
       1738570000},
      {Transition::kChangeProvider, CaseState::kActive, CaseState::kActive, Role::kService,
       1743500000},
      {Transition::kRegisterParallelMeasure, CaseState::kActive, CaseState::kActive,
       Role::kEmploymentOfficer, 1746400000},
      {Transition::kProlong, CaseState::kActive, CaseState::kActive, Role::kCaseworker,
       1753050600},
      {Transition::kPause, CaseState::kActive, CaseState::kActive, Role::kService, 1756700000},
  };
  ASSERT_EQ(c.history.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(c.history[i].transition, expected[i].transition);
    EXPECT_EQ(c.history[i].from, expected[i].from);
    EXPECT_EQ(c.history[i].to, expected[i].to);
    EXPECT_EQ(c.history[i].role, expected[i].role);
    EXPECT_EQ(c.history[i].time, absl::FromUnixSeconds(expected[i].seconds));
  }
}

TEST(CaseMappingToDomainCaseTest, RegisteredCaseLeavesAbsentFieldsAbsent) {
  v1::Case p;
  p.set_case_id("rm-0002");
  p.set_person_id("198512242387");
  p.set_version(1);
  p.set_state(v1::CASE_STATE_REGISTERED);
  AddHistory(p, v1::CASE_TRANSITION_KIND_CREATE, v1::CASE_STATE_UNSPECIFIED,
             v1::CASE_STATE_REGISTERED, v1::ROLE_CASEWORKER, 1736300000);

  absl::StatusOr<Case> got = ToDomainCase(p);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, CaseState::kRegistered);
  EXPECT_EQ(got->level, Level::kUnspecified);
  // No extent stored: the domain's default (full time, 100 %).
  EXPECT_EQ(got->extent.kind, ExtentKind::kFullTime);
  EXPECT_EQ(got->extent.percentage, 100);
  EXPECT_EQ(got->decided_on, std::nullopt);
  EXPECT_EQ(got->choice_deadline, std::nullopt);
  EXPECT_TRUE(got->providers.empty());
  EXPECT_EQ(got->CurrentProvider(), nullptr);
  EXPECT_EQ(got->choice_kind, ChoiceKind::kUnspecified);
  EXPECT_EQ(got->started_on, std::nullopt);
  EXPECT_FALSE(got->prolonged);
  EXPECT_EQ(got->prolonged_on, std::nullopt);
  EXPECT_TRUE(got->pauses.empty());
  EXPECT_FALSE(got->Paused());
  EXPECT_TRUE(got->parallel_measures.empty());
  EXPECT_EQ(got->end_date, std::nullopt);
  EXPECT_EQ(got->end_reason, EndReason::kUnspecified);
  ASSERT_EQ(got->history.size(), 1u);
  EXPECT_EQ(got->history[0].transition, Transition::kCreate);
  EXPECT_EQ(got->history[0].from, CaseState::kNone);
  EXPECT_EQ(got->history[0].to, CaseState::kRegistered);
  EXPECT_EQ(got->history[0].role, Role::kCaseworker);
}

TEST(CaseMappingToDomainCaseTest, EndedCaseWithAllProvidersEnded) {
  v1::Case p = ActiveCase();
  p.set_state(v1::CASE_STATE_ENDED);
  p.clear_current_provider();
  p.clear_history();
  *p.mutable_provider_history(1)->mutable_ended_on() = Date(2025, 12, 19);
  *p.mutable_pauses(1)->mutable_dates()->mutable_end() = Date(2025, 9, 14);
  p.set_paused(false);
  v1::CaseEnd* end = p.mutable_end();
  *end->mutable_end_date() = Date(2025, 12, 19);
  end->set_reason(v1::END_REASON_WORK);
  *end->mutable_ended_by() = Actor("spiffe://rusta.local/caseworker/cw-2", v1::ROLE_CASEWORKER);
  *end->mutable_result_report_deadline() = Date(2026, 2, 19);

  absl::StatusOr<Case> got = ToDomainCase(p);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, CaseState::kEnded);
  EXPECT_EQ(got->end_date, std::optional<absl::CivilDay>(absl::CivilDay(2025, 12, 19)));
  EXPECT_EQ(got->end_reason, EndReason::kWork);
  ASSERT_EQ(got->providers.size(), 2u);
  EXPECT_EQ(got->providers[0].ended_on,
            std::optional<absl::CivilDay>(absl::CivilDay(2025, 3, 31)));
  EXPECT_EQ(got->providers[1].ended_on,
            std::optional<absl::CivilDay>(absl::CivilDay(2025, 12, 19)));
  EXPECT_EQ(got->CurrentProvider(), nullptr);
  ASSERT_NE(got->LastProvider(), nullptr);
  EXPECT_EQ(got->LastProvider()->organisation_number, "5567037485");
  EXPECT_FALSE(got->Paused());
  EXPECT_EQ(got->pauses[1].until, std::optional<absl::CivilDay>(absl::CivilDay(2025, 9, 14)));
  // Prolonged (period 2 exists) but no PROLONG entry in the (cleared) history.
  EXPECT_TRUE(got->prolonged);
  EXPECT_EQ(got->prolonged_on, std::nullopt);
  EXPECT_TRUE(got->history.empty());
}

TEST(CaseMappingToDomainCaseTest, OnlyPeriodOneIsNotProlonged) {
  v1::Case p = ActiveCase();
  p.mutable_service_periods()->RemoveLast();
  absl::StatusOr<Case> got = ToDomainCase(p);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->prolonged);
  EXPECT_EQ(got->prolonged_on, std::nullopt);
}

TEST(CaseMappingToDomainCaseTest, DamagedStoredFieldsAreDataLoss) {
  struct Damage {
    std::string name;
    std::function<void(v1::Case&)> apply;
    std::string message;
  };
  const std::vector<Damage> damages = {
      {"decided_on 30 February",
       [](v1::Case& c) { *c.mutable_decision()->mutable_decided_on() = Date(2025, 2, 30); },
       "stored case rm-0001: decision.decided_on: not a valid date"},
      {"choice_deadline month 13",
       [](v1::Case& c) { *c.mutable_decision()->mutable_choice_deadline() = Date(2025, 13, 1); },
       "stored case rm-0001: decision.choice_deadline: not a valid date"},
      {"year only",
       [](v1::Case& c) { *c.mutable_started_on() = Date(2025, 0, 0); },
       "stored case rm-0001: started_on: not a valid date"},
      {"assigned_on missing",
       [](v1::Case& c) { c.mutable_provider_history(1)->clear_assigned_on(); },
       "stored case rm-0001: provider_history[1].assigned_on: required"},
      {"ended_on before 1900",
       [](v1::Case& c) { *c.mutable_provider_history(0)->mutable_ended_on() = Date(1899, 12, 31); },
       "stored case rm-0001: provider_history[0].ended_on: not a valid date"},
      {"provider choice kind 4",
       [](v1::Case& c) {
         c.mutable_provider_history(0)->set_choice_kind(static_cast<v1::ChoiceKind>(4));
       },
       "stored case rm-0001: provider_history[0].choice_kind: 4 is not a known ChoiceKind"},
      {"change reason 9",
       [](v1::Case& c) {
         c.mutable_provider_history(1)->set_change_reason(static_cast<v1::ProviderChangeReason>(9));
       },
       "stored case rm-0001: provider_history[1].change_reason: 9 is not a known "
       "ProviderChangeReason"},
      {"pause start missing",
       [](v1::Case& c) { c.mutable_pauses(1)->mutable_dates()->clear_start(); },
       "stored case rm-0001: pauses[1].dates.start: required"},
      {"pause end 31 April",
       [](v1::Case& c) {
         *c.mutable_pauses(0)->mutable_dates()->mutable_end() = Date(2025, 4, 31);
       },
       "stored case rm-0001: pauses[0].dates.end: not a valid date"},
      {"measure start invalid",
       [](v1::Case& c) {
         *c.mutable_parallel_measures(0)->mutable_dates()->mutable_start() = Date(2025, 6, 31);
       },
       "stored case rm-0001: parallel_measures[0]: measure.dates.start: not a valid date"},
      {"end date invalid",
       [](v1::Case& c) { *c.mutable_end()->mutable_end_date() = Date(2025, 6, 31); },
       "stored case rm-0001: end.end_date: not a valid date"},
      {"end reason 8",
       [](v1::Case& c) { c.mutable_end()->set_reason(static_cast<v1::EndReason>(8)); },
       "stored case rm-0001: end.reason: 8 is not a known EndReason"},
      {"state 13",
       [](v1::Case& c) { c.set_state(static_cast<v1::CaseState>(13)); },
       "stored case rm-0001: state: 13 is not a known CaseState"},
      {"level 4",
       [](v1::Case& c) { c.set_level(static_cast<v1::Level>(4)); },
       "stored case rm-0001: level: 4 is not a known Level"},
      {"extent kind 3",
       [](v1::Case& c) { c.mutable_extent()->set_kind(static_cast<v1::ExtentKind>(3)); },
       "stored case rm-0001: extent.kind: 3 is not a known ExtentKind"},
      {"case choice kind -1",
       [](v1::Case& c) { c.set_choice_kind(static_cast<v1::ChoiceKind>(-1)); },
       "stored case rm-0001: choice_kind: -1 is not a known ChoiceKind"},
      {"history kind unspecified",
       [](v1::Case& c) { c.mutable_history(2)->set_kind(v1::CASE_TRANSITION_KIND_UNSPECIFIED); },
       "stored case rm-0001: history[2].kind: 0 is not a known Transition"},
      {"history kind 21",
       [](v1::Case& c) { c.mutable_history(2)->set_kind(static_cast<v1::CaseTransitionKind>(21)); },
       "stored case rm-0001: history[2].kind: 21 is not a known Transition"},
      {"history from_state 99",
       [](v1::Case& c) { c.mutable_history(3)->set_from_state(static_cast<v1::CaseState>(99)); },
       "stored case rm-0001: history[3].from_state: 99 is not a known CaseState"},
      {"history without actor",
       [](v1::Case& c) { c.mutable_history(1)->clear_actor(); },
       "stored case rm-0001: history[1].actor.role: 0 is not a known Role"},
      {"history role 10",
       [](v1::Case& c) {
         c.mutable_history(0)->mutable_actor()->set_role(static_cast<v1::Role>(10));
       },
       "stored case rm-0001: history[0].actor.role: 10 is not a known Role"},
      {"history time nanos out of range",
       [](v1::Case& c) { c.mutable_history(0)->mutable_time()->set_nanos(-1); },
       "stored case rm-0001: history[0].time: not a valid timestamp"},
  };
  for (const Damage& damage : damages) {
    SCOPED_TRACE(damage.name);
    v1::Case c = ActiveCase();
    damage.apply(c);
    absl::StatusOr<Case> got = ToDomainCase(c);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(std::string(got.status().message()), damage.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Enums.
// ---------------------------------------------------------------------------------------------

// The proto value's name without its prefix ("CASE_STATE_AWAITING_CHOICE" → "AWAITING_CHOICE").
std::string Suffix(const google::protobuf::EnumValueDescriptor* value, const std::string& prefix) {
  const std::string name(value->name());
  EXPECT_EQ(name.rfind(prefix, 0), 0u) << name;
  return name.substr(prefix.size());
}

TEST(CaseMappingEnumTest, CaseStateEveryProtoValueByName) {
  const google::protobuf::EnumDescriptor* desc = v1::CaseState_descriptor();
  ASSERT_EQ(desc->value_count(), 13);
  for (int i = 0; i < desc->value_count(); ++i) {
    const auto* value = desc->value(i);
    SCOPED_TRACE(std::string(value->name()));
    absl::StatusOr<CaseState> state = ToDomainState(static_cast<v1::CaseState>(value->number()));
    ASSERT_TRUE(state.ok()) << state.status();
    const std::string suffix = Suffix(value, "CASE_STATE_");
    EXPECT_EQ(StateName(*state), suffix == "UNSPECIFIED" ? "NONE" : suffix);
    EXPECT_EQ(FromDomainState(*state), value->number());
  }
  for (CaseState s : kAllStates) {
    absl::StatusOr<CaseState> back = ToDomainState(FromDomainState(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(*ToDomainState(v1::CASE_STATE_AWAITING_CHOICE), CaseState::kAwaitingChoice);
  EXPECT_EQ(FromDomainState(CaseState::kNotReferred), v1::CASE_STATE_NOT_REFERRED);
  for (int bad : {-1, 13, 100}) {
    absl::StatusOr<CaseState> got = ToDomainState(static_cast<v1::CaseState>(bad), "x.state");
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("x.state: "));
  }
}

TEST(CaseMappingEnumTest, TransitionEveryProtoValueByNameExceptFlag) {
  const google::protobuf::EnumDescriptor* desc = v1::CaseTransitionKind_descriptor();
  ASSERT_EQ(desc->value_count(), 21);
  int mapped = 0;
  for (int i = 0; i < desc->value_count(); ++i) {
    const auto* value = desc->value(i);
    SCOPED_TRACE(std::string(value->name()));
    const std::string suffix = Suffix(value, "CASE_TRANSITION_KIND_");
    absl::StatusOr<Transition> t =
        ToDomainTransition(static_cast<v1::CaseTransitionKind>(value->number()));
    if (suffix == "UNSPECIFIED" || suffix == "FLAG") {
      EXPECT_FALSE(t.ok());
      continue;
    }
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(TransitionName(*t), suffix);
    EXPECT_EQ(FromDomainTransition(*t), value->number());
    ++mapped;
  }
  EXPECT_EQ(mapped, 19);
  for (Transition t : kAllTransitions) {
    absl::StatusOr<Transition> back = ToDomainTransition(FromDomainTransition(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(FromDomainTransition(Transition::kMarkPaid), v1::CASE_TRANSITION_KIND_MARK_PAID);
  EXPECT_FALSE(ToDomainTransition(static_cast<v1::CaseTransitionKind>(-3)).ok());
}

TEST(CaseMappingEnumTest, RoleEveryProtoValueByName) {
  const google::protobuf::EnumDescriptor* desc = v1::Role_descriptor();
  ASSERT_EQ(desc->value_count(), 10);
  for (int i = 0; i < desc->value_count(); ++i) {
    const auto* value = desc->value(i);
    SCOPED_TRACE(std::string(value->name()));
    const std::string suffix = Suffix(value, "ROLE_");
    absl::StatusOr<Role> role = ToDomainRole(static_cast<v1::Role>(value->number()));
    if (suffix == "UNSPECIFIED") {
      EXPECT_FALSE(role.ok());
      continue;
    }
    ASSERT_TRUE(role.ok()) << role.status();
    EXPECT_EQ(RoleName(*role), suffix);
    EXPECT_EQ(FromDomainRole(*role), value->number());
  }
  for (Role r : kAllRoles) {
    absl::StatusOr<Role> back = ToDomainRole(FromDomainRole(r));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, r);
  }
  EXPECT_FALSE(ToDomainRole(static_cast<v1::Role>(10)).ok());
}

TEST(CaseMappingEnumTest, FromIdentityRole) {
  const std::vector<std::pair<identity::Role, Role>> pairs = {
      {identity::Role::kCaseworker, Role::kCaseworker},
      {identity::Role::kEmploymentOfficer, Role::kEmploymentOfficer},
      {identity::Role::kSupportGroup, Role::kSupportGroup},
      {identity::Role::kProviderFollowUp, Role::kProviderFollowUp},
      {identity::Role::kProvider, Role::kProvider},
      {identity::Role::kMunicipality, Role::kMunicipality},
      {identity::Role::kAuditor, Role::kAuditor},
      {identity::Role::kAdmin, Role::kAdmin},
      {identity::Role::kService, Role::kService},
  };
  for (const auto& [from, to] : pairs) EXPECT_EQ(FromIdentityRole(from), to);
}

// Checks a hand-written (domain, proto) table both ways, that it covers every proto value (plus
// `extra` domain-only values), and that `bad` numbers are refused with the field name.
template <typename D, typename P, typename To, typename From>
void CheckTable(const std::vector<std::pair<D, P>>& pairs, To to, From from,
                const google::protobuf::EnumDescriptor* desc, int extra,
                const std::vector<int>& bad) {
  EXPECT_EQ(static_cast<int>(pairs.size()), desc->value_count() + extra);
  for (const auto& [domain, proto] : pairs) {
    SCOPED_TRACE(static_cast<int>(proto));
    EXPECT_EQ(from(domain), proto);
    absl::StatusOr<D> got = to(proto, "f");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, domain);
  }
  for (int n : bad) {
    absl::StatusOr<D> got = to(static_cast<P>(n), "some.field");
    ASSERT_FALSE(got.ok()) << n;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(got.status().message()),
                HasSubstr("some.field: " + std::to_string(n) + " is not a known"));
  }
}

TEST(CaseMappingEnumTest, Level) {
  CheckTable<Level, v1::Level>({{Level::kUnspecified, v1::LEVEL_UNSPECIFIED},
                                {Level::kA, v1::LEVEL_A},
                                {Level::kB, v1::LEVEL_B},
                                {Level::kC, v1::LEVEL_C}},
                               ToDomainLevel, FromDomainLevel, v1::Level_descriptor(), 0, {-1, 4});
}

TEST(CaseMappingEnumTest, EndReason) {
  CheckTable<EndReason, v1::EndReason>(
      {{EndReason::kUnspecified, v1::END_REASON_UNSPECIFIED},
       {EndReason::kWork, v1::END_REASON_WORK},
       {EndReason::kStudies, v1::END_REASON_STUDIES},
       {EndReason::kMaximumTime, v1::END_REASON_MAXIMUM_TIME},
       {EndReason::kInterruption, v1::END_REASON_INTERRUPTION},
       {EndReason::kTransferToOtherMeasure, v1::END_REASON_TRANSFER_TO_OTHER_MEASURE},
       {EndReason::kDeregistered, v1::END_REASON_DEREGISTERED},
       {EndReason::kOther, v1::END_REASON_OTHER}},
      ToDomainEndReason, FromDomainEndReason, v1::EndReason_descriptor(), 0, {-1, 8});
}

TEST(CaseMappingEnumTest, ChoiceKind) {
  CheckTable<ChoiceKind, v1::ChoiceKind>({{ChoiceKind::kUnspecified, v1::CHOICE_KIND_UNSPECIFIED},
                                          {ChoiceKind::kActive, v1::CHOICE_KIND_ACTIVE},
                                          {ChoiceKind::kDefault, v1::CHOICE_KIND_DEFAULT},
                                          {ChoiceKind::kChange, v1::CHOICE_KIND_CHANGE}},
                                         ToDomainChoiceKind, FromDomainChoiceKind,
                                         v1::ChoiceKind_descriptor(), 0, {-1, 4});
}

TEST(CaseMappingEnumTest, ProviderChangeReason) {
  CheckTable<ProviderChangeReason, v1::ProviderChangeReason>(
      {{ProviderChangeReason::kUnspecified, v1::PROVIDER_CHANGE_REASON_UNSPECIFIED},
       {ProviderChangeReason::kParticipantRequest, v1::PROVIDER_CHANGE_REASON_PARTICIPANT_REQUEST},
       {ProviderChangeReason::kProviderTerminated, v1::PROVIDER_CHANGE_REASON_PROVIDER_TERMINATED},
       {ProviderChangeReason::kMoved, v1::PROVIDER_CHANGE_REASON_MOVED},
       {ProviderChangeReason::kOther, v1::PROVIDER_CHANGE_REASON_OTHER}},
      ToDomainProviderChangeReason, FromDomainProviderChangeReason,
      v1::ProviderChangeReason_descriptor(), 0, {-1, 5});
}

TEST(CaseMappingEnumTest, ParallelMeasureKindWithSfiAsSix) {
  CheckTable<ParallelMeasureKind, v1::ParallelMeasureKind>(
      {{ParallelMeasureKind::kUnspecified, v1::PARALLEL_MEASURE_KIND_UNSPECIFIED},
       {ParallelMeasureKind::kWorkPlacement, v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT},
       {ParallelMeasureKind::kVocationalSkillsAssessment,
        v1::PARALLEL_MEASURE_KIND_VOCATIONAL_SKILLS_ASSESSMENT},
       {ParallelMeasureKind::kValidation, v1::PARALLEL_MEASURE_KIND_VALIDATION},
       {ParallelMeasureKind::kLabourMarketTraining,
        v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING},
       {ParallelMeasureKind::kOther, v1::PARALLEL_MEASURE_KIND_OTHER},
       // SFI has no proto name yet: the bare number 6.
       {ParallelMeasureKind::kSfi, static_cast<v1::ParallelMeasureKind>(6)}},
      ToDomainParallelMeasureKind, FromDomainParallelMeasureKind,
      v1::ParallelMeasureKind_descriptor(), 1, {-1, 7});
}

TEST(CaseMappingEnumTest, ActivityCategory) {
  CheckTable<ActivityCategory, v1::ActivityCategory>(
      {{ActivityCategory::kUnspecified, v1::ACTIVITY_CATEGORY_UNSPECIFIED},
       {ActivityCategory::kIndividualMeeting, v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING},
       {ActivityCategory::kPracticalSupport, v1::ACTIVITY_CATEGORY_PRACTICAL_SUPPORT},
       {ActivityCategory::kEmployerContacts, v1::ACTIVITY_CATEGORY_EMPLOYER_CONTACTS},
       {ActivityCategory::kStudyAndCareerGuidance,
        v1::ACTIVITY_CATEGORY_STUDY_AND_CAREER_GUIDANCE},
       {ActivityCategory::kInformation, v1::ACTIVITY_CATEGORY_INFORMATION},
       {ActivityCategory::kMapping, v1::ACTIVITY_CATEGORY_MAPPING},
       {ActivityCategory::kLanguageSkills, v1::ACTIVITY_CATEGORY_LANGUAGE_SKILLS},
       {ActivityCategory::kMeasureWithOtherActor, v1::ACTIVITY_CATEGORY_MEASURE_WITH_OTHER_ACTOR},
       {ActivityCategory::kMotivationalInterviewing,
        v1::ACTIVITY_CATEGORY_MOTIVATIONAL_INTERVIEWING},
       {ActivityCategory::kDigitalSkills, v1::ACTIVITY_CATEGORY_DIGITAL_SKILLS},
       {ActivityCategory::kHealthPromoting, v1::ACTIVITY_CATEGORY_HEALTH_PROMOTING},
       {ActivityCategory::kShortTraining, v1::ACTIVITY_CATEGORY_SHORT_TRAINING},
       {ActivityCategory::kOwnWorkPerPlan, v1::ACTIVITY_CATEGORY_OWN_WORK_PER_PLAN}},
      ToDomainActivityCategory, FromDomainActivityCategory, v1::ActivityCategory_descriptor(), 0,
      {-1, 14});
}

TEST(CaseMappingEnumTest, DeviationCodeKeepsEveryNumber) {
  const std::vector<std::pair<DeviationCode, v1::DeviationCode>> pairs = {
      {DeviationCode::kUnspecified, v1::DEVIATION_CODE_UNSPECIFIED},
      {DeviationCode::kSick, v1::DEVIATION_CODE_SICK},
      {DeviationCode::kWork, v1::DEVIATION_CODE_WORK},
      {DeviationCode::kUnknownReason, v1::DEVIATION_CODE_UNKNOWN_REASON},
      {DeviationCode::kOtherKnownReason, v1::DEVIATION_CODE_OTHER_KNOWN_REASON},
      {DeviationCode::kDeclinedMeasureOrActivity, v1::DEVIATION_CODE_DECLINED_MEASURE_OR_ACTIVITY},
      {DeviationCode::kDeclinedOfferedJob, v1::DEVIATION_CODE_DECLINED_OFFERED_JOB},
      {DeviationCode::kCouldNotBenefit, v1::DEVIATION_CODE_COULD_NOT_BENEFIT},
      {DeviationCode::kMisconduct, v1::DEVIATION_CODE_MISCONDUCT},
      {DeviationCode::kCareOfSickChild, v1::DEVIATION_CODE_CARE_OF_SICK_CHILD},
      {DeviationCode::kEducation, v1::DEVIATION_CODE_EDUCATION},
  };
  EXPECT_EQ(static_cast<int>(pairs.size()), v1::DeviationCode_descriptor()->value_count());
  for (const auto& [domain, proto] : pairs) {
    EXPECT_EQ(ToDomainDeviationCode(proto), domain);
    EXPECT_EQ(FromDomainDeviationCode(domain), proto);
  }
  // AF's code 15 is the number 15 on both sides; unknown codes pass through unchanged.
  EXPECT_EQ(static_cast<int>(ToDomainDeviationCode(v1::DEVIATION_CODE_SICK)), 15);
  EXPECT_EQ(static_cast<int>(ToDomainDeviationCode(static_cast<v1::DeviationCode>(23))), 23);
  EXPECT_EQ(static_cast<int>(FromDomainDeviationCode(static_cast<DeviationCode>(99))), 99);
}

// ---------------------------------------------------------------------------------------------
// Extent.
// ---------------------------------------------------------------------------------------------

TEST(CaseMappingExtentTest, PartTimeBothWays) {
  v1::Extent p;
  p.set_kind(v1::EXTENT_KIND_PART_TIME);
  p.set_percentage(25);
  p.set_part_time_reason(v1::PART_TIME_REASON_OTHER);
  p.set_part_time_reason_text("idrott på elitnivå");
  p.set_available_hours_per_week(35);
  absl::StatusOr<Extent> e = ToDomainExtent(p);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->kind, ExtentKind::kPartTime);
  EXPECT_EQ(e->percentage, 25);
  EXPECT_EQ(e->part_time_reason, PartTimeReason::kOther);
  EXPECT_EQ(e->part_time_reason_text, "idrott på elitnivå");
  EXPECT_EQ(e->available_hours_per_week, 35);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(FromDomainExtent(*e), p));
}

TEST(CaseMappingExtentTest, FullTimeToProto) {
  Extent e;  // full time, 100 %, default hours
  const v1::Extent p = FromDomainExtent(e);
  EXPECT_EQ(p.kind(), v1::EXTENT_KIND_FULL_TIME);
  EXPECT_EQ(p.percentage(), 100);
  EXPECT_EQ(p.part_time_reason(), v1::PART_TIME_REASON_UNSPECIFIED);
  EXPECT_EQ(p.part_time_reason_text(), "");
  EXPECT_EQ(p.available_hours_per_week(), 0);
}

TEST(CaseMappingExtentTest, EveryPartTimeReasonAndUnknownNumbers) {
  const std::vector<std::pair<PartTimeReason, v1::PartTimeReason>> reasons = {
      {PartTimeReason::kUnspecified, v1::PART_TIME_REASON_UNSPECIFIED},
      {PartTimeReason::kPartTimeWork, v1::PART_TIME_REASON_PART_TIME_WORK},
      {PartTimeReason::kStudies, v1::PART_TIME_REASON_STUDIES},
      {PartTimeReason::kReducedCapacity, v1::PART_TIME_REASON_REDUCED_CAPACITY},
      {PartTimeReason::kOtherReferral, v1::PART_TIME_REASON_OTHER_REFERRAL},
      {PartTimeReason::kCareResponsibility, v1::PART_TIME_REASON_CARE_RESPONSIBILITY},
      {PartTimeReason::kOther, v1::PART_TIME_REASON_OTHER},
  };
  EXPECT_EQ(static_cast<int>(reasons.size()), v1::PartTimeReason_descriptor()->value_count());
  for (const auto& [domain, proto] : reasons) {
    v1::Extent p;
    p.set_kind(v1::EXTENT_KIND_PART_TIME);
    p.set_part_time_reason(proto);
    absl::StatusOr<Extent> e = ToDomainExtent(p);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->part_time_reason, domain);
    Extent d;
    d.part_time_reason = domain;
    EXPECT_EQ(FromDomainExtent(d).part_time_reason(), proto);
  }
  v1::Extent bad_kind;
  bad_kind.set_kind(static_cast<v1::ExtentKind>(3));
  EXPECT_EQ(ToDomainExtent(bad_kind).status(),
            absl::InvalidArgumentError("extent.kind: 3 is not a known ExtentKind"));
  v1::Extent bad_reason;
  bad_reason.set_part_time_reason(static_cast<v1::PartTimeReason>(7));
  EXPECT_EQ(ToDomainExtent(bad_reason).status(),
            absl::InvalidArgumentError("extent.part_time_reason: 7 is not a known PartTimeReason"));
}

// ---------------------------------------------------------------------------------------------
// Provider view.
// ---------------------------------------------------------------------------------------------

std::string Diff(const v1::Case& got, const v1::Case& want) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  differencer.Compare(want, got);
  return report;
}

TEST(CaseMappingProviderViewTest, KeepsOnlyTheReducedFields) {
  v1::Case full = ActiveCase();
  v1::CaseEnd* end = full.mutable_end();
  *end->mutable_end_date() = Date(2025, 12, 19);
  end->set_reason(v1::END_REASON_STUDIES);
  end->set_note("börjar studera");
  *end->mutable_ended_by() = Actor("spiffe://rusta.local/caseworker/cw-2", v1::ROLE_CASEWORKER);
  *end->mutable_result_report_deadline() = Date(2026, 2, 19);
  full.set_not_referred_justification("should never show");

  // The expected view, written out field by field.
  v1::Case want;
  want.set_case_id("rm-0001");
  want.set_person_id("199001012380");
  want.set_version(14);
  want.set_state(v1::CASE_STATE_ACTIVE);
  want.set_level(v1::LEVEL_B);
  want.mutable_extent()->set_kind(v1::EXTENT_KIND_PART_TIME);
  want.mutable_extent()->set_percentage(50);
  want.mutable_extent()->set_part_time_reason(v1::PART_TIME_REASON_REDUCED_CAPACITY);
  want.mutable_extent()->set_available_hours_per_week(30);
  v1::ProviderAssignment* current = want.mutable_current_provider();
  current->set_organisation_number("5567037485");
  current->set_provider_name("Andra AB");
  current->set_choice_kind(v1::CHOICE_KIND_CHANGE);
  *current->mutable_assigned_on() = Date(2025, 4, 1);
  current->set_change_reason(v1::PROVIDER_CHANGE_REASON_MOVED);
  current->set_change_reason_text("flyttade till Borås");
  v1::ServicePeriod* p1 = want.add_service_periods();
  p1->set_number(1);
  *p1->mutable_dates()->mutable_start() = Date(2025, 2, 3);
  *p1->mutable_dates()->mutable_end() = Date(2025, 8, 2);
  v1::ServicePeriod* p2 = want.add_service_periods();
  p2->set_number(2);
  *p2->mutable_dates()->mutable_start() = Date(2025, 8, 3);
  *p2->mutable_dates()->mutable_end() = Date(2026, 2, 2);
  p2->set_justification("behöver mer tid");  // decided_by is gone
  *want.mutable_started_on() = Date(2025, 2, 3);
  *want.mutable_maximum_end_date() = Date(2026, 2, 9);
  v1::CasePause* closed = want.add_pauses();
  closed->set_pause_id("pa-1");
  closed->set_reason(v1::PAUSE_REASON_SICK);
  *closed->mutable_dates()->mutable_start() = Date(2025, 3, 3);
  *closed->mutable_dates()->mutable_end() = Date(2025, 3, 9);
  closed->set_stops_clock(true);
  v1::CasePause* open = want.add_pauses();
  open->set_pause_id("pa-2");
  open->set_reason(v1::PAUSE_REASON_OTHER);
  *open->mutable_dates()->mutable_start() = Date(2025, 9, 1);
  want.set_paused(true);
  v1::ParallelMeasure* m = want.add_parallel_measures();
  m->set_measure_id("pm-1");
  m->set_kind(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT);
  m->set_actor_name("Verkstaden");
  *m->mutable_dates()->mutable_start() = Date(2025, 5, 5);
  *m->mutable_dates()->mutable_end() = Date(2025, 6, 30);
  m->set_percentage(25);
  v1::CaseEnd* want_end = want.mutable_end();
  *want_end->mutable_end_date() = Date(2025, 12, 19);
  want_end->set_reason(v1::END_REASON_STUDIES);
  want_end->set_note("börjar studera");
  *want_end->mutable_result_report_deadline() = Date(2026, 2, 19);  // ended_by is gone
  v1::CaseFlag* flag = want.add_flags();
  flag->set_kind(v1::CASE_FLAG_KIND_MAXIMUM_TIME_NEAR);
  *flag->mutable_raised_at() = Ts(1760000000);
  flag->set_note("maxtid nära");

  const v1::Case view = ProviderView(full, "5567037485");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(view, want))
      << Diff(view, want);

  // The parts that must never reach a provider, one by one.
  EXPECT_FALSE(view.has_decision());
  EXPECT_EQ(view.assessment_id(), "");
  EXPECT_EQ(view.provider_history_size(), 0);
  EXPECT_EQ(view.provider_change_count(), 0);
  EXPECT_EQ(view.history_size(), 0);
  EXPECT_FALSE(view.has_result());
  EXPECT_EQ(view.home_municipality_code(), "");
  EXPECT_EQ(view.home_postal_code(), "");
  EXPECT_EQ(view.not_referred_reason(), v1::NOT_REFERRED_REASON_UNSPECIFIED);
  EXPECT_EQ(view.not_referred_justification(), "");
  EXPECT_FALSE(view.end().has_ended_by());
  EXPECT_FALSE(view.service_periods(1).has_decided_by());
  EXPECT_FALSE(view.has_created_at());
  EXPECT_FALSE(view.has_updated_at());
  EXPECT_EQ(view.choice_kind(), v1::CHOICE_KIND_UNSPECIFIED);
  // The input is untouched.
  EXPECT_TRUE(full.has_decision());
  EXPECT_TRUE(full.end().has_ended_by());
}

TEST(CaseMappingProviderViewTest, AnotherProvidersAssignmentIsLeftOut) {
  const v1::Case view = ProviderView(ActiveCase(), "5560360793");  // the former provider
  EXPECT_FALSE(view.has_current_provider());
  EXPECT_EQ(view.provider_history_size(), 0);
  EXPECT_EQ(view.case_id(), "rm-0001");
  EXPECT_EQ(view.pauses_size(), 2);
  EXPECT_FALSE(view.has_end());  // the case has not ended: no empty end either
}

// ---------------------------------------------------------------------------------------------
// Reports and measures.
// ---------------------------------------------------------------------------------------------

TEST(CaseMappingMonthlyReportTest, Converts) {
  v1::MonthlyReport p;
  p.mutable_month()->set_year(2025);
  p.mutable_month()->set_month(3);
  v1::ActivityHours* a = p.add_activities();
  a->set_category(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING);
  a->set_hours(6);
  a = p.add_activities();
  a->set_category(v1::ACTIVITY_CATEGORY_OWN_WORK_PER_PLAN);
  a->set_hours(40);
  p.set_interpreter_hours(2);
  p.set_attested_by("Handledare");
  p.set_meetings(3);
  p.set_in_person_meetings(2);

  absl::StatusOr<MonthlyReport> r = ToDomainMonthlyReport(p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->month, absl::CivilMonth(2025, 3));
  ASSERT_EQ(r->activities.size(), 2u);
  EXPECT_EQ(r->activities[0].category, ActivityCategory::kIndividualMeeting);
  EXPECT_EQ(r->activities[0].hours, 6);
  EXPECT_EQ(r->activities[1].category, ActivityCategory::kOwnWorkPerPlan);
  EXPECT_EQ(r->activities[1].hours, 40);
  EXPECT_EQ(r->interpreter_hours, 2);
  EXPECT_EQ(r->meetings, 3);
  EXPECT_EQ(r->in_person_meetings, 2);
}

TEST(CaseMappingMonthlyReportTest, BadMonthAndCategory) {
  v1::MonthlyReport p;
  EXPECT_EQ(ToDomainMonthlyReport(p).status(),
            absl::InvalidArgumentError("report.month: required"));
  p.mutable_month()->set_year(2025);
  p.mutable_month()->set_month(13);
  EXPECT_EQ(ToDomainMonthlyReport(p).status(),
            absl::InvalidArgumentError("report.month: 2025-13 is not a valid month"));
  p.mutable_month()->set_month(0);
  EXPECT_EQ(ToDomainMonthlyReport(p).status().code(), absl::StatusCode::kInvalidArgument);
  p.mutable_month()->set_year(0);
  p.mutable_month()->set_month(5);
  EXPECT_EQ(ToDomainMonthlyReport(p).status(),
            absl::InvalidArgumentError("report.month: 0-5 is not a valid month"));
  p.mutable_month()->set_year(2025);
  p.add_activities()->set_category(v1::ACTIVITY_CATEGORY_MAPPING);
  p.add_activities()->set_category(static_cast<v1::ActivityCategory>(14));
  EXPECT_EQ(ToDomainMonthlyReport(p).status(),
            absl::InvalidArgumentError(
                "report.activities[1].category: 14 is not a known ActivityCategory"));
}

v1::DeviationReport Deviation(int64_t start, std::optional<int64_t> end) {
  v1::DeviationReport p;
  p.set_code(v1::DEVIATION_CODE_SICK);
  *p.mutable_date() = Date(2025, 3, 30);
  *p.mutable_span_start() = Ts(start);
  if (end) *p.mutable_span_end() = Ts(*end);
  p.set_description("sjuk");
  return p;
}

TEST(CaseMappingDeviationReportTest, SpanAcrossTheSpringDstChange) {
  // 2025-03-30 00:30 UTC is 01:30 CET; 01:30 UTC is 03:30 CEST (02:00–03:00 does not exist).
  absl::StatusOr<DeviationReport> r = ToDomainDeviationReport(Deviation(1743294600, 1743298200));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, DeviationCode::kSick);
  EXPECT_EQ(r->date, absl::CivilDay(2025, 3, 30));
  EXPECT_EQ(r->span_start, absl::CivilSecond(2025, 3, 30, 1, 30, 0));
  EXPECT_EQ(r->span_end, absl::CivilSecond(2025, 3, 30, 3, 30, 0));
}

TEST(CaseMappingDeviationReportTest, SpanAcrossTheAutumnDstChange) {
  // 2025-10-26 00:30 UTC is 02:30 CEST; 01:30 UTC is 02:30 CET again.
  v1::DeviationReport p = Deviation(1761438600, 1761442200);
  *p.mutable_date() = Date(2025, 10, 26);
  absl::StatusOr<DeviationReport> r = ToDomainDeviationReport(p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->span_start, absl::CivilSecond(2025, 10, 26, 2, 30, 0));
  EXPECT_EQ(r->span_end, absl::CivilSecond(2025, 10, 26, 2, 30, 0));
}

TEST(CaseMappingDeviationReportTest, MissingEndIsTheStart) {
  absl::StatusOr<DeviationReport> r = ToDomainDeviationReport(Deviation(1743298200, std::nullopt));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->span_start, absl::CivilSecond(2025, 3, 30, 3, 30, 0));
  EXPECT_EQ(r->span_end, absl::CivilSecond(2025, 3, 30, 3, 30, 0));
}

TEST(CaseMappingDeviationReportTest, Errors) {
  v1::DeviationReport p = Deviation(1743294600, std::nullopt);
  p.clear_span_start();
  EXPECT_EQ(ToDomainDeviationReport(p).status(),
            absl::InvalidArgumentError("report.span_start: required"));

  p = Deviation(1743294600, 1743298200);
  p.clear_date();
  EXPECT_EQ(ToDomainDeviationReport(p).status(),
            absl::InvalidArgumentError("report.date: required"));
  *p.mutable_date() = Date(2025, 2, 29);
  EXPECT_EQ(ToDomainDeviationReport(p).status(),
            absl::InvalidArgumentError("report.date: not a valid date"));

  p = Deviation(1743294600, 1743298200);
  p.mutable_span_end()->set_nanos(1000000000);
  EXPECT_EQ(ToDomainDeviationReport(p).status(),
            absl::InvalidArgumentError("report.span_end: not a valid timestamp"));
  p = Deviation(253402300800, std::nullopt);  // one second past 9999-12-31
  EXPECT_EQ(ToDomainDeviationReport(p).status(),
            absl::InvalidArgumentError("report.span_start: not a valid timestamp"));
}

TEST(CaseMappingDeviationReportTest, UnknownCodePassesThroughForTheRules) {
  v1::DeviationReport p = Deviation(1743294600, std::nullopt);
  p.set_code(static_cast<v1::DeviationCode>(23));
  absl::StatusOr<DeviationReport> r = ToDomainDeviationReport(p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(static_cast<int>(r->code), 23);
  EXPECT_FALSE(IsKnownDeviationCode(r->code));
}

TEST(CaseMappingParallelMeasureTest, Converts) {
  v1::ParallelMeasure p;
  p.set_measure_id("pm-7");
  p.set_kind(v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING);
  *p.mutable_dates()->mutable_start() = Date(2025, 4, 7);
  *p.mutable_dates()->mutable_end() = Date(2025, 9, 26);
  p.set_percentage(100);
  absl::StatusOr<ParallelMeasure> m = ToDomainParallelMeasure(p);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->kind, ParallelMeasureKind::kLabourMarketTraining);
  EXPECT_EQ(m->start, absl::CivilDay(2025, 4, 7));
  EXPECT_EQ(m->end, std::optional<absl::CivilDay>(absl::CivilDay(2025, 9, 26)));
  EXPECT_EQ(m->percentage, 100);

  p.mutable_dates()->clear_end();
  m = ToDomainParallelMeasure(p);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->end, std::nullopt);

  p.set_kind(static_cast<v1::ParallelMeasureKind>(6));
  m = ToDomainParallelMeasure(p);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->kind, ParallelMeasureKind::kSfi);
}

TEST(CaseMappingParallelMeasureTest, Errors) {
  v1::ParallelMeasure p;
  p.set_kind(v1::PARALLEL_MEASURE_KIND_VALIDATION);
  EXPECT_EQ(ToDomainParallelMeasure(p).status(),
            absl::InvalidArgumentError("measure.dates.start: required"));
  *p.mutable_dates()->mutable_start() = Date(2025, 4, 31);
  EXPECT_EQ(ToDomainParallelMeasure(p).status(),
            absl::InvalidArgumentError("measure.dates.start: not a valid date"));
  *p.mutable_dates()->mutable_start() = Date(2025, 4, 1);
  *p.mutable_dates()->mutable_end() = Date(2025, 2, 29);
  EXPECT_EQ(ToDomainParallelMeasure(p).status(),
            absl::InvalidArgumentError("measure.dates.end: not a valid date"));
  *p.mutable_dates()->mutable_end() = Date(2025, 5, 1);
  p.set_kind(static_cast<v1::ParallelMeasureKind>(7));
  EXPECT_EQ(ToDomainParallelMeasure(p).status(),
            absl::InvalidArgumentError("measure.kind: 7 is not a known ParallelMeasureKind"));
}

}  // namespace
}  // namespace rusta::referral
