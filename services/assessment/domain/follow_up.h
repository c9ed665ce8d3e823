#pragma once
// Follow-up of the assessment (domain.md section 4): accuracy of the tool's recommendations and
// equal treatment by group. Pure functions over plain records.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "services/assessment/domain/types.h"

namespace rusta::assessment {

enum class LabourMarketStatus { kEmployed, kStudies, kNotEmployed, kDeregisteredOther };

// A recommendation is correct when the tool recommended referral (eligible) and the person had no
// work or studies six months later, or recommended no referral and the person was in work or
// studies. (domain.md: "correct when a referred person had no job after six months, or a
// non-referred person found a job"; "referred" here is the tool's recommendation, which is what
// the tool's accuracy is about; work or studies count as the programme's own results do.)
bool RecommendationCorrect(bool recommended_referral, LabourMarketStatus status);

enum class Dimension { kSex, kBornInSweden, kDisability };

// What the report needs of one assessment.
struct FollowUpRecord {
  bool female = false;        // sex
  bool born_in_sweden = false;
  bool disability = false;    // a disability code was registered
  Outcome outcome = Outcome::kClose;
  Level level = Level::kNone;
  bool overridden = false;
  bool sent_to_support_group = false;
  std::optional<bool> correct;  // set when a follow-up was recorded
};

struct GroupFigures {
  // Dimension name → value: "SEX" → "FEMALE"/"MALE", "BORN_IN_SWEDEN" → "true"/"false",
  // "DISABILITY" → "true"/"false". Empty for the total.
  std::map<std::string, std::string> key;
  bool suppressed = false;  // fewer assessments than the minimum: every figure below is zero
  int64_t assessments = 0;
  int64_t followed_up = 0;
  double correct_share = 0;  // correct / followed_up (0 when none followed up)
  double override_rate = 0;  // overridden / assessments
  std::map<std::string, int64_t> outcome_counts;  // OutcomeName → count
  std::map<std::string, int64_t> level_counts;    // LevelName → count, IN_BETWEEN only
  int64_t support_reviews = 0;
};

struct FollowUpReport {
  GroupFigures total;                 // never suppressed
  std::vector<GroupFigures> groups;   // one per combination present, sorted by key
};

FollowUpReport BuildFollowUpReport(const std::vector<FollowUpRecord>& records,
                                   const std::vector<Dimension>& group_by,
                                   int64_t minimum_group_size);

}  // namespace rusta::assessment
