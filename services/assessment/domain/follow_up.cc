// Follow-up of the assessment: accuracy and equal treatment by group (see follow_up.h).
//
// Decisions where the header leaves room:
// - kDeregisteredOther counts as "no work or studies" (the person left the register for some other
//   reason than work or studies), so it makes a referral recommendation correct and a
//   no-referral recommendation wrong.
// - Duplicate dimensions in group_by count once; the group key is a map, so groups are ordered by
//   the key names ("BORN_IN_SWEDEN" < "DISABILITY" < "SEX") whatever the order in group_by.
// - A suppressed group keeps only its key and suppressed = true: assessments, followed_up, shares,
//   counts and support_reviews are all zero or empty, so nothing about a small group leaks.
// - minimum_group_size <= 1 suppresses nothing (every present group has at least one record).
// - level_counts counts IN_BETWEEN records by level; an IN_BETWEEN record without a level (kNone,
//   which the model does not produce) is not counted there, so the map never has a "NONE" key.
#include "services/assessment/domain/follow_up.h"

#include <set>
#include <utility>

namespace rusta::assessment {

bool RecommendationCorrect(bool recommended_referral, LabourMarketStatus status) {
  const bool in_work_or_studies =
      status == LabourMarketStatus::kEmployed || status == LabourMarketStatus::kStudies;
  return recommended_referral ? !in_work_or_studies : in_work_or_studies;
}

namespace {

const char* DimensionName(Dimension dimension) {
  switch (dimension) {
    case Dimension::kSex:
      return "SEX";
    case Dimension::kBornInSweden:
      return "BORN_IN_SWEDEN";
    case Dimension::kDisability:
      return "DISABILITY";
  }
  return "UNKNOWN";
}

std::string DimensionValue(Dimension dimension, const FollowUpRecord& record) {
  switch (dimension) {
    case Dimension::kSex:
      return record.female ? "FEMALE" : "MALE";
    case Dimension::kBornInSweden:
      return record.born_in_sweden ? "true" : "false";
    case Dimension::kDisability:
      return record.disability ? "true" : "false";
  }
  return "";
}

// Raw counts for one group, turned into figures at the end.
struct Tally {
  int64_t assessments = 0;
  int64_t followed_up = 0;
  int64_t correct = 0;
  int64_t overridden = 0;
  int64_t support_reviews = 0;
  std::map<std::string, int64_t> outcome_counts;
  std::map<std::string, int64_t> level_counts;

  void Add(const FollowUpRecord& r) {
    ++assessments;
    if (r.correct.has_value()) {
      ++followed_up;
      if (*r.correct) ++correct;
    }
    if (r.overridden) ++overridden;
    if (r.sent_to_support_group) ++support_reviews;
    ++outcome_counts[OutcomeName(r.outcome)];
    if (r.outcome == Outcome::kInBetween && r.level != Level::kNone) {
      ++level_counts[LevelName(r.level)];
    }
  }

  GroupFigures Figures(std::map<std::string, std::string> key) const {
    GroupFigures g;
    g.key = std::move(key);
    g.assessments = assessments;
    g.followed_up = followed_up;
    g.correct_share =
        followed_up > 0 ? static_cast<double>(correct) / static_cast<double>(followed_up) : 0.0;
    g.override_rate =
        assessments > 0 ? static_cast<double>(overridden) / static_cast<double>(assessments) : 0.0;
    g.outcome_counts = outcome_counts;
    g.level_counts = level_counts;
    g.support_reviews = support_reviews;
    return g;
  }
};

}  // namespace

FollowUpReport BuildFollowUpReport(const std::vector<FollowUpRecord>& records,
                                   const std::vector<Dimension>& group_by,
                                   int64_t minimum_group_size) {
  // Distinct dimensions, first occurrence wins.
  std::vector<Dimension> dimensions;
  std::set<Dimension> seen;
  for (Dimension d : group_by) {
    if (seen.insert(d).second) dimensions.push_back(d);
  }

  Tally total;
  std::map<std::map<std::string, std::string>, Tally> groups;
  for (const FollowUpRecord& r : records) {
    total.Add(r);
    if (dimensions.empty()) continue;
    std::map<std::string, std::string> key;
    for (Dimension d : dimensions) key[DimensionName(d)] = DimensionValue(d, r);
    groups[std::move(key)].Add(r);
  }

  FollowUpReport report;
  report.total = total.Figures({});
  report.groups.reserve(groups.size());
  for (const auto& [key, tally] : groups) {  // std::map: already sorted by key
    if (tally.assessments < minimum_group_size) {
      GroupFigures suppressed;
      suppressed.key = key;
      suppressed.suppressed = true;
      report.groups.push_back(std::move(suppressed));
    } else {
      report.groups.push_back(tally.Figures(key));
    }
  }
  return report;
}

}  // namespace rusta::assessment
