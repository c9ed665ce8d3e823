#include "services/assessment/proto_mapping.h"

#include "common/server/proto_convert.h"

namespace rusta::assessment {
namespace v1 = rusta::v1;

namespace {

v1::AssessmentOutcome ToProto(Outcome o) {
  switch (o) {
    case Outcome::kClose: return v1::ASSESSMENT_OUTCOME_CLOSE;
    case Outcome::kInBetween: return v1::ASSESSMENT_OUTCOME_IN_BETWEEN;
    case Outcome::kFar: return v1::ASSESSMENT_OUTCOME_FAR;
  }
  return v1::ASSESSMENT_OUTCOME_UNSPECIFIED;
}

v1::Level ToProto(Level l) {
  switch (l) {
    case Level::kA: return v1::LEVEL_A;
    case Level::kB: return v1::LEVEL_B;
    case Level::kC: return v1::LEVEL_C;
    case Level::kNone: return v1::LEVEL_UNSPECIFIED;
  }
  return v1::LEVEL_UNSPECIFIED;
}

Outcome FromProto(v1::AssessmentOutcome o) {
  switch (o) {
    case v1::ASSESSMENT_OUTCOME_IN_BETWEEN: return Outcome::kInBetween;
    case v1::ASSESSMENT_OUTCOME_FAR: return Outcome::kFar;
    default: return Outcome::kClose;
  }
}

Level FromProto(v1::Level l) {
  switch (l) {
    case v1::LEVEL_A: return Level::kA;
    case v1::LEVEL_B: return Level::kB;
    case v1::LEVEL_C: return Level::kC;
    default: return Level::kNone;
  }
}

}  // namespace

v1::AssessmentResult ToProto(const Result& r) {
  v1::AssessmentResult out;
  out.set_outcome(ToProto(r.outcome));
  out.set_level(ToProto(r.level));
  out.set_probability(r.probability);
  out.set_logit(r.logit);
  out.set_intercept(r.intercept);
  for (const Contribution& c : r.contributions) {
    v1::FactorContribution* fc = out.add_contributions();
    fc->set_factor(c.factor);
    fc->set_value(c.value);
    fc->set_contribution(c.contribution);
    fc->set_explanation(c.explanation);
  }
  out.set_model_version(r.model_version);
  out.set_threshold_version(r.threshold_version);
  out.set_eligibility_rule(ToProto(r.rule.kind));
  out.set_eligibility_rule_version(r.rule.Version());
  out.set_eligible(r.eligible);
  return out;
}

v1::Thresholds ToProto(const Thresholds& t) {
  v1::Thresholds out;
  out.set_threshold_version(t.version);
  *out.mutable_effective_from() = server::FromCivilDay(t.effective_from);
  out.set_close_to_a(t.close_to_a);
  out.set_a_to_b(t.a_to_b);
  out.set_b_to_c(t.b_to_c);
  out.set_c_to_far(t.c_to_far);
  return out;
}

v1::EligibilityRule ToProto(EligibilityRule::Kind kind) {
  return kind == EligibilityRule::Kind::kTimeRegistered ? v1::ELIGIBILITY_RULE_TIME_REGISTERED
                                                        : v1::ELIGIBILITY_RULE_TOOL_OUTCOME;
}

v1::FollowUpGroup ToProto(const GroupFigures& g) {
  v1::FollowUpGroup out;
  for (const auto& [k, v] : g.key) (*out.mutable_key())[k] = v;
  out.set_suppressed(g.suppressed);
  out.set_assessments(g.assessments);
  out.set_followed_up(g.followed_up);
  out.set_correct_share(g.correct_share);
  out.set_override_rate(g.override_rate);
  for (const auto& [k, v] : g.outcome_counts) (*out.mutable_outcome_counts())[k] = v;
  for (const auto& [k, v] : g.level_counts) (*out.mutable_level_counts())[k] = v;
  out.set_support_reviews(g.support_reviews);
  return out;
}

LabourMarketStatus FromProto(v1::LabourMarketStatus s) {
  switch (s) {
    case v1::LABOUR_MARKET_STATUS_EMPLOYED: return LabourMarketStatus::kEmployed;
    case v1::LABOUR_MARKET_STATUS_STUDIES: return LabourMarketStatus::kStudies;
    case v1::LABOUR_MARKET_STATUS_DEREGISTERED_OTHER: return LabourMarketStatus::kDeregisteredOther;
    default: return LabourMarketStatus::kNotEmployed;
  }
}

FollowUpRecord ToFollowUpRecord(const v1::Assessment& a) {
  FollowUpRecord r;
  r.female = a.factors().sex() == v1::SEX_FEMALE;
  r.born_in_sweden = a.factors().country_of_birth() == "SE";
  r.disability = a.factors().disability_status() == v1::DISABILITY_STATUS_REGISTERED;
  r.outcome = FromProto(a.result().outcome());
  r.level = FromProto(a.result().level());
  r.overridden = a.has_override();
  r.sent_to_support_group = a.has_support_review();
  if (a.has_follow_up()) r.correct = a.follow_up().recommendation_correct();
  return r;
}

bool SameResult(const v1::AssessmentResult& a, const v1::AssessmentResult& b) {
  if (a.outcome() != b.outcome() || a.level() != b.level() || a.probability() != b.probability() ||
      a.logit() != b.logit() || a.eligible() != b.eligible() ||
      a.contributions_size() != b.contributions_size()) {
    return false;
  }
  for (int i = 0; i < a.contributions_size(); ++i) {
    if (a.contributions(i).factor() != b.contributions(i).factor() ||
        a.contributions(i).value() != b.contributions(i).value() ||
        a.contributions(i).contribution() != b.contributions(i).contribution()) {
      return false;
    }
  }
  return true;
}

}  // namespace rusta::assessment
