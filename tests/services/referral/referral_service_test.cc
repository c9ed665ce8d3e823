// The referral service end to end (the fixture in referral_fixture.h): the whole path with an
// active choice, the default assignment after the deadline (exactly once with two replicas running
// the scheduler), provider changes and the frequent-change flag, parallel measures, prolongation,
// maximum time, pause/resume, every report type, the caseworker queues, handling times, racing
// replicas, access per role, bad input, results and the rating input, the events on
// "events:referral" and the audit chain of each case.
#include "tests/services/referral/referral_fixture.h"

namespace rusta::referral {
namespace {

// ---------------------------------------------------------------------------------------------
// The whole path with an active choice.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, WholePathWithActiveChoiceFromAssessmentToReviewedFinalReport) {
  Start();
  StandardProviders();
  const std::string person = NextPerson();
  const v1::Assessment a = MustAssess(person);
  ASSERT_EQ(a.result().outcome(), v1::ASSESSMENT_OUTCOME_IN_BETWEEN);
  const absl::Time t0 = clock_.Now();

  // Created with the assessment: ASSESSED, a decision item waiting.
  v1::Case c = MustCreate(person, a.assessment_id());
  ASSERT_FALSE(c.case_id().empty());
  EXPECT_EQ(c.person_id(), person);
  EXPECT_EQ(c.state(), v1::CASE_STATE_ASSESSED);
  EXPECT_EQ(c.assessment_id(), a.assessment_id());
  EXPECT_EQ(c.version(), 1);
  EXPECT_THAT(Kinds(c), ElementsAreArray({v1::CASE_TRANSITION_KIND_CREATE, v1::CASE_TRANSITION_KIND_ATTACH_ASSESSMENT}));
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DECISIONS).depth(), 1);

  // A caseworker claims the decision an hour later and decides half an hour after that.
  clock_.Advance(absl::Hours(1));
  v1::ClaimWorkResponse claimed = Claim("caseworker", v1::REFERRAL_QUEUE_DECISIONS);
  ASSERT_TRUE(claimed.has_item());
  EXPECT_EQ(claimed.item().case_id(), c.case_id());
  EXPECT_EQ(claimed.item().kind(), "DECISION");
  EXPECT_EQ(claimed.item().claimed_by(), kCaseworkerUri);
  EXPECT_EQ(claimed.case_record().case_id(), c.case_id());
  clock_.Advance(absl::Minutes(30));
  v1::DecideRequest decide = ReferReq(c, a.result().level(), c.version());
  decide.set_request_id(Rid());
  decide.set_queue_item_id(claimed.item().item_id());
  v1::DecideResponse decided;
  grpc::Status s = Call("caseworker", &RStub::Decide, decide, &decided);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = decided.case_record();
  const absl::CivilDay decided_on(2026, 3, 2);
  EXPECT_EQ(c.state(), v1::CASE_STATE_AWAITING_CHOICE);
  EXPECT_EQ(c.version(), 2);
  EXPECT_EQ(Str(c.decision().decided_on()), Str(decided_on));
  EXPECT_EQ(Str(c.decision().choice_deadline()), Str(decided_on + 14));
  EXPECT_EQ(c.decision().assessment_id(), a.assessment_id());
  EXPECT_EQ(c.decision().level(), a.result().level());
  EXPECT_EQ(c.level(), a.result().level());
  EXPECT_EQ(c.decision().decided_by().id(), kCaseworkerUri);
  EXPECT_FALSE(c.decision().rule_version().empty());
  EXPECT_THAT(Kinds(c), ElementsAreArray({v1::CASE_TRANSITION_KIND_CREATE, v1::CASE_TRANSITION_KIND_ATTACH_ASSESSMENT,
                                          v1::CASE_TRANSITION_KIND_DECIDE, v1::CASE_TRANSITION_KIND_OPEN_CHOICE}));
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DECISIONS).depth(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DECISIONS).pending(), 0);

  // The assessment service now links exactly this run to the decision.
  const v1::Assessment linked = GetAssessment(a.assessment_id());
  ASSERT_TRUE(linked.has_decision_link());
  EXPECT_EQ(linked.decision_link().case_id(), c.case_id());
  EXPECT_EQ(linked.decision_link().decision_id(), c.decision().decision_id());
  EXPECT_EQ(linked.decision_link().linked_by().id(), kReferralUri);

  // Deciding again: not allowed in AWAITING_CHOICE.
  decide.set_request_id(Rid());
  decide.set_expected_version(c.version());
  decide.clear_queue_item_id();
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.transition"));

  // The participant chooses, two days later, a provider the registry returns for the home.
  clock_.Advance(absl::Hours(48));
  v1::SearchProvidersRequest search;
  search.mutable_home()->set_municipality_code("1480");
  search.set_page_size(100);
  v1::SearchProvidersResponse found;
  ASSERT_TRUE(Invoke(Reg("caseworker"), &RegStub::SearchProviders, search, &found).ok());
  std::map<std::string, std::string> names;
  for (const auto& r : found.results()) names[r.organisation_number()] = r.name();
  ASSERT_EQ(names.size(), 3u);
  ASSERT_EQ(names.count(kProviderOrg), 1u);
  c = MustChoose(c, kProviderOrg);
  EXPECT_EQ(c.state(), v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_ACTIVE);
  EXPECT_EQ(c.current_provider().organisation_number(), kProviderOrg);
  EXPECT_EQ(c.current_provider().provider_name(), names[kProviderOrg]);
  EXPECT_EQ(c.current_provider().choice_kind(), v1::CHOICE_KIND_ACTIVE);
  EXPECT_EQ(Str(c.current_provider().assigned_on()), "2026-03-04");
  ASSERT_EQ(c.provider_history_size(), 1);

  // Start on Monday 9 March: period 1 is six months, the maximum twelve.
  const absl::CivilDay start(2026, 3, 9);
  c = MustStart(c, start);
  EXPECT_EQ(c.state(), v1::CASE_STATE_ACTIVE);
  EXPECT_EQ(Str(c.started_on()), Str(start));
  ASSERT_EQ(c.service_periods_size(), 1);
  EXPECT_EQ(c.service_periods(0).number(), 1);
  EXPECT_EQ(Str(c.service_periods(0).dates().start()), Str(start));
  EXPECT_EQ(Str(c.service_periods(0).dates().end()), Str(PlusMonths(start, 6) - 1));
  EXPECT_EQ(Str(c.maximum_end_date()), Str(PlusMonths(start, 12) - 1));
  EXPECT_EQ(Str(PlusMonths(start, 6) - 1), "2026-09-08");  // sanity of the own arithmetic

  // Monthly reports: March on 1 April (confirmed by the participant), April on 4 May.
  clock_.Set(Stockholm(2026, 4, 1, 10));
  const int march = PossibleHoursOf(start, std::nullopt, 2026, 3);
  EXPECT_EQ(march, 132);  // 23 days: ceil(40 × 23 / 7)
  v1::CaseReport r1;
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 4), Hours(v1::ACTIVITY_CATEGORY_PRACTICAL_SUPPORT, 20),
               Hours(v1::ACTIVITY_CATEGORY_EMPLOYER_CONTACTS, march - 24)},
              &r1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r1.kind(), v1::CASE_REPORT_KIND_MONTHLY);
  EXPECT_EQ(r1.status(), v1::CASE_REPORT_STATUS_SUBMITTED);
  EXPECT_EQ(r1.revision(), 1);
  EXPECT_EQ(r1.organisation_number(), kProviderOrg);
  for (const auto& act : r1.monthly().activities()) EXPECT_EQ(act.confirmation(), v1::ITEM_CONFIRMATION_PENDING);
  v1::ConfirmMonthlyReportRequest confirm;
  confirm.set_request_id(Rid());
  confirm.set_report_id(r1.report_id());
  confirm.set_expected_version(r1.version());
  for (auto cat : {v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, v1::ACTIVITY_CATEGORY_PRACTICAL_SUPPORT,
                   v1::ACTIVITY_CATEGORY_EMPLOYER_CONTACTS}) {
    auto* item = confirm.add_items();
    item->set_category(cat);
    item->set_confirmation(v1::ITEM_CONFIRMATION_CONFIRMED);
  }
  v1::ConfirmMonthlyReportResponse confirmed;
  s = Call("caseworker", &RStub::ConfirmMonthlyReport, confirm, &confirmed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(confirmed.report().status(), v1::CASE_REPORT_STATUS_CONFIRMED);
  EXPECT_EQ(confirmed.report().version(), r1.version() + 1);
  clock_.Set(Stockholm(2026, 5, 4, 10));
  v1::CaseReport r2;
  s = Monthly("provider", c.case_id(), 2026, 4, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 30)}, &r2);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The participant gets a job: the case ends on 20 May.
  clock_.Set(Stockholm(2026, 5, 20, 14));
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(c.case_id());
  end.set_expected_version(GetCase(c.case_id()).version());
  end.set_reason(v1::END_REASON_WORK);
  *end.mutable_end_date() = D(2026, 5, 20);
  v1::EndResponse ended;
  s = Call("caseworker", &RStub::End, end, &ended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = ended.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(c.end().reason(), v1::END_REASON_WORK);
  EXPECT_EQ(Str(c.end().end_date()), "2026-05-20");
  EXPECT_EQ(Str(c.end().result_report_deadline()), Str(PlusMonths(absl::CivilDay(2026, 5, 20), 2)));
  EXPECT_EQ(Str(c.provider_history(0).ended_on()), "2026-05-20");

  // The final report: rejected with a reason, then a new one approved; both through the queue.
  v1::SubmitFinalReportRequest fin;
  fin.set_request_id(Rid());
  fin.set_case_id(c.case_id());
  fin.mutable_report()->set_activities("Kartläggning, arbetsgivarkontakter");
  fin.mutable_report()->set_what_worked("Praktik");
  v1::SubmitFinalReportResponse fin1;
  s = Call("provider", &RStub::SubmitFinalReport, fin, &fin1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(fin1.report().status(), v1::CASE_REPORT_STATUS_IN_REVIEW);
  fin.set_request_id(Rid());
  EXPECT_EQ(Try("provider", &RStub::SubmitFinalReport, fin).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_FINAL_REPORTS).depth(), 1);
  v1::ClaimWorkResponse fitem = Claim("caseworker", v1::REFERRAL_QUEUE_FINAL_REPORTS);
  ASSERT_TRUE(fitem.has_item());
  EXPECT_EQ(fitem.item().kind(), "FINAL_REPORT");
  EXPECT_EQ(fitem.report().report_id(), fin1.report().report_id());
  // A final report item is completed by the review, not by CompleteWork.
  EXPECT_EQ(Complete("caseworker", fitem.item().item_id(), v1::WORK_OUTCOME_APPROVED).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::ReviewFinalReportRequest review;
  review.set_request_id(Rid());
  review.set_report_id(fin1.report().report_id());
  review.set_decision(v1::CASE_REPORT_STATUS_REJECTED);
  EXPECT_EQ(Try("caseworker", &RStub::ReviewFinalReport, review).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  review.set_request_id(Rid());
  review.set_reason("Saknar redogörelse för vad som inte fungerade");
  review.set_queue_item_id(fitem.item().item_id());
  v1::ReviewFinalReportResponse reviewed;
  s = Call("caseworker", &RStub::ReviewFinalReport, review, &reviewed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reviewed.report().status(), v1::CASE_REPORT_STATUS_REJECTED);
  EXPECT_EQ(reviewed.report().review().reason(), "Saknar redogörelse för vad som inte fungerade");
  EXPECT_EQ(reviewed.report().review().reviewed_by().id(), kCaseworkerUri);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_FINAL_REPORTS).pending(), 0);
  fin.set_request_id(Rid());
  fin.mutable_report()->set_what_did_not_work("CV-skrivning");
  fin.mutable_report()->set_why("Deltagaren hade redan ett CV");
  v1::SubmitFinalReportResponse fin2;
  s = Call("provider", &RStub::SubmitFinalReport, fin, &fin2);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(fin2.report().report_id(), fin1.report().report_id());
  fitem = Claim("caseworker", v1::REFERRAL_QUEUE_FINAL_REPORTS);
  ASSERT_TRUE(fitem.has_item());
  review.set_request_id(Rid());
  review.set_report_id(fin2.report().report_id());
  review.set_decision(v1::CASE_REPORT_STATUS_APPROVED);
  review.set_reason("");
  review.set_queue_item_id(fitem.item().item_id());
  s = Call("caseworker", &RStub::ReviewFinalReport, review, &reviewed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reviewed.report().status(), v1::CASE_REPORT_STATUS_APPROVED);

  // Events: one CaseEvent per transition on "events:referral", in order, with the history's ids.
  c = GetCase(c.case_id());
  const std::vector<StreamEvent> events = CaseEvents(c.case_id());
  const std::vector<v1::CaseTransitionKind> expected_kinds = {
      v1::CASE_TRANSITION_KIND_CREATE,           v1::CASE_TRANSITION_KIND_ATTACH_ASSESSMENT,
      v1::CASE_TRANSITION_KIND_DECIDE,           v1::CASE_TRANSITION_KIND_OPEN_CHOICE,
      v1::CASE_TRANSITION_KIND_CHOOSE_PROVIDER,  v1::CASE_TRANSITION_KIND_START,
      v1::CASE_TRANSITION_KIND_END};
  EXPECT_THAT(Kinds(c), ElementsAreArray(expected_kinds));
  ASSERT_EQ(events.size(), expected_kinds.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::CaseEvent& e = events[i].event;
    EXPECT_EQ(e.transition(), expected_kinds[i]) << i;
    EXPECT_EQ(e.sequence(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.event_id(), c.history(i).event_id());
    EXPECT_EQ(e.event_id(), absl::StrCat(c.case_id(), "#", i + 1));
    EXPECT_EQ(e.person_id(), person);
    EXPECT_EQ(e.case_version(), c.history(i).case_version());
    EXPECT_EQ(e.from_state(), c.history(i).from_state());
    EXPECT_EQ(e.to_state(), c.history(i).to_state());
    if (i > 0) { EXPECT_GE(e.case_version(), events[i - 1].event.case_version()); }
  }
  EXPECT_EQ(events[2].event.decision().assessment_id(), a.assessment_id());
  EXPECT_EQ(Str(events[2].event.decision().choice_deadline()), Str(decided_on + 14));
  EXPECT_EQ(events[4].event.organisation_number(), kProviderOrg);
  EXPECT_EQ(events[4].event.provider_assigned().choice_kind(), v1::CHOICE_KIND_ACTIVE);
  EXPECT_EQ(Str(events[5].event.effective_date()), Str(start));
  EXPECT_EQ(Str(events[5].event.start().period_end()), "2026-09-08");
  EXPECT_EQ(events[6].event.end().reason(), v1::END_REASON_WORK);
  EXPECT_EQ(Str(events[6].event.end().end_date()), "2026-05-20");

  // Audit: every change is in the case's own chain, and the chains verify.
  const auto audit = CaseAudit(c.case_id());
  std::set<std::string> actions;
  int64_t seq = 0;
  for (const auto& e : audit) {
    EXPECT_EQ(e.chain(), "case/" + c.case_id());
    EXPECT_EQ(e.seq(), ++seq);
    actions.insert(e.event().action());
  }
  for (const char* m : {"referral.CreateCase", "referral.Decide", "referral.ChooseProvider", "referral.Start",
                        "referral.SubmitMonthlyReport", "referral.End", "referral.ReviewFinalReport"}) {
    EXPECT_EQ(actions.count(m), 1u) << m;
  }
  v1::VerifyAuditChainResponse verified;
  ASSERT_TRUE(Invoke(Aud("auditor"), &AuditStub::VerifyAuditChain, v1::VerifyAuditChainRequest(), &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.description();

  // Handling time: 1 h before the decision, 30 min in it, 48 h from decision to choice.
  v1::GetHandlingTimeReportRequest ht;
  *ht.mutable_period()->mutable_start() = D(2026, 3, 1);
  *ht.mutable_period()->mutable_end() = D(2026, 5, 31);
  v1::GetHandlingTimeReportResponse report;
  s = Call("caseworker", &RStub::GetHandlingTimeReport, ht, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(report.before_decision().count(), 1);
  EXPECT_EQ(report.before_decision().mean().seconds(), 3600);
  EXPECT_EQ(report.in_decision().count(), 1);
  EXPECT_EQ(report.in_decision().mean().seconds(), 1800);
  EXPECT_EQ(report.after_decision().count(), 1);
  EXPECT_EQ(report.after_decision().mean().seconds(), 48 * 3600);
  std::map<std::string, int64_t> handled;
  for (const auto& q : report.queues()) handled[q.queue()] = q.total().count();
  EXPECT_EQ(handled["referral.decisions"], 1);
  EXPECT_EQ(handled["referral.final-reports"], 2);
  (void)t0;
}

// ---------------------------------------------------------------------------------------------
// Default assignment after the deadline: exactly once, with two replicas running the scheduler.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, DefaultAssignmentAfterTheDeadlineHappensExactlyOnceWithTwoSchedulers) {
  Start(2, [](ReferralConfig& c) { c.scheduler_interval_ms = 50; });
  // The nearest provider takes 3 default assignments; the next nearest is unlimited.
  const Point home = MunicipalityPoint("1480");
  const ProviderSpec near{kProviderOrg, "Rusta Väst AB", {home.lat + 0.002, home.lon}, 3};
  const ProviderSpec second{provider2_, "Matcha Mölndal AB", {57.6554, 12.0138}, 0};
  const ProviderSpec far{provider3_, "Jobbhjälpen Borås AB", {57.7210, 12.9401}, 0};
  BuildProviders({near, second, far});
  std::vector<ProviderSpec> by_distance = {near, second, far};
  std::sort(by_distance.begin(), by_distance.end(), [&](const ProviderSpec& a, const ProviderSpec& b) {
    return Haversine(home.lat, home.lon, a.office.lat, a.office.lon) <
           Haversine(home.lat, home.lon, b.office.lat, b.office.lon);
  });
  ASSERT_EQ(by_distance[0].org, kProviderOrg);
  ASSERT_EQ(by_distance[1].org, provider2_);

  constexpr int kCases = 5;
  std::vector<v1::Case> cases;
  for (int i = 0; i < kCases; ++i) cases.push_back(MustAwaitChoice());
  const absl::CivilDay deadline = absl::CivilDay(2026, 3, 2) + 14;
  for (const auto& c : cases) EXPECT_EQ(Str(c.decision().choice_deadline()), Str(deadline));

  // What the registry itself says for this home on the day after the deadline (a dry run).
  v1::FindNearestProviderRequest dry;
  dry.mutable_home()->set_postal_code("41301");
  *dry.mutable_as_of() = D(deadline + 1);
  v1::FindNearestProviderResponse nearest_first;
  ASSERT_TRUE(Invoke(Reg("caseworker"), &RegStub::FindNearestProvider, dry, &nearest_first).ok());
  EXPECT_EQ(nearest_first.provider().organisation_number(), kProviderOrg);

  // The last day of the choice: nothing happens.
  clock_.Set(Stockholm(2026, 3, 16, 23, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  for (const auto& c : cases) EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_AWAITING_CHOICE);

  // The day after: both schedulers run, every case gets exactly one default assignment.
  clock_.Set(Stockholm(2026, 3, 17, 0, 5));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (bool all = false; !all && std::chrono::steady_clock::now() < give_up;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    all = true;
    for (const auto& c : cases) all = all && GetCase(c.case_id()).state() == v1::CASE_STATE_ASSIGNED;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // let any duplicate show itself

  // A dry run now: the nearest is full, the second one answers (its reason says so).
  v1::FindNearestProviderResponse nearest_after;
  ASSERT_TRUE(Invoke(Reg("caseworker"), &RegStub::FindNearestProvider, dry, &nearest_after).ok());
  EXPECT_EQ(nearest_after.provider().organisation_number(), provider2_);

  std::map<std::string, int> per_provider;
  for (const auto& before : cases) {
    const v1::Case c = GetCase(before.case_id());
    ASSERT_EQ(c.state(), v1::CASE_STATE_ASSIGNED) << c.case_id();
    EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_DEFAULT);
    EXPECT_EQ(c.current_provider().choice_kind(), v1::CHOICE_KIND_DEFAULT);
    EXPECT_EQ(Str(c.current_provider().assigned_on()), Str(deadline + 1));
    EXPECT_EQ(CountKind(c, v1::CASE_TRANSITION_KIND_ASSIGN_DEFAULT_PROVIDER), 1) << c.case_id();
    EXPECT_EQ(c.history(c.history_size() - 1).actor().id(), kReferralUri);
    const std::string org = c.current_provider().organisation_number();
    ++per_provider[org];
    const v1::FindNearestProviderResponse& registry_said = org == kProviderOrg ? nearest_first : nearest_after;
    EXPECT_EQ(c.current_provider().registry_reason(), registry_said.reason());
    EXPECT_EQ(c.current_provider().registry_rule_version(), registry_said.rule_version());
    int events = 0;
    for (const auto& e : CaseEvents(c.case_id())) {
      if (e.event.transition() != v1::CASE_TRANSITION_KIND_ASSIGN_DEFAULT_PROVIDER) continue;
      ++events;
      EXPECT_EQ(e.event.provider_assigned().choice_kind(), v1::CHOICE_KIND_DEFAULT);
      EXPECT_EQ(e.event.provider_assigned().registry_reason(), registry_said.reason());
      EXPECT_EQ(e.event.organisation_number(), org);
    }
    EXPECT_EQ(events, 1) << c.case_id();
  }
  // Own capacity bookkeeping: 3 to the nearest, the rest to the next one.
  EXPECT_EQ(per_provider[kProviderOrg], 3);
  EXPECT_EQ(per_provider[provider2_], kCases - 3);
  // The registry's counters: each case reserved once.
  int64_t total = 0;
  for (const auto& [key, n] : RegistryAssignments()) {
    total += n;
    if (absl::StartsWith(key, kProviderOrg)) { EXPECT_EQ(n, 3) << key; }
    if (absl::StartsWith(key, provider2_)) { EXPECT_EQ(n, kCases - 3) << key; }
  }
  EXPECT_EQ(total, kCases);

  // An active choice after the deadline is refused.
  v1::Case late = MustAwaitChoice();
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(late.case_id());
  choose.set_organisation_number(provider3_);
  *choose.mutable_chosen_on() = D(absl::CivilDay(2026, 3, 17) + 15);  // after its own deadline
  clock_.Set(Stockholm(2026, 4, 2, 10));
  grpc::Status s = Try("caseworker", &RStub::ChooseProvider, choose);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.choice"));
}

TEST_F(ReferralServiceTest, DefaultAssignmentIsOnlyForTheSchedulerAndOnlyAfterTheDeadline) {
  Start();
  StandardProviders();
  v1::Case c = MustAwaitChoice();
  v1::AssignDefaultProviderRequest req;
  req.set_request_id(Rid());
  req.set_case_id(c.case_id());
  grpc::Status s = Try("caseworker", &RStub::AssignDefaultProvider, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  // Before the deadline the scheduler finds nothing due; the registry reserves nothing.
  clock_.Set(Stockholm(2026, 3, 16, 12));
  auto handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 0);
  EXPECT_TRUE(RegistryAssignments().empty());
  clock_.Set(Stockholm(2026, 3, 17, 8));
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 1);
  c = GetCase(c.case_id());
  EXPECT_EQ(c.state(), v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_DEFAULT);
  EXPECT_EQ(c.current_provider().organisation_number(), kProviderOrg);  // its office is nearest
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok());
  EXPECT_EQ(*handled, 0);
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_ASSIGN_DEFAULT_PROVIDER), 1);
}

// ---------------------------------------------------------------------------------------------
// Two replicas racing on the same case.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ReplicasRacingWithTheSameExpectedVersionOneWinsTheOtherIsAborted) {
  Start(2);
  StandardProviders();
  const absl::CivilDay start(2026, 3, 2);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 6, 1, 10));
  for (int round = 0; round < 6; ++round) {
    const int64_t version = GetCase(c.case_id()).version();
    const bool pausing = round % 2 == 0;
    auto attempt = [&](int replica, std::shared_future<void> go) -> grpc::Status {
      go.wait();
      if (pausing) {
        v1::PauseRequest req;
        req.set_request_id(absl::StrCat("race-", round, "-", replica));
        req.set_case_id(c.case_id());
        req.set_expected_version(version);
        req.set_reason(v1::PAUSE_REASON_SICK);
        *req.mutable_from_date() = D(start + 10 * round + 1);
        return Try("caseworker", &RStub::Pause, req, replica);
      }
      v1::ResumeRequest req;
      req.set_request_id(absl::StrCat("race-", round, "-", replica));
      req.set_case_id(c.case_id());
      req.set_expected_version(version);
      *req.mutable_resume_date() = D(start + 10 * round + 5);
      return Try("caseworker", &RStub::Resume, req, replica);
    };
    std::promise<void> go;
    std::shared_future<void> ready = go.get_future().share();
    auto a = std::async(std::launch::async, attempt, 0, ready);
    auto b = std::async(std::launch::async, attempt, 1, ready);
    go.set_value();
    const grpc::Status sa = a.get(), sb = b.get();
    EXPECT_NE(sa.ok(), sb.ok()) << round << ": " << sa.error_message() << " / " << sb.error_message();
    const grpc::Status& loser = sa.ok() ? sb : sa;
    EXPECT_EQ(loser.error_code(), grpc::StatusCode::ABORTED) << round << ": " << loser.error_message();
    const v1::Case now = GetCase(c.case_id());
    EXPECT_EQ(now.version(), version + 1);
    EXPECT_EQ(now.paused(), pausing);
  }
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_PAUSE), 3);
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_RESUME), 3);
}

// A claim and its request_id are one atomic call: concurrent claims with one request_id, on two
// replicas, get one and the same item; the other items stay waiting.
TEST_F(ReferralServiceTest, ConcurrentClaimsWithOneRequestIdGetTheSameItem) {
  Start(2);
  StandardProviders();
  for (int i = 0; i < 4; ++i) {
    const std::string person = NextPerson();
    MustCreate(person, MustAssess(person).assessment_id());
  }
  ASSERT_EQ(Stats(v1::REFERRAL_QUEUE_DECISIONS).depth(), 4);
  Ref("caseworker", 0), Ref("caseworker", 1);  // the fixture's stubs are made lazily, not thread-safely
  std::promise<void> go;
  std::shared_future<void> ready = go.get_future().share();
  std::vector<std::future<std::pair<grpc::Status, std::string>>> claims;
  for (int i = 0; i < 4; ++i) {
    claims.push_back(std::async(std::launch::async, [&, i] {
      ready.wait();
      v1::ClaimWorkRequest req;
      req.set_request_id("one-claim");
      req.set_queue(v1::REFERRAL_QUEUE_DECISIONS);
      v1::ClaimWorkResponse resp;
      grpc::Status s = Call("caseworker", &RStub::ClaimWork, req, &resp, i % 2);
      return std::make_pair(s, resp.item().item_id());
    }));
  }
  go.set_value();
  std::set<std::string> items;
  for (auto& f : claims) {
    auto [s, item] = f.get();
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(item.empty());
    items.insert(item);
  }
  EXPECT_EQ(items.size(), 1u);
  const v1::QueueStats stats = Stats(v1::REFERRAL_QUEUE_DECISIONS);
  EXPECT_EQ(stats.pending(), 1);
  EXPECT_EQ(stats.depth(), 3);
}

// A remembered claim whose work is no longer needed (the case was decided meanwhile) is replaced:
// the same request_id then names the next item, and the stale one has left the queue.
TEST_F(ReferralServiceTest, ARepeatedClaimOfStaleWorkMovesOnToTheNextItem) {
  Start();
  StandardProviders();
  const std::string p1 = NextPerson(), p2 = NextPerson();
  const v1::Assessment a1 = MustAssess(p1);
  const v1::Case first = MustCreate(p1, a1.assessment_id());
  clock_.Advance(absl::Minutes(1));
  const v1::Case second = MustCreate(p2, MustAssess(p2).assessment_id());
  v1::ClaimWorkRequest req;
  req.set_request_id("claim-then-decided");
  req.set_queue(v1::REFERRAL_QUEUE_DECISIONS);
  v1::ClaimWorkResponse a;
  ASSERT_TRUE(Call("caseworker", &RStub::ClaimWork, req, &a).ok());
  ASSERT_EQ(a.item().case_id(), first.case_id());
  // The first case is decided without the queue item (by another caseworker).
  v1::DecideRequest decide = ReferReq(GetCase(first.case_id()), a1.result().level(), 0);
  decide.set_request_id(Rid());
  const grpc::Status decided = Try("caseworker", &RStub::Decide, decide);
  ASSERT_TRUE(decided.ok()) << decided.error_message();
  v1::ClaimWorkResponse b;
  ASSERT_TRUE(Call("caseworker", &RStub::ClaimWork, req, &b).ok());
  EXPECT_EQ(b.item().case_id(), second.case_id());
  const v1::QueueStats stats = Stats(v1::REFERRAL_QUEUE_DECISIONS);
  EXPECT_EQ(stats.pending(), 1);
  EXPECT_EQ(stats.depth(), 0);
}

// Pages continue from where the last one stopped, even when the index changes in between (an
// offset would skip a case once an earlier one left it); a provider's page is one audit event
// naming every case on it; a token reused with other filters is refused.
TEST_F(ReferralServiceTest, ListCasesPagesByCursorAndAuditsAProvidersPageOnce) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 2);
  std::set<std::string> active;
  for (int i = 0; i < 5; ++i) active.insert(MustActive(kProviderOrg, start).case_id());
  clock_.Set(Stockholm(2026, 4, 1, 9));

  v1::ListCasesRequest req;
  req.set_page_size(2);
  v1::ListCasesResponse first;
  ASSERT_TRUE(Call("provider", &RStub::ListCases, req, &first).ok());
  ASSERT_EQ(first.cases_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  std::set<std::string> seen = {first.cases(0).case_id(), first.cases(1).case_id()};

  // One audit event for the page, naming both cases and both persons.
  v1::ListAuditEventsRequest audit_req;
  audit_req.set_page_size(100);
  audit_req.mutable_subject()->set_kind(v1::SUBJECT_KIND_CASE);
  audit_req.mutable_subject()->set_id(first.cases(0).case_id());
  v1::ListAuditEventsResponse audit;
  ASSERT_TRUE(Invoke(Aud("auditor"), &AuditStub::ListAuditEvents, audit_req, &audit).ok());
  int page_events = 0;
  for (const auto& e : audit.events()) {
    if (e.event().action() != "referral.ListCases") continue;
    ++page_events;
    int cases = 0, persons = 0;
    for (const auto& subject : e.event().subjects()) {
      cases += subject.kind() == v1::SUBJECT_KIND_CASE && seen.count(subject.id());
      persons += subject.kind() == v1::SUBJECT_KIND_PERSON;
    }
    EXPECT_EQ(cases, 2);
    EXPECT_EQ(persons, 2);
  }
  EXPECT_EQ(page_events, 1);

  // One case of the first page ends: it leaves the provider's index before the next page is read.
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(first.cases(0).case_id());
  end.set_reason(v1::END_REASON_WORK);
  *end.mutable_end_date() = D(absl::CivilDay(2026, 4, 1));
  const grpc::Status ended = Try("caseworker", &RStub::End, end);
  ASSERT_TRUE(ended.ok()) << ended.error_message();

  std::string token = first.next_page_token();
  for (int guard = 0; guard < 5 && !token.empty(); ++guard) {
    v1::ListCasesRequest next = req;
    next.set_page_token(token);
    v1::ListCasesResponse page;
    const grpc::Status s = Call("provider", &RStub::ListCases, next, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const v1::Case& c : page.cases()) EXPECT_TRUE(seen.insert(c.case_id()).second) << "repeated " << c.case_id();
    token = page.next_page_token();
  }
  EXPECT_EQ(seen, active);  // nothing skipped, nothing repeated

  v1::ListCasesRequest other = req;
  other.add_states(v1::CASE_STATE_ACTIVE);
  other.set_page_token(first.next_page_token());
  const grpc::Status refused = Try("provider", &RStub::ListCases, other);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("page_token"));
  v1::ListCasesRequest forged = req;
  forged.set_page_token("2");
  EXPECT_EQ(Try("provider", &RStub::ListCases, forged).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A provider's attempt at a case that was never its own is NOT_FOUND, and audited as refused.
TEST_F(ReferralServiceTest, AProvidersRefusedReadOfAnotherProvidersCaseIsAudited) {
  Start();
  StandardProviders();
  const v1::Case c = MustActive(kProviderOrg, absl::CivilDay(2026, 3, 2));
  v1::GetCaseRequest get;
  get.set_case_id(c.case_id());
  EXPECT_EQ(Try("provider2", &RStub::GetCase, get).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListAuditEventsRequest req;
  req.set_page_size(100);
  req.mutable_subject()->set_kind(v1::SUBJECT_KIND_CASE);
  req.mutable_subject()->set_id(c.case_id());
  v1::ListAuditEventsResponse audit;
  ASSERT_TRUE(Invoke(Aud("auditor"), &AuditStub::ListAuditEvents, req, &audit).ok());
  int refused = 0;
  for (const auto& e : audit.events()) {
    if (e.event().outcome() != v1::AUDIT_OUTCOME_DENIED) continue;
    ++refused;
    EXPECT_EQ(e.event().action(), "referral.GetCase");
    EXPECT_THAT(e.event().actor_id(), HasSubstr("provider/"));
    EXPECT_THAT(e.event().actor_id(), ::testing::Not(HasSubstr(kProviderOrg)));
  }
  EXPECT_EQ(refused, 1);
}

// Dates a client gives are bounded: not before the facts they rest on, not in the future, not
// further back than the window; and a choice registered after its deadline is refused whatever
// date it claims (the default assignment applies).
TEST_F(ReferralServiceTest, ClientDatesAreBoundedAndALateChoiceCannotBeBackdated) {
  Start();
  StandardProviders();
  const std::string person = NextPerson();
  const v1::Assessment a = MustAssess(person);
  const v1::Case c = MustCreate(person, a.assessment_id());
  const absl::CivilDay today = server::SwedishDay(clock_.Now());
  v1::DecideRequest decide = ReferReq(c, a.result().level(), 0);
  decide.set_request_id(Rid());
  *decide.mutable_refer()->mutable_decided_on() = D(today - 1);  // the day before the assessment
  grpc::Status s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("refer.decided_on"));
  EXPECT_THAT(s.error_message(), HasSubstr("before the assessment"));
  *decide.mutable_refer()->mutable_decided_on() = D(today + 1);
  decide.set_request_id(Rid());
  EXPECT_EQ(Try("caseworker", &RStub::Decide, decide).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_ASSESSED);

  // Decided today; the deadline passes; a choice dated back inside the window is still too late.
  const v1::Case awaiting = MustAwaitChoice();
  const absl::CivilDay decided = server::SwedishDay(clock_.Now());
  clock_.Advance(absl::Hours(24 * 20));
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(awaiting.case_id());
  choose.set_organisation_number(kProviderOrg);
  *choose.mutable_chosen_on() = D(decided + 1);
  s = Try("caseworker", &RStub::ChooseProvider, choose);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("deadline"));
  // Further back than the window is refused as such.
  clock_.Advance(absl::Hours(24 * 40));
  choose.set_request_id(Rid());
  s = Try("caseworker", &RStub::ChooseProvider, choose);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("days back"));
}

// A negative expected_version is a client's mistake, never "no check": refused, and nothing moves.
TEST_F(ReferralServiceTest, NegativeExpectedVersionIsInvalidAndChangesNothing) {
  Start();
  StandardProviders();
  const v1::Case awaiting = MustAwaitChoice();
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(awaiting.case_id());
  choose.set_expected_version(-1);
  choose.set_organisation_number(kProviderOrg);
  grpc::Status s = Try("caseworker", &RStub::ChooseProvider, choose);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("expected_version"));
  EXPECT_EQ(GetCase(awaiting.case_id()).version(), awaiting.version());

  const v1::Case assigned = MustChoose(GetCase(awaiting.case_id()), kProviderOrg);
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(assigned.case_id());
  end.set_expected_version(-1);
  end.set_reason(v1::END_REASON_WORK);
  end.set_note("prov");
  s = Try("caseworker", &RStub::End, end);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  const v1::Case after = GetCase(assigned.case_id());
  EXPECT_EQ(after.state(), assigned.state());
  EXPECT_EQ(after.version(), assigned.version());
}

// expected_version 0 means "on whatever is current": many writers on one case, from two replicas,
// all succeed (a lost race is retried until the call's deadline), none is ABORTED.
TEST_F(ReferralServiceTest, ExpectedVersionZeroUnderContentionAlwaysSucceeds) {
  Start(2);
  StandardProviders();
  const v1::Case c = MustActive(kProviderOrg, absl::CivilDay(2026, 3, 2));
  clock_.Set(Stockholm(2026, 4, 1, 9));
  constexpr int kWriters = 16;
  Ref("provider", 0), Ref("provider", 1);  // the fixture's stubs are made lazily, not thread-safely
  std::promise<void> go;
  std::shared_future<void> ready = go.get_future().share();
  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < kWriters; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      ready.wait();
      v1::SubmitInformativeReportRequest req;
      req.set_request_id(absl::StrCat("contended-", i));
      req.set_case_id(c.case_id());
      req.mutable_report()->set_kind(v1::INFORMATIVE_REPORT_KIND_OTHER_SUPPORT);
      req.mutable_report()->set_description(absl::StrCat("Rapport ", i));
      return Try("provider", &RStub::SubmitInformativeReport, req, i % 2);
    }));
  }
  go.set_value();
  int ok = 0;
  for (auto& f : calls) {
    const grpc::Status s = f.get();
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    ok += s.ok();
  }
  EXPECT_EQ(ok, kWriters);
}

// ---------------------------------------------------------------------------------------------
// Prolongation and maximum time.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ProlongationAndMaximumTimeEndedByTheScheduler) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case plain = MustActive(kProviderOrg, start);
  v1::Case prolonged = MustActive(provider2_, start);
  const absl::CivilDay period1_last = PlusMonths(start, 6) - 1;
  const absl::CivilDay maximum_last = PlusMonths(start, 12) - 1;

  // Prolongation within period 1.
  clock_.Set(Stockholm(2026, 8, 20, 10));
  v1::ProlongRequest prolong;
  prolong.set_request_id(Rid());
  prolong.set_case_id(prolonged.case_id());
  prolong.set_expected_version(prolonged.version());
  EXPECT_EQ(Try("caseworker", &RStub::Prolong, prolong).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  prolong.set_justification("Behöver mer tid för matchning");
  EXPECT_EQ(Try("provider2", &RStub::Prolong, prolong).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  prolong.set_request_id(Rid());
  v1::ProlongResponse resp;
  grpc::Status s = Call("caseworker", &RStub::Prolong, prolong, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  prolonged = resp.case_record();
  ASSERT_EQ(prolonged.service_periods_size(), 2);
  EXPECT_EQ(prolonged.service_periods(1).number(), 2);
  EXPECT_EQ(Str(prolonged.service_periods(1).dates().start()), Str(period1_last + 1));
  EXPECT_EQ(Str(prolonged.service_periods(1).dates().end()), Str(maximum_last));
  EXPECT_EQ(prolonged.service_periods(1).justification(), "Behöver mer tid för matchning");
  EXPECT_EQ(Str(prolonged.maximum_end_date()), Str(maximum_last));
  prolong.set_request_id(Rid());
  prolong.set_expected_version(prolonged.version());
  s = Try("caseworker", &RStub::Prolong, prolong);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.prolong"));

  // The last day of period 1: nothing due yet.
  clock_.Set(Stockholm(2026, 9, 8, 23, 0));
  auto handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(GetCase(plain.case_id()).state(), v1::CASE_STATE_ACTIVE);
  // The day after: the unprolonged case ends with MAXIMUM_TIME on period 1's last day.
  clock_.Set(Stockholm(2026, 9, 9, 0, 30));
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  plain = GetCase(plain.case_id());
  EXPECT_EQ(plain.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(plain.end().reason(), v1::END_REASON_MAXIMUM_TIME);
  EXPECT_EQ(Str(plain.end().end_date()), Str(period1_last));
  EXPECT_EQ(plain.end().ended_by().id(), kReferralUri);
  EXPECT_EQ(GetCase(prolonged.case_id()).state(), v1::CASE_STATE_ACTIVE);
  handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok());
  EXPECT_EQ(CountKind(GetCase(plain.case_id()), v1::CASE_TRANSITION_KIND_END), 1);

  // The prolonged one at its maximum.
  clock_.Set(Stockholm(static_cast<int>(maximum_last.year()), maximum_last.month(), maximum_last.day(), 20));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(prolonged.case_id()).state(), v1::CASE_STATE_ACTIVE);
  const absl::CivilDay after = maximum_last + 1;
  clock_.Set(Stockholm(static_cast<int>(after.year()), after.month(), after.day(), 0, 30));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  prolonged = GetCase(prolonged.case_id());
  EXPECT_EQ(prolonged.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(prolonged.end().reason(), v1::END_REASON_MAXIMUM_TIME);
  EXPECT_EQ(Str(prolonged.end().end_date()), Str(maximum_last));
  const auto events = CaseEvents(prolonged.case_id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_END);
  EXPECT_EQ(events.back().event.end().reason(), v1::END_REASON_MAXIMUM_TIME);
}

// ---------------------------------------------------------------------------------------------
// Pause and resume.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, PauseAndResume) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 1, 10));
  v1::ResumeRequest resume;
  resume.set_request_id(Rid());
  resume.set_case_id(c.case_id());
  *resume.mutable_resume_date() = D(2026, 4, 2);
  grpc::Status s = Try("caseworker", &RStub::Resume, resume);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.resume"));

  v1::PauseRequest pause;
  pause.set_request_id(Rid());
  pause.set_case_id(c.case_id());
  pause.set_expected_version(c.version());
  pause.set_reason(v1::PAUSE_REASON_SICK);
  *pause.mutable_from_date() = D(2026, 4, 1);
  v1::PauseResponse paused;
  s = Call("caseworker", &RStub::Pause, pause, &paused);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = paused.case_record();
  EXPECT_TRUE(c.paused());
  ASSERT_EQ(c.pauses_size(), 1);
  EXPECT_EQ(Str(c.pauses(0).dates().start()), "2026-04-01");
  EXPECT_FALSE(c.pauses(0).dates().has_end());
  EXPECT_FALSE(c.pauses(0).stops_clock());  // the default rule
  pause.set_request_id(Rid());
  pause.set_expected_version(c.version());
  s = Try("caseworker", &RStub::Pause, pause);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.pause"));

  clock_.Set(Stockholm(2026, 4, 15, 10));
  resume.set_request_id(Rid());
  resume.set_expected_version(c.version());
  *resume.mutable_resume_date() = D(2026, 4, 15);
  v1::ResumeResponse resumed;
  s = Call("caseworker", &RStub::Resume, resume, &resumed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = resumed.case_record();
  EXPECT_FALSE(c.paused());
  EXPECT_EQ(Str(c.pauses(0).dates().end()), "2026-04-14");
  EXPECT_EQ(Str(c.maximum_end_date()), Str(PlusMonths(start, 12) - 1));  // the clock ran on
  const auto events = CaseEvents(c.case_id());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].event.transition(), v1::CASE_TRANSITION_KIND_PAUSE);
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_RESUME);
  EXPECT_EQ(Str(events.back().event.resume().resume_date()), "2026-04-15");
}

TEST_F(ReferralServiceTest, AClockStoppingPauseMovesTheMaximumTime) {
  Start(1, [](ReferralConfig& c) { c.rules.pause_stops_clock = true; });
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 1, 10));
  v1::PauseRequest pause;
  pause.set_request_id(Rid());
  pause.set_case_id(c.case_id());
  pause.set_reason(v1::PAUSE_REASON_PARENTAL_LEAVE);
  *pause.mutable_from_date() = D(2026, 4, 1);
  ASSERT_TRUE(Try("caseworker", &RStub::Pause, pause).ok());
  clock_.Set(Stockholm(2026, 4, 15, 10));
  v1::ResumeRequest resume;
  resume.set_request_id(Rid());
  resume.set_case_id(c.case_id());
  *resume.mutable_resume_date() = D(2026, 4, 15);
  v1::ResumeResponse resumed;
  ASSERT_TRUE(Call("caseworker", &RStub::Resume, resume, &resumed).ok());
  const int64_t stopped = absl::CivilDay(2026, 4, 14) - absl::CivilDay(2026, 4, 1) + 1;  // 14 days
  EXPECT_EQ(Str(resumed.case_record().maximum_end_date()), Str(PlusMonths(start, 12) - 1 + stopped));
  const absl::CivilDay period1_last = PlusMonths(start, 6) - 1 + stopped;
  clock_.Set(Stockholm(2026, 9, 9, 0, 30));  // the unmoved end has passed: still active
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_ACTIVE);
  const absl::CivilDay after = period1_last + 1;
  clock_.Set(Stockholm(static_cast<int>(after.year()), after.month(), after.day(), 0, 30));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  c = GetCase(c.case_id());
  EXPECT_EQ(c.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(Str(c.end().end_date()), Str(period1_last));
  EXPECT_EQ(c.end().reason(), v1::END_REASON_MAXIMUM_TIME);
}

// ---------------------------------------------------------------------------------------------
// Provider change and the frequent-changes flag.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ProviderChangesAndTheFrequentChangesFlagWithItsQueueItem) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 1, 10));
  auto change = [&](const std::string& org, absl::CivilDay on, v1::ChangeProviderResponse* out) {
    v1::ChangeProviderRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    req.set_expected_version(c.version());
    req.set_organisation_number(org);
    req.set_reason(v1::PROVIDER_CHANGE_REASON_PARTICIPANT_REQUEST);
    req.set_reason_text("Deltagaren vill byta");
    *req.mutable_effective_date() = D(on);
    return Call("caseworker", &RStub::ChangeProvider, req, out);
  };
  v1::ChangeProviderResponse resp;
  grpc::Status s = change(kProviderOrg, absl::CivilDay(2026, 4, 1), &resp);  // the current one
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = change(Org("556999990"), absl::CivilDay(2026, 4, 1), &resp);  // not in the registry
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.choice"));

  s = change(provider2_, absl::CivilDay(2026, 4, 1), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = resp.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ACTIVE);
  EXPECT_EQ(c.current_provider().organisation_number(), provider2_);
  EXPECT_EQ(c.current_provider().choice_kind(), v1::CHOICE_KIND_CHANGE);
  EXPECT_EQ(c.current_provider().change_reason(), v1::PROVIDER_CHANGE_REASON_PARTICIPANT_REQUEST);
  EXPECT_EQ(Str(c.current_provider().plan_started_on()), "2026-04-01");
  EXPECT_EQ(c.provider_change_count(), 1);
  ASSERT_EQ(c.provider_history_size(), 2);
  EXPECT_EQ(Str(c.provider_history(0).ended_on()), "2026-04-01");
  EXPECT_EQ(c.choice_kind(), v1::CHOICE_KIND_ACTIVE);  // how the FIRST provider came

  // The former provider no longer lists the participant and may not report for it.
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call("provider", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
  ASSERT_TRUE(Call("provider2", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_id(), c.case_id());
  s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 5)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("report.provider"));
  EXPECT_TRUE(Monthly("provider2", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 5)}).ok());
  const v1::Case old_view = GetCase(c.case_id(), "provider");
  EXPECT_FALSE(old_view.has_current_provider());

  // Two more changes within six months: the case is flagged once, with a queue item.
  ASSERT_TRUE(change(provider3_, absl::CivilDay(2026, 4, 10), &resp).ok());
  c = resp.case_record();
  EXPECT_EQ(c.flags_size(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).depth(), 0);
  ASSERT_TRUE(change(kProviderOrg, absl::CivilDay(2026, 4, 20), &resp).ok());
  c = resp.case_record();
  EXPECT_EQ(c.provider_change_count(), 3);
  ASSERT_EQ(c.flags_size(), 1);
  EXPECT_EQ(c.flags(0).kind(), v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES);
  EXPECT_FALSE(c.flags(0).has_cleared_at());
  EXPECT_EQ(c.history(c.history_size() - 1).kind(), v1::CASE_TRANSITION_KIND_FLAG);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).depth(), 1);
  const auto events = CaseEvents(c.case_id());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_FLAG);
  EXPECT_EQ(events.back().event.flag().kind(), v1::CASE_FLAG_KIND_FREQUENT_PROVIDER_CHANGES);
  EXPECT_TRUE(events.back().event.flag().raised());
  v1::ListCasesRequest flagged;
  flagged.set_flagged_only(true);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, flagged, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);

  v1::ClaimWorkResponse item = Claim("caseworker", v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS);
  ASSERT_TRUE(item.has_item());
  EXPECT_EQ(item.item().kind(), "FREQUENT_PROVIDER_CHANGES");
  EXPECT_EQ(item.item().case_id(), c.case_id());
  s = Complete("caseworker", item.item().item_id(), v1::WORK_OUTCOME_APPROVED, "Samtal med deltagaren");
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = GetCase(c.case_id());
  ASSERT_EQ(c.flags_size(), 1);
  EXPECT_TRUE(c.flags(0).has_cleared_at());
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).depth(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_PROVIDER_CHANGE_FLAGS).pending(), 0);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, flagged, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
}

// ---------------------------------------------------------------------------------------------
// Parallel measures.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, ParallelMeasuresAtMostThreeMonthsAndLongTrainingEndsTheCase) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 3, 25, 10));
  auto measure = [&](v1::ParallelMeasureKind kind, absl::CivilDay from, absl::CivilDay to) {
    v1::RegisterParallelMeasureRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    v1::ParallelMeasure* m = req.mutable_measure();
    m->set_kind(kind);
    m->set_actor_name("Volvo Cars praktik");
    *m->mutable_dates()->mutable_start() = D(from);
    *m->mutable_dates()->mutable_end() = D(to);
    m->set_percentage(50);
    m->set_description("Arbetsträning");
    return req;
  };
  const absl::CivilDay from(2026, 4, 1);
  const absl::CivilDay longest = PlusMonths(from, 3) - 1;  // 2026-06-30
  // A caseworker may not; an employment officer may.
  grpc::Status s = Try("caseworker", &RStub::RegisterParallelMeasure,
                       measure(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT, from, longest));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  s = Try("eo", &RStub::RegisterParallelMeasure, measure(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT, from, longest + 1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("measure.dates"));
  s = Try("eo", &RStub::RegisterParallelMeasure,
          measure(static_cast<v1::ParallelMeasureKind>(6), from, from + 30));  // SFI
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  v1::RegisterParallelMeasureResponse resp;
  s = Call("eo", &RStub::RegisterParallelMeasure, measure(v1::PARALLEL_MEASURE_KIND_WORK_PLACEMENT, from, longest),
           &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.ended_participation());
  c = resp.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ACTIVE);
  ASSERT_EQ(c.parallel_measures_size(), 1);
  EXPECT_FALSE(c.parallel_measures(0).measure_id().empty());
  EXPECT_EQ(Str(c.parallel_measures(0).dates().end()), Str(longest));

  // Labour-market training of exactly three months: the case goes on.
  const absl::CivilDay training(2026, 5, 1);
  s = Call("eo", &RStub::RegisterParallelMeasure,
           measure(v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING, training, PlusMonths(training, 3) - 1), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.ended_participation());
  // Over three months: recorded, and the participation ends the day before the training.
  s = Call("eo", &RStub::RegisterParallelMeasure,
           measure(v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING, training, PlusMonths(training, 3)), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.ended_participation());
  c = resp.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_ENDED);
  EXPECT_EQ(c.end().reason(), v1::END_REASON_TRANSFER_TO_OTHER_MEASURE);
  EXPECT_EQ(Str(c.end().end_date()), Str(training - 1));
  EXPECT_EQ(c.parallel_measures_size(), 3);
  const auto kinds = Kinds(c);
  ASSERT_GE(kinds.size(), 2u);
  EXPECT_EQ(kinds[kinds.size() - 2], v1::CASE_TRANSITION_KIND_REGISTER_PARALLEL_MEASURE);
  EXPECT_EQ(kinds.back(), v1::CASE_TRANSITION_KIND_END);
  const auto events = CaseEvents(c.case_id());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back().event.transition(), v1::CASE_TRANSITION_KIND_END);
  EXPECT_EQ(events[events.size() - 2].event.parallel_measure().kind(), v1::PARALLEL_MEASURE_KIND_LABOUR_MARKET_TRAINING);
}

// ---------------------------------------------------------------------------------------------
// Every report type.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, EveryReportTypeWithCorrectionsDisputesAndTheirQueues) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case c = MustActive(kProviderOrg, start);
  clock_.Set(Stockholm(2026, 4, 2, 10));

  // Monthly report, then a correction (revision 2) that supersedes it.
  v1::CaseReport first, second;
  ASSERT_TRUE(Monthly("provider", c.case_id(), 2026, 3,
                      {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 6), Hours(v1::ACTIVITY_CATEGORY_INFORMATION, 10)},
                      &first).ok());
  grpc::Status s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 8)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 8)}, nullptr,
              first.version() + 7);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING, 8), Hours(v1::ACTIVITY_CATEGORY_INFORMATION, 10)}, &second,
              first.version());
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(second.revision(), 2);
  EXPECT_NE(second.report_id(), first.report_id());
  v1::ListCaseReportsRequest list;
  list.set_case_id(c.case_id());
  list.add_kinds(v1::CASE_REPORT_KIND_MONTHLY);
  v1::ListCaseReportsResponse listed;
  ASSERT_TRUE(Call("caseworker", &RStub::ListCaseReports, list, &listed).ok());
  ASSERT_EQ(listed.reports_size(), 1);
  EXPECT_EQ(listed.reports(0).report_id(), second.report_id());
  list.set_include_superseded(true);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCaseReports, list, &listed).ok());
  ASSERT_EQ(listed.reports_size(), 2);
  EXPECT_EQ(listed.reports(0).status(), v1::CASE_REPORT_STATUS_SUPERSEDED);

  // Item by item: the superseded one cannot be confirmed; the current one is confirmed for one
  // category, then disputed for the other → DISPUTED, flagged, a disputes item.
  v1::ConfirmMonthlyReportRequest confirm;
  confirm.set_request_id(Rid());
  confirm.set_report_id(first.report_id());
  auto* item = confirm.add_items();
  item->set_category(v1::ACTIVITY_CATEGORY_INDIVIDUAL_MEETING);
  item->set_confirmation(v1::ITEM_CONFIRMATION_CONFIRMED);
  s = Try("caseworker", &RStub::ConfirmMonthlyReport, confirm);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  confirm.set_request_id(Rid());
  confirm.set_report_id(second.report_id());
  confirm.set_expected_version(second.version());
  v1::ConfirmMonthlyReportResponse confirmed;
  s = Call("caseworker", &RStub::ConfirmMonthlyReport, confirm, &confirmed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(confirmed.report().status(), v1::CASE_REPORT_STATUS_SUBMITTED);  // one item still pending
  confirm.set_request_id(Rid());  // stale version
  s = Try("caseworker", &RStub::ConfirmMonthlyReport, confirm);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  v1::ConfirmMonthlyReportRequest dispute;
  dispute.set_request_id(Rid());
  dispute.set_report_id(second.report_id());
  dispute.set_expected_version(confirmed.report().version());
  item = dispute.add_items();
  item->set_category(v1::ACTIVITY_CATEGORY_INFORMATION);
  item->set_confirmation(v1::ITEM_CONFIRMATION_DISPUTED);
  s = Try("caseworker", &RStub::ConfirmMonthlyReport, dispute);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();  // a comment is required
  dispute.set_request_id(Rid());
  item->set_comment("Jag deltog bara i två informationsträffar");
  s = Call("caseworker", &RStub::ConfirmMonthlyReport, dispute, &confirmed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(confirmed.report().status(), v1::CASE_REPORT_STATUS_DISPUTED);
  for (const auto& a : confirmed.report().monthly().activities()) {
    EXPECT_EQ(a.confirmation(), a.category() == v1::ACTIVITY_CATEGORY_INFORMATION ? v1::ITEM_CONFIRMATION_DISPUTED
                                                                                   : v1::ITEM_CONFIRMATION_CONFIRMED);
  }
  c = GetCase(c.case_id());
  ASSERT_EQ(c.flags_size(), 1);
  EXPECT_EQ(c.flags(0).kind(), v1::CASE_FLAG_KIND_DISPUTED_REPORT);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_DISPUTES).depth(), 1);
  v1::ClaimWorkResponse disputed = Claim("caseworker", v1::REFERRAL_QUEUE_DISPUTES);
  ASSERT_TRUE(disputed.has_item());
  EXPECT_EQ(disputed.item().kind(), "DISPUTE");
  EXPECT_EQ(disputed.report().report_id(), second.report_id());
  ASSERT_TRUE(Complete("caseworker", disputed.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  EXPECT_TRUE(GetCase(c.case_id()).flags(0).has_cleared_at());

  // Deviation report.
  v1::SubmitDeviationReportRequest dev;
  dev.set_request_id(Rid());
  dev.set_case_id(c.case_id());
  dev.mutable_report()->set_code(v1::DEVIATION_CODE_SICK);
  *dev.mutable_report()->mutable_date() = D(2026, 3, 20);
  dev.mutable_report()->mutable_span_start()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 20, 8)));
  dev.mutable_report()->mutable_span_end()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 20, 16)));
  dev.mutable_report()->set_description("Sjukanmäld");
  v1::SubmitDeviationReportResponse dev_resp;
  s = Call("provider", &RStub::SubmitDeviationReport, dev, &dev_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(dev_resp.report().kind(), v1::CASE_REPORT_KIND_DEVIATION);
  EXPECT_EQ(dev_resp.report().status(), v1::CASE_REPORT_STATUS_SUBMITTED);
  dev.set_request_id(Rid());
  dev.mutable_report()->set_code(static_cast<v1::DeviationCode>(99));
  EXPECT_EQ(Try("provider", &RStub::SubmitDeviationReport, dev).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  dev.set_request_id(Rid());
  dev.mutable_report()->set_code(v1::DEVIATION_CODE_SICK);
  *dev.mutable_report()->mutable_date() = D(2026, 3, 2);  // before the start
  dev.mutable_report()->mutable_span_start()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 2, 8)));
  dev.mutable_report()->mutable_span_end()->set_seconds(absl::ToUnixSeconds(Stockholm(2026, 3, 2, 16)));
  EXPECT_EQ(Try("provider", &RStub::SubmitDeviationReport, dev).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Informative report: to its queue, handled by a caseworker.
  v1::SubmitInformativeReportRequest info;
  info.set_request_id(Rid());
  info.set_case_id(c.case_id());
  info.mutable_report()->set_kind(v1::INFORMATIVE_REPORT_KIND_WORK_PLACEMENT);
  info.mutable_report()->mutable_employer()->set_name("Bageriet i Majorna AB");
  info.mutable_report()->set_description("Praktikplats hos en namngiven arbetsgivare");
  v1::SubmitInformativeReportResponse info_resp;
  s = Call("provider", &RStub::SubmitInformativeReport, info, &info_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(info_resp.report().status(), v1::CASE_REPORT_STATUS_IN_REVIEW);
  v1::ClaimWorkResponse info_item = Claim("caseworker", v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  ASSERT_TRUE(info_item.has_item());
  EXPECT_EQ(info_item.report().report_id(), info_resp.report().report_id());
  ASSERT_TRUE(Complete("caseworker", info_item.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  v1::GetCaseReportRequest get_report;
  get_report.set_report_id(info_resp.report().report_id());
  v1::GetCaseReportResponse got_report;
  ASSERT_TRUE(Call("caseworker", &RStub::GetCaseReport, get_report, &got_report).ok());
  EXPECT_EQ(got_report.report().status(), v1::CASE_REPORT_STATUS_APPROVED);

  // Supported employment: employment officers only.
  v1::SubmitSupportedEmploymentRequestRequest se;
  se.set_request_id(Rid());
  se.set_case_id(c.case_id());
  se.mutable_request()->mutable_employer()->set_name("Lagerbolaget AB");
  se.mutable_request()->set_occupation("Lagerarbetare");
  se.mutable_request()->set_percentage(75);
  v1::SubmitSupportedEmploymentRequestResponse se_resp;
  s = Call("provider", &RStub::SubmitSupportedEmploymentRequest, se, &se_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ClaimWorkRequest cw_claim;
  cw_claim.set_request_id(Rid());
  cw_claim.set_queue(v1::REFERRAL_QUEUE_SUPPORTED_EMPLOYMENT_REQUESTS);
  EXPECT_EQ(Try("caseworker", &RStub::ClaimWork, cw_claim).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ClaimWorkResponse se_item = Claim("eo", v1::REFERRAL_QUEUE_SUPPORTED_EMPLOYMENT_REQUESTS);
  ASSERT_TRUE(se_item.has_item());
  s = Complete("eo", se_item.item().item_id(), v1::WORK_OUTCOME_REJECTED);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // a note is required
  ASSERT_TRUE(Complete("eo", se_item.item().item_id(), v1::WORK_OUTCOME_REJECTED, "Anställningen är för kort").ok());
  get_report.set_report_id(se_resp.report().report_id());
  ASSERT_TRUE(Call("eo", &RStub::GetCaseReport, get_report, &got_report).ok());
  EXPECT_EQ(got_report.report().status(), v1::CASE_REPORT_STATUS_REJECTED);

  // Interruption request → the officer interrupts with the item; then ends the case.
  v1::SubmitInterruptionRequestRequest ir;
  ir.set_request_id(Rid());
  ir.set_case_id(c.case_id());
  ir.mutable_request()->set_code(v1::DEVIATION_CODE_UNKNOWN_REASON);
  ir.mutable_request()->set_reason("Deltagaren har uteblivit tre veckor");
  ir.mutable_request()->add_deviation_report_ids(dev_resp.report().report_id());
  v1::SubmitInterruptionRequestResponse ir_resp;
  s = Call("provider", &RStub::SubmitInterruptionRequest, ir, &ir_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  cw_claim.set_request_id(Rid());
  cw_claim.set_queue(v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS);
  EXPECT_EQ(Try("caseworker", &RStub::ClaimWork, cw_claim).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ClaimWorkResponse ir_item = Claim("eo", v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS);
  ASSERT_TRUE(ir_item.has_item());
  EXPECT_EQ(ir_item.report().report_id(), ir_resp.report().report_id());
  v1::InterruptRequest interrupt;
  interrupt.set_request_id(Rid());
  interrupt.set_case_id(c.case_id());
  interrupt.set_reason("Uteblivit");
  *interrupt.mutable_interrupt_date() = D(2026, 4, 2);
  interrupt.set_interruption_request_report_id(ir_resp.report().report_id());
  interrupt.set_queue_item_id(ir_item.item().item_id());
  EXPECT_EQ(Try("caseworker", &RStub::Interrupt, interrupt).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::InterruptResponse interrupted;
  s = Call("eo", &RStub::Interrupt, interrupt, &interrupted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = interrupted.case_record();
  EXPECT_EQ(c.state(), v1::CASE_STATE_INTERRUPTED);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_INTERRUPTION_REQUESTS, "eo").pending(), 0);
  info.set_request_id(Rid());
  s = Try("provider", &RStub::SubmitInformativeReport, info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.report"));
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(c.case_id());
  end.set_reason(v1::END_REASON_INTERRUPTION);
  *end.mutable_end_date() = D(2026, 4, 2);
  EXPECT_EQ(Try("caseworker", &RStub::End, end).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::EndResponse ended;
  s = Call("eo", &RStub::End, end, &ended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ended.case_record().state(), v1::CASE_STATE_ENDED);
  // The last month after the end, and the final report, are still the last provider's.
  EXPECT_TRUE(Monthly("provider", c.case_id(), 2026, 4, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 2)}).ok());
  v1::SubmitFinalReportRequest fin;
  fin.set_request_id(Rid());
  fin.set_case_id(c.case_id());
  fin.mutable_report()->set_activities("Kartläggning");
  EXPECT_EQ(Try("provider2", &RStub::SubmitFinalReport, fin).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::SubmitFinalReportResponse fin_resp;
  ASSERT_TRUE(Call("provider", &RStub::SubmitFinalReport, fin, &fin_resp).ok());
  v1::ReviewFinalReportRequest review;
  review.set_request_id(Rid());
  review.set_report_id(fin_resp.report().report_id());
  review.set_decision(v1::CASE_REPORT_STATUS_APPROVED);
  v1::ReviewFinalReportResponse reviewed;
  ASSERT_TRUE(Call("caseworker", &RStub::ReviewFinalReport, review, &reviewed).ok());
  EXPECT_EQ(reviewed.report().status(), v1::CASE_REPORT_STATUS_APPROVED);

  // Every report is listed, oldest first; the provider sees its own.
  v1::ListCaseReportsRequest all;
  all.set_case_id(c.case_id());
  ASSERT_TRUE(Call("provider", &RStub::ListCaseReports, all, &listed).ok());
  std::set<v1::CaseReportKind> kinds;
  for (const auto& r : listed.reports()) kinds.insert(r.kind());
  EXPECT_EQ(kinds.size(), 6u);
}

// ---------------------------------------------------------------------------------------------
// Queues: claim, complete, release, reclaim after the visibility timeout, stats.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, QueueClaimCompleteReleaseReclaimAndStats) {
  Start(1, [](ReferralConfig& c) { c.queue_visibility_ms = 1000; });
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case a = MustActive(kProviderOrg, start);
  v1::Case b = MustActive(kProviderOrg, start);
  auto informative = [&](const v1::Case& c) {
    v1::SubmitInformativeReportRequest req;
    req.set_request_id(Rid());
    req.set_case_id(c.case_id());
    req.mutable_report()->set_kind(v1::INFORMATIVE_REPORT_KIND_OTHER_SUPPORT);
    req.mutable_report()->set_description("Behöver stöd från kommunen");
    v1::SubmitInformativeReportResponse resp;
    EXPECT_TRUE(Call("provider", &RStub::SubmitInformativeReport, req, &resp).ok());
    return resp.report();
  };
  clock_.Set(Stockholm(2026, 4, 1, 9));
  const v1::CaseReport ra = informative(a);
  clock_.Advance(absl::Minutes(10));
  informative(b);
  clock_.Advance(absl::Minutes(60));
  v1::QueueStats st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.queue(), "referral.informative-reports");
  EXPECT_EQ(st.depth(), 2);
  EXPECT_EQ(st.pending(), 0);
  EXPECT_EQ(st.oldest_age().seconds(), 70 * 60);
  // Auditors and admins may look; municipalities and providers may not.
  EXPECT_TRUE(Try("auditor", &RStub::GetQueueStats, v1::GetQueueStatsRequest()).ok());
  EXPECT_EQ(Try("municipality", &RStub::GetQueueStats, v1::GetQueueStatsRequest()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("provider", &RStub::ClaimWork, v1::ClaimWorkRequest()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetQueueStatsResponse all;
  ASSERT_TRUE(Call("caseworker", &RStub::GetQueueStats, v1::GetQueueStatsRequest(), &all).ok());
  EXPECT_EQ(all.stats_size(), 8);

  // The oldest first; a repeated claim request gets the same item.
  v1::ClaimWorkRequest claim;
  claim.set_request_id(Rid());
  claim.set_queue(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  v1::ClaimWorkResponse first, again;
  ASSERT_TRUE(Call("caseworker", &RStub::ClaimWork, claim, &first).ok());
  ASSERT_TRUE(first.has_item());
  EXPECT_EQ(first.item().case_id(), a.case_id());
  EXPECT_EQ(first.report().report_id(), ra.report_id());
  EXPECT_EQ(first.item().delivery_count(), 1);
  ASSERT_TRUE(Call("caseworker", &RStub::ClaimWork, claim, &again).ok());
  EXPECT_EQ(again.item().item_id(), first.item().item_id());
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 1);
  EXPECT_EQ(st.pending(), 1);

  // Released unfinished: back in the queue, another caseworker gets it.
  v1::ReleaseWorkRequest release;
  release.set_request_id(Rid());
  release.set_item_id(first.item().item_id());
  release.set_reason("Lunch");
  EXPECT_EQ(Try("cw2", &RStub::ReleaseWork, release).error_code() == grpc::StatusCode::OK, false);
  ASSERT_TRUE(Try("caseworker", &RStub::ReleaseWork, release).ok());
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 2);
  EXPECT_EQ(st.pending(), 0);
  v1::ClaimWorkResponse by_cw2 = Claim("cw2", v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  ASSERT_TRUE(by_cw2.has_item());
  EXPECT_EQ(by_cw2.item().item_id(), first.item().item_id());
  EXPECT_EQ(by_cw2.item().delivery_count(), 1);  // a release is not a failed delivery

  // cw2 walks away: after the visibility timeout the item is claimable again, and counted so.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 2);
  EXPECT_EQ(st.pending(), 0);
  v1::ClaimWorkResponse reclaimed = Claim("caseworker", v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  ASSERT_TRUE(reclaimed.has_item());
  EXPECT_EQ(reclaimed.item().item_id(), first.item().item_id());
  EXPECT_EQ(reclaimed.item().claimed_by(), kCaseworkerUri);
  EXPECT_EQ(reclaimed.item().delivery_count(), 2);
  EXPECT_FALSE(Complete("cw2", first.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  ASSERT_TRUE(Complete("caseworker", first.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  EXPECT_FALSE(Complete("caseworker", first.item().item_id(), v1::WORK_OUTCOME_APPROVED).ok());
  st = Stats(v1::REFERRAL_QUEUE_INFORMATIVE_REPORTS);
  EXPECT_EQ(st.depth(), 1);
  EXPECT_EQ(st.pending(), 0);
  EXPECT_EQ(st.oldest_age().seconds(), 60 * 60);  // the second report, enqueued 10 minutes later

  // Handling time per queue: the completed item is counted.
  v1::GetHandlingTimeReportRequest ht;
  *ht.mutable_period()->mutable_start() = D(2026, 4, 1);
  *ht.mutable_period()->mutable_end() = D(2026, 4, 30);
  v1::GetHandlingTimeReportResponse report;
  ASSERT_TRUE(Call("caseworker", &RStub::GetHandlingTimeReport, ht, &report).ok());
  bool found = false;
  for (const auto& q : report.queues()) {
    if (q.queue() != "referral.informative-reports") continue;
    found = true;
    EXPECT_EQ(q.total().count(), 1);
    EXPECT_EQ(q.waiting().count(), 1);
    EXPECT_EQ(q.total().mean().seconds(), 70 * 60);
  }
  EXPECT_TRUE(found);
  *ht.mutable_period()->mutable_end() = D(2026, 3, 1);
  EXPECT_EQ(Try("caseworker", &RStub::GetHandlingTimeReport, ht).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Empty queue: an empty response.
  v1::ClaimWorkResponse none = Claim("caseworker", v1::REFERRAL_QUEUE_DISPUTES);
  EXPECT_FALSE(none.has_item());
}

// ---------------------------------------------------------------------------------------------
// Access per role.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, AccessRulesPerRole) {
  Start();
  StandardProviders();
  const absl::CivilDay start(2026, 3, 9);
  v1::Case mine = MustActive(kProviderOrg, start);
  v1::Case theirs = MustActive(provider2_, start);
  v1::Case waiting = MustAwaitChoice();

  // A provider sees its own participant, reduced.
  const v1::Case view = GetCase(mine.case_id(), "provider");
  EXPECT_EQ(view.case_id(), mine.case_id());
  EXPECT_EQ(view.state(), v1::CASE_STATE_ACTIVE);
  EXPECT_EQ(view.current_provider().organisation_number(), kProviderOrg);
  EXPECT_FALSE(view.has_decision());
  EXPECT_TRUE(view.assessment_id().empty());
  EXPECT_TRUE(view.home_municipality_code().empty());
  EXPECT_TRUE(view.home_postal_code().empty());
  EXPECT_EQ(view.history_size(), 0);
  EXPECT_EQ(view.provider_history_size(), 0);
  // ... and nothing of others.
  for (const auto& id : {theirs.case_id(), waiting.case_id(), std::string("case-000000000000000000000000")}) {
    v1::GetCaseRequest req;
    req.set_case_id(id);
    EXPECT_EQ(Try("provider", &RStub::GetCase, req).error_code(), grpc::StatusCode::NOT_FOUND) << id;
  }
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call("provider", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_id(), mine.case_id());
  EXPECT_FALSE(listed.cases(0).has_decision());
  v1::ListCasesRequest other_org;
  other_org.set_organisation_number(provider2_);
  EXPECT_EQ(Try("provider", &RStub::ListCases, other_org).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 3);
  clock_.Set(Stockholm(2026, 4, 2, 10));
  v1::CaseReport their_report;
  ASSERT_TRUE(Monthly("provider2", theirs.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 3)}, &their_report).ok());
  v1::GetCaseReportRequest gr;
  gr.set_report_id(their_report.report_id());
  EXPECT_EQ(Try("provider", &RStub::GetCaseReport, gr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Monthly("provider", theirs.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 3)}).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A provider's read is audited in the case's chain.
  bool audited = false;
  for (const auto& e : CaseAudit(mine.case_id())) {
    audited |= e.event().actor_role() == v1::ROLE_PROVIDER && e.event().action() == "referral.GetCase";
  }
  EXPECT_TRUE(audited);

  // No transitions for providers, municipalities or auditors.
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(mine.case_id());
  end.set_reason(v1::END_REASON_WORK);
  for (const char* who : {"provider", "municipality", "auditor"}) {
    EXPECT_EQ(Try(who, &RStub::End, end).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  v1::StartRequest start_req;
  start_req.set_request_id(Rid());
  start_req.set_case_id(waiting.case_id());
  *start_req.mutable_start_date() = D(2026, 4, 2);
  for (const char* who : {"provider", "municipality", "auditor"}) {
    EXPECT_EQ(Try(who, &RStub::Start, start_req).error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(waiting.case_id());
  choose.set_organisation_number(kProviderOrg);
  EXPECT_EQ(Try("provider", &RStub::ChooseProvider, choose).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Try("municipality", &RStub::ChooseProvider, choose).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetCaseRequest get;
  get.set_case_id(mine.case_id());
  EXPECT_EQ(Try("municipality", &RStub::GetCase, get).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Try("auditor", &RStub::GetCase, get).ok());
  // The parallel measure is the employment officer's decision.
  v1::RegisterParallelMeasureRequest pm;
  pm.set_request_id(Rid());
  pm.set_case_id(mine.case_id());
  pm.mutable_measure()->set_kind(v1::PARALLEL_MEASURE_KIND_VALIDATION);
  *pm.mutable_measure()->mutable_dates()->mutable_start() = D(2026, 4, 6);
  *pm.mutable_measure()->mutable_dates()->mutable_end() = D(2026, 5, 6);
  pm.mutable_measure()->set_percentage(20);
  grpc::Status s = Try("caseworker", &RStub::RegisterParallelMeasure, pm);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_TRUE(Try("eo", &RStub::RegisterParallelMeasure, pm).ok());
  // Providers submit reports; caseworkers do not.
  EXPECT_EQ(Monthly("caseworker", mine.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 3)}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Nothing above changed a case.
  EXPECT_EQ(GetCase(waiting.case_id()).version(), waiting.version());
}

// ---------------------------------------------------------------------------------------------
// Bad input, stale versions, repeated request ids, transitions not allowed in the state.
// ---------------------------------------------------------------------------------------------

TEST_F(ReferralServiceTest, BadInputIsRefusedWithTheFieldOrRuleAndChangesNothing) {
  Start();
  StandardProviders();
  const std::string person = NextPerson();
  const v1::Assessment a = MustAssess(person);

  // CreateCase input.
  v1::CreateCaseRequest create;
  create.set_request_id(Rid());
  create.set_person_id("198506152000");  // wrong check digit
  create.set_home_municipality_code("1480");
  grpc::Status s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("person_id"));
  create.set_person_id(person);
  create.set_home_municipality_code("1400");  // not a municipality
  s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("home_municipality_code"));
  create.set_home_municipality_code("1480");
  create.set_home_postal_code("11120");  // Stockholm
  s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("home_postal_code"));
  create.set_home_postal_code("41301");
  create.set_assessment_id(MustAssess(NextPerson()).assessment_id());  // someone else's
  s = Try("caseworker", &RStub::CreateCase, create);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("assessment_id"));
  v1::ListCasesResponse listed;
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);

  // A repeated request id returns the first result and changes nothing.
  create.set_request_id("create-once");
  create.set_assessment_id(a.assessment_id());
  v1::CreateCaseResponse created, repeated;
  ASSERT_TRUE(Call("caseworker", &RStub::CreateCase, create, &created).ok());
  const int64_t events = StreamLength("events:referral");
  ASSERT_TRUE(Call("caseworker", &RStub::CreateCase, create, &repeated).ok());
  EXPECT_EQ(repeated.case_record().case_id(), created.case_record().case_id());
  EXPECT_EQ(StreamLength("events:referral"), events);
  ASSERT_TRUE(Call("caseworker", &RStub::ListCases, v1::ListCasesRequest(), &listed).ok());
  EXPECT_EQ(listed.cases_size(), 1);
  v1::Case c = created.case_record();

  // A transition not allowed in the state names the rule.
  v1::StartRequest start;
  start.set_request_id(Rid());
  start.set_case_id(c.case_id());
  *start.mutable_start_date() = D(2026, 3, 9);
  s = Try("caseworker", &RStub::Start, start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.transition: START is not allowed in ASSESSED"));

  // Decisions that do not fit the assessment, or rest on a stale version, link nothing.
  v1::DecideRequest decide = ReferReq(c, a.result().level() == v1::LEVEL_A ? v1::LEVEL_C : v1::LEVEL_A, c.version());
  decide.set_request_id(Rid());
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.decision"));
  decide = ReferReq(c, a.result().level(), c.version() + 1);
  decide.set_request_id(Rid());
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  EXPECT_FALSE(GetAssessment(a.assessment_id()).has_decision_link());
  decide.mutable_refer()->mutable_extent()->set_percentage(80);  // full time must be 100
  decide.set_expected_version(c.version());
  decide.set_request_id(Rid());
  s = Try("caseworker", &RStub::Decide, decide);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("extent.percentage"));
  EXPECT_FALSE(GetAssessment(a.assessment_id()).has_decision_link());
  EXPECT_EQ(GetCase(c.case_id()).version(), c.version());

  // Decide, choose a provider the registry does not offer, then start with a stale version.
  decide = ReferReq(c, a.result().level(), c.version());
  decide.set_request_id(Rid());
  v1::DecideResponse decided;
  ASSERT_TRUE(Call("caseworker", &RStub::Decide, decide, &decided).ok());
  c = decided.case_record();
  // The decision repeated (a client retry): the first answer, although the case has moved on.
  const int64_t decided_events = StreamLength("events:referral");
  v1::DecideResponse decided_again;
  s = Call("caseworker", &RStub::Decide, decide, &decided_again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(decided_again.case_record().SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(StreamLength("events:referral"), decided_events);
  v1::ChooseProviderRequest choose;
  choose.set_request_id(Rid());
  choose.set_case_id(c.case_id());
  choose.set_organisation_number(Org("556999990"));
  s = Try("caseworker", &RStub::ChooseProvider, choose);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.choice"));
  choose.set_organisation_number("5560360794");  // bad check digit
  choose.set_request_id(Rid());
  EXPECT_EQ(Try("caseworker", &RStub::ChooseProvider, choose).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  choose.set_request_id("choose-once");
  choose.set_organisation_number(kProviderOrg);
  choose.set_expected_version(c.version());
  v1::ChooseProviderResponse chosen, chosen_again;
  ASSERT_TRUE(Call("caseworker", &RStub::ChooseProvider, choose, &chosen).ok());
  c = chosen.case_record();
  s = Call("caseworker", &RStub::ChooseProvider, choose, &chosen_again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(chosen_again.case_record().SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(CountKind(GetCase(c.case_id()), v1::CASE_TRANSITION_KIND_CHOOSE_PROVIDER), 1);
  start.set_request_id(Rid());
  start.set_expected_version(c.version() - 1);
  s = Try("caseworker", &RStub::Start, start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("version"));
  start.set_request_id(Rid());
  start.set_expected_version(c.version());
  *start.mutable_start_date() = D(2026, 3, 1);  // before the assignment
  s = Try("caseworker", &RStub::Start, start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("start_date"));
  c = MustStart(c, absl::CivilDay(2026, 3, 9));

  // Monthly reports: negative hours, more than possible, months outside the participation.
  clock_.Set(Stockholm(2026, 4, 10, 10));
  const int march = PossibleHoursOf(absl::CivilDay(2026, 3, 9), std::nullopt, 2026, 3);
  s = Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, -1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("hours"));
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_MAPPING, march), Hours(v1::ACTIVITY_CATEGORY_INFORMATION, 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("activities"));
  for (auto [y, m] : {std::pair{2026, 2}, std::pair{2026, 5}}) {
    s = Monthly("provider", c.case_id(), y, m, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 1)});
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << y << "-" << m;
    EXPECT_THAT(s.error_message(), HasSubstr("month"));
  }
  s = Monthly("provider", c.case_id(), 2026, 3,
              {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 1), Hours(v1::ACTIVITY_CATEGORY_MAPPING, 2)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Monthly("provider", c.case_id(), 2026, 3, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, march)}).ok());
  s = Monthly("provider2", c.case_id(), 2026, 4, {Hours(v1::ACTIVITY_CATEGORY_MAPPING, 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);  // never its participant

  // A repeated Pause: the first answer, no second event; the same id for another body: refused.
  v1::PauseRequest pause;
  pause.set_request_id("pause-once");
  pause.set_case_id(c.case_id());
  pause.set_reason(v1::PAUSE_REASON_SICK);
  *pause.mutable_from_date() = D(2026, 4, 10);
  v1::PauseResponse p1, p2;
  ASSERT_TRUE(Call("caseworker", &RStub::Pause, pause, &p1).ok());
  const int64_t before = StreamLength("events:referral");
  const size_t audit_before = CaseAudit(c.case_id()).size();
  ASSERT_TRUE(Call("caseworker", &RStub::Pause, pause, &p2).ok());
  EXPECT_EQ(p2.case_record().SerializeAsString(), p1.case_record().SerializeAsString());
  EXPECT_EQ(StreamLength("events:referral"), before);
  EXPECT_EQ(CaseAudit(c.case_id()).size(), audit_before);
  EXPECT_EQ(GetCase(c.case_id()).version(), p1.case_record().version());
  pause.set_reason(v1::PAUSE_REASON_OTHER);
  pause.set_reason_text("Annat");
  s = Try("caseworker", &RStub::Pause, pause);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
  // A pause reason is required; an end reason is required.
  v1::PauseRequest no_reason;
  no_reason.set_request_id(Rid());
  no_reason.set_case_id(c.case_id());
  EXPECT_EQ(Try("caseworker", &RStub::Pause, no_reason).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(c.case_id());
  EXPECT_EQ(Try("caseworker", &RStub::End, end).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  end.set_reason(v1::END_REASON_MAXIMUM_TIME);
  s = Try("caseworker", &RStub::End, end);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("case.end"));
  v1::GetCaseRequest get;
  get.set_case_id("../etc");
  EXPECT_EQ(Try("caseworker", &RStub::GetCase, get).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ReferralResultsTest, AResultIsVerifiedByTheRegisterExactlyAtItsFourMonthMark) {
  Start();
  StandardProviders();
  v1::Case c = MustEnded();
  auto reg = Register({absl::StrCat(c.person_id(), ",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no")});
  Handler().SetResultRegister(reg.get());
  clock_.Set(Stockholm(2026, 5, 20, 10));
  v1::ReportResultResponse reported;
  grpc::Status s = Call("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid()), &reported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reported.case_record().state(), v1::CASE_STATE_RESULT_REPORTED);
  EXPECT_EQ(reported.result().source(), v1::RESULT_SOURCE_PROVIDER);
  EXPECT_EQ(reported.result().verification_status(), v1::VERIFICATION_STATUS_PENDING);
  // Four whole months from 2026-05-15 run to 2026-09-14; verifiable on 2026-09-15.
  EXPECT_EQ(reported.result().verification_due_on().month(), 9);
  EXPECT_EQ(reported.result().verification_due_on().day(), 15);

  clock_.Set(Stockholm(2026, 9, 14, 23, 30));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_RESULT_REPORTED);
  EXPECT_TRUE(VerificationEvents(c.case_id()).empty());

  clock_.Set(Stockholm(2026, 9, 15, 0, 30));
  auto handled = Handler().RunDueDeadlines();
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 1);
  v1::Case after = GetCase(c.case_id());
  EXPECT_EQ(after.state(), v1::CASE_STATE_RESULT_VERIFIED);
  EXPECT_EQ(after.result().verification_status(), v1::VERIFICATION_STATUS_VERIFIED);
  EXPECT_THAT(after.result().verification_reference(), HasSubstr("register:register.csv:2"));
  auto events = VerificationEvents(c.case_id());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].status(), v1::VERIFICATION_STATUS_VERIFIED);
  EXPECT_EQ(events[0].organisation_number(), kProviderOrg);
  EXPECT_EQ(events[0].service_started_on().day(), 2);
  EXPECT_EQ(events[0].service_ended_on().month(), 4);
  EXPECT_EQ(events[0].result_start().day(), 15);
  // Nothing is due any more: a second run handles nothing.
  EXPECT_EQ(*Handler().RunDueDeadlines(), 0);
}

TEST_F(ReferralResultsTest, ARegisterThatDisagreesGivesNotVerifiedWithTheReasonAndTheCaseIsEndedAgain) {
  Start();
  StandardProviders();
  const std::vector<std::pair<std::string, v1::VerificationFailure>> cases = {
      {",5560743089,Volvo Personvagnar AB,2026-05-15,2026-08-31,100,no", v1::VERIFICATION_FAILURE_TOO_SHORT},
      {",5565028382,Annan Arbetsgivare AB,2026-05-15,,100,no", v1::VERIFICATION_FAILURE_MISMATCH},
      {"", v1::VERIFICATION_FAILURE_NOT_IN_REGISTER}};
  for (const auto& [line, failure] : cases) {
    clock_.Set(Stockholm(2026, 3, 2, 9));
    v1::Case c = MustEnded();
    auto reg = Register(line.empty() ? std::vector<std::string>{} : std::vector<std::string>{c.person_id() + line});
    Handler().SetResultRegister(reg.get());
    clock_.Set(Stockholm(2026, 5, 20, 10));
    ASSERT_TRUE(Try("caseworker", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid())).ok());
    clock_.Set(Stockholm(2026, 9, 15, 8));
    ASSERT_TRUE(Handler().RunDueDeadlines().ok());
    v1::Case after = GetCase(c.case_id());
    EXPECT_EQ(after.state(), v1::CASE_STATE_ENDED) << line;
    EXPECT_EQ(after.result().verification_status(), v1::VERIFICATION_STATUS_NOT_VERIFIED) << line;
    EXPECT_EQ(after.result().verification_failure(), failure) << line;
    auto events = VerificationEvents(c.case_id());
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].failure(), failure);
    Handler().SetResultRegister(nullptr);
  }
}

TEST_F(ReferralResultsTest, WithoutARegisterAnEmploymentOfficerVerifiesFromTheQueue) {
  Start();
  StandardProviders();
  v1::Case c = MustEnded();
  clock_.Set(Stockholm(2026, 5, 20, 10));
  v1::ReportResultResponse reported;
  ASSERT_TRUE(Call("caseworker", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid()), &reported).ok());
  EXPECT_EQ(reported.result().source(), v1::RESULT_SOURCE_CASEWORKER);
  // Before the mark a verification is refused, whoever makes it.
  v1::VerifyResultRequest early;
  early.set_request_id(Rid());
  early.set_case_id(c.case_id());
  early.set_status(v1::VERIFICATION_STATUS_VERIFIED);
  early.set_verification_reference("verifikat 2026-123");
  grpc::Status s = Try("eo", &RStub::VerifyResult, early);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.result"));
  clock_.Set(Stockholm(2026, 9, 15, 8));
  ASSERT_TRUE(Handler().RunDueDeadlines().ok());
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_RESULT_REPORTED);
  EXPECT_EQ(Try("caseworker", &RStub::ClaimWork, [] {
              v1::ClaimWorkRequest r;
              r.set_request_id("claim-cw");
              r.set_queue(v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS);
              return r;
            }()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ClaimWorkResponse item = Claim("eo", v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS);
  ASSERT_TRUE(item.has_item());
  EXPECT_EQ(item.item().case_id(), c.case_id());
  v1::VerifyResultRequest verify = early;
  verify.set_request_id(Rid());
  verify.set_queue_item_id(item.item().item_id());
  EXPECT_EQ(Try("caseworker", &RStub::VerifyResult, verify).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::VerifyResultResponse verified;
  s = Call("eo", &RStub::VerifyResult, verify, &verified);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(verified.case_record().state(), v1::CASE_STATE_RESULT_VERIFIED);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS, "eo").depth(), 0);
  EXPECT_EQ(Stats(v1::REFERRAL_QUEUE_RESULT_VERIFICATIONS, "eo").pending(), 0);
}

TEST_F(ReferralResultsTest, BadResultReportsAreRefusedWithTheRuleAndChangeNothing) {
  Start();
  StandardProviders();
  v1::Case c = MustEnded();
  const absl::CivilDay start(2026, 5, 15);
  // From a provider that never had the participant: it does not learn the case exists.
  clock_.Set(Stockholm(2026, 5, 20, 10));
  EXPECT_EQ(Try("provider2", &RStub::ReportResult, ResultReq(c, start, Rid())).error_code(), grpc::StatusCode::NOT_FOUND);
  // An end before its start.
  v1::ReportResultRequest backwards = ResultReq(c, start, Rid());
  *backwards.mutable_end_date() = D(2026, 5, 1);
  grpc::Status s = Try("provider", &RStub::ReportResult, backwards);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("end_date"));
  // Work that started more than two months after the end (2026-04-30 + 2 months = 2026-06-30).
  s = Try("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 7, 1), Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("start_date"));
  // Reported after the window: the last day is 2026-06-30.
  clock_.Set(Stockholm(2026, 7, 1, 10));
  s = Try("provider", &RStub::ReportResult, ResultReq(c, start, Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.result"));
  EXPECT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_ENDED);
  EXPECT_FALSE(GetCase(c.case_id()).has_result());
  // Twice for the same case.
  clock_.Set(Stockholm(2026, 6, 30, 10));
  ASSERT_TRUE(Try("provider", &RStub::ReportResult, ResultReq(c, start, Rid())).ok());
  s = Try("caseworker", &RStub::ReportResult, ResultReq(c, start, Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("case.transition"));
  // A case that never started (ended while only assigned).
  v1::Case never = MustChoose(MustAwaitChoice(), kProviderOrg);
  v1::EndRequest end;
  end.set_request_id(Rid());
  end.set_case_id(never.case_id());
  end.set_reason(v1::END_REASON_DEREGISTERED);
  ASSERT_TRUE(Try("caseworker", &RStub::End, end).ok());
  s = Try("caseworker", &RStub::ReportResult, ResultReq(never, absl::CivilDay(2026, 7, 1), Rid()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("never started"));
}

TEST_F(ReferralResultsTest, RatingInputFollowsStartsEndsAndVerifiedResults) {
  Start(2);
  StandardProviders();
  // The registry's stored outcome of the case with a provider, and its rating runs.
  auto outcome = [&](const std::string& case_id, const std::string& org) {
    redis::RedisConnection conn(redis_.options());
    auto reply = conn.Command({"HGET", "registry:{registry}:outcomes", case_id + "|" + org});
    EXPECT_TRUE(reply.ok());
    std::optional<v1::ParticipantOutcome> out;
    if (reply.ok() && reply->is_string()) {
      out.emplace();
      EXPECT_TRUE(out->ParseFromString(reply->str));
    }
    return out;
  };
  auto outcomes_of_case = [&](const std::string& case_id) {
    redis::RedisConnection conn(redis_.options());
    auto reply = conn.Command({"HKEYS", "registry:{registry}:outcomes"});
    EXPECT_TRUE(reply.ok());
    int n = 0;
    if (reply.ok()) {
      for (const auto& k : reply->elements) n += absl::StartsWith(k.str, case_id + "|") ? 1 : 0;
    }
    return n;
  };
  auto runs = [&] {
    v1::ListRatingRunsRequest req;
    req.set_page_size(100);
    v1::ListRatingRunsResponse resp;
    grpc::Status s = Invoke(Reg("admin"), &RegStub::ListRatingRuns, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::vector<v1::RatingRun>(resp.runs().begin(), resp.runs().end());
  };
  auto same_day = [](const v1::Date& d, int y, int m, int day) {
    return d.year() == y && d.month() == m && d.day() == day;
  };

  // Started 2026-03-02 with `provider`, ended 2026-04-30; the clock is on 2026-05-01.
  v1::Case c = MustEnded();
  auto fed = Handler().RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_GT(*fed, 0);
  auto o = outcome(c.case_id(), kProviderOrg);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->level(), c.level());
  EXPECT_TRUE(same_day(o->started_on(), 2026, 3, 2)) << o->DebugString();
  EXPECT_TRUE(same_day(o->ended_on(), 2026, 4, 30)) << o->DebugString();
  // (The registry's merge may leave an empty Date for "not verified"; no day is set.)
  EXPECT_EQ(o->result_verified_on().year(), 0) << o->DebugString();
  EXPECT_EQ(outcomes_of_case(c.case_id()), 1);
  // The day's ratings were computed once, as of today.
  auto before = runs();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_TRUE(same_day(before[0].as_of(), 2026, 5, 1));

  // The result is reported and verified by the register at its 4-month mark.
  auto reg = Register({absl::StrCat(c.person_id(), ",5560743089,Volvo Personvagnar AB,2026-05-15,,100,no")});
  Handler().SetResultRegister(reg.get());
  clock_.Set(Stockholm(2026, 5, 20, 10));
  ASSERT_TRUE(Try("provider", &RStub::ReportResult, ResultReq(c, absl::CivilDay(2026, 5, 15), Rid())).ok());
  clock_.Set(Stockholm(2026, 9, 15, 0, 30));
  ASSERT_EQ(*Handler().RunDueDeadlines(), 1);
  ASSERT_EQ(GetCase(c.case_id()).state(), v1::CASE_STATE_RESULT_VERIFIED);

  fed = Handler().RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_GT(*fed, 0);
  o = outcome(c.case_id(), kProviderOrg);
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(same_day(o->started_on(), 2026, 3, 2)) << o->DebugString();
  EXPECT_TRUE(same_day(o->ended_on(), 2026, 4, 30)) << o->DebugString();
  EXPECT_TRUE(same_day(o->result_verified_on(), 2026, 9, 15)) << o->DebugString();
  EXPECT_EQ(outcomes_of_case(c.case_id()), 1);
  auto after = runs();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_TRUE(same_day(after[0].as_of(), 2026, 9, 15));  // newest first
  EXPECT_GE(after[0].sample_size(), 1);

  // Again, on this replica and on the other: nothing left to feed, no second run for the day.
  const std::string stored = o->SerializeAsString();
  fed = Handler().RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(*fed, 0);
  fed = Handler(1).RunRatingFeed();
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(*fed, 0);
  ASSERT_TRUE(outcome(c.case_id(), kProviderOrg).has_value());
  EXPECT_EQ(outcome(c.case_id(), kProviderOrg)->SerializeAsString(), stored);
  EXPECT_EQ(runs().size(), 2u);
  {
    redis::RedisConnection conn(redis_.options());
    auto pending = conn.Command({"XPENDING", "events:referral", "ratings"});
    ASSERT_TRUE(pending.ok());
    ASSERT_TRUE(pending->is_array());
    EXPECT_EQ(pending->elements[0].integer, 0);  // everything acknowledged
    auto claimed = conn.Command({"GET", "referral:ratings-computed:2026-09-15"});
    ASSERT_TRUE(claimed.ok());
    EXPECT_EQ(claimed->str, "1");
  }
  // The next day the other replica computes the day's run (once).
  clock_.Set(Stockholm(2026, 9, 16, 0, 30));
  ASSERT_TRUE(Handler(1).RunRatingFeed().ok());
  ASSERT_TRUE(Handler().RunRatingFeed().ok());
  after = runs();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_TRUE(same_day(after[0].as_of(), 2026, 9, 16));
}

}  // namespace
}  // namespace rusta::referral
