// Unit tests of the provider lifecycle, admission and follow-up risk
// (services/provider-registry/domain/lifecycle.h).
#include "services/provider-registry/domain/lifecycle.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rusta::registry {
namespace {

using S = ProviderStatus;

const S kAll[] = {S::kApplied, S::kApproved, S::kRejected, S::kSuspended, S::kTerminated};

std::string Name(S s) {
  switch (s) {
    case S::kApplied: return "APPLIED";
    case S::kApproved: return "APPROVED";
    case S::kRejected: return "REJECTED";
    case S::kSuspended: return "SUSPENDED";
    case S::kTerminated: return "TERMINATED";
  }
  return "?";
}

TEST(LifecycleTest, StatusNames) {
  for (S s : kAll) EXPECT_EQ(StatusName(s), Name(s));
}

// All 25 (from, to) pairs. Rows: from; columns: to, in the order of kAll.
TEST(LifecycleTest, EveryTransitionPair) {
  //                 to: APPLIED APPROVED REJECTED SUSPENDED TERMINATED
  const bool kAllowed[5][5] = {
      /* APPLIED    */ {false, true, true, false, true},
      /* APPROVED   */ {false, false, false, true, true},
      /* REJECTED   */ {false, false, false, false, true},
      /* SUSPENDED  */ {false, true, false, false, true},
      /* TERMINATED */ {false, false, false, false, false},
  };
  int allowed_count = 0;
  for (int f = 0; f < 5; ++f) {
    for (int t = 0; t < 5; ++t) {
      const S from = kAll[f];
      const S to = kAll[t];
      SCOPED_TRACE(Name(from) + " -> " + Name(to));
      const absl::Status status = CheckTransition(from, to);
      if (kAllowed[f][t]) {
        ++allowed_count;
        EXPECT_TRUE(status.ok()) << status;
      } else {
        EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(std::string(status.message()),
                  "provider.lifecycle: " + Name(from) + " \u2192 " + Name(to) + " is not allowed");
      }
    }
  }
  EXPECT_EQ(allowed_count, 8);
}

TEST(LifecycleTest, DocumentedMessage) {
  EXPECT_EQ(std::string(CheckTransition(S::kApplied, S::kSuspended).message()),
            "provider.lifecycle: APPLIED → SUSPENDED is not allowed");
}

// ---------------------------------------------------------------------------------------------
// Admission

TEST(AdmissionTest, PassesWithReferencesAndGoodFinances) {
  EXPECT_EQ(EvaluateAdmission(2, 40, false, false), AdmissionResult::kPassed);
  EXPECT_EQ(EvaluateAdmission(5, 95, false, true), AdmissionResult::kPassed);
}

TEST(AdmissionTest, TooFewReferencesComesFirst) {
  EXPECT_EQ(EvaluateAdmission(1, 80, false, false), AdmissionResult::kInsufficientReferences);
  EXPECT_EQ(EvaluateAdmission(0, 10, true, false), AdmissionResult::kInsufficientReferences);
  EXPECT_EQ(EvaluateAdmission(1, 10, true, true), AdmissionResult::kInsufficientReferences);
}

TEST(AdmissionTest, MinReferencesIsConfigurable) {
  EXPECT_EQ(EvaluateAdmission(2, 80, false, false, 3), AdmissionResult::kInsufficientReferences);
  EXPECT_EQ(EvaluateAdmission(3, 80, false, false, 3), AdmissionResult::kPassed);
  EXPECT_EQ(EvaluateAdmission(0, 80, false, false, 0), AdmissionResult::kPassed);
}

TEST(AdmissionTest, CreditRatingBoundary39And40) {
  EXPECT_EQ(EvaluateAdmission(2, 39, false, false), AdmissionResult::kNeedsAuditorStatement);
  EXPECT_EQ(EvaluateAdmission(2, 40, false, false), AdmissionResult::kPassed);
  EXPECT_EQ(EvaluateAdmission(2, 39, false, true), AdmissionResult::kPassed);
}

TEST(AdmissionTest, PaymentRemarksNeedAnAuditorStatement) {
  EXPECT_EQ(EvaluateAdmission(2, 90, true, false), AdmissionResult::kNeedsAuditorStatement);
  EXPECT_EQ(EvaluateAdmission(2, 90, true, true), AdmissionResult::kPassed);
  EXPECT_EQ(EvaluateAdmission(2, 20, true, true), AdmissionResult::kPassed);
  EXPECT_EQ(EvaluateAdmission(2, 20, true, false), AdmissionResult::kNeedsAuditorStatement);
}

// ---------------------------------------------------------------------------------------------
// Follow-up risk

const std::vector<std::optional<int>> kStars = {std::nullopt, 1, 2, 3, 4};

TEST(FollowUpTest, DocumentedFormula) {
  // 3 × open + 1 × last 12 months + 1.5 × (4 − stars).
  EXPECT_DOUBLE_EQ(FollowUpRiskScore(0, 0, std::nullopt), 0);
  EXPECT_DOUBLE_EQ(FollowUpRiskScore(0, 0, 4), 0);
  EXPECT_DOUBLE_EQ(FollowUpRiskScore(0, 0, 1), 4.5);
  EXPECT_DOUBLE_EQ(FollowUpRiskScore(2, 3, 2), 6 + 3 + 3);
  EXPECT_EQ(FollowUpDaysEarlier(0), 0);
  EXPECT_EQ(FollowUpDaysEarlier(1), 15);
  EXPECT_EQ(FollowUpDaysEarlier(4.5), 68);  // 67.5 rounds up
  EXPECT_EQ(FollowUpDaysEarlier(10), 150);
  EXPECT_EQ(FollowUpDaysEarlier(1000), 150);
  EXPECT_EQ(FollowUpDaysEarlier(-3), 0);
}

TEST(FollowUpTest, OpenComplaintsWeighMostThenRecentThenLowRating) {
  const double open = FollowUpRiskScore(1, 0, std::nullopt);
  const double recent = FollowUpRiskScore(0, 1, std::nullopt);
  const double one_star_step = FollowUpRiskScore(0, 0, 3);  // one star below the top
  EXPECT_GT(open, recent);
  EXPECT_GT(open, one_star_step);
  EXPECT_GT(recent, 0);
  // 1 star adds the most of any rating; unrated adds nothing, like 4 stars.
  for (const auto& stars : kStars) {
    EXPECT_GE(FollowUpRiskScore(0, 0, 1), FollowUpRiskScore(0, 0, stars));
  }
  EXPECT_EQ(FollowUpRiskScore(3, 2, std::nullopt), FollowUpRiskScore(3, 2, 4));
}

TEST(FollowUpTest, ScoreIsMonotone) {
  for (const auto& stars : kStars) {
    for (int open = 0; open < 10; ++open) {
      for (int recent = 0; recent < 10; ++recent) {
        const double score = FollowUpRiskScore(open, recent, stars);
        EXPECT_GE(score, 0);
        EXPECT_GT(FollowUpRiskScore(open + 1, recent, stars), score);
        EXPECT_GT(FollowUpRiskScore(open, recent + 1, stars), score);
        if (stars && *stars > 1) {
          EXPECT_GT(FollowUpRiskScore(open, recent, *stars - 1), score);
        }
      }
    }
  }
}

TEST(FollowUpTest, DaysAreMonotoneAndBounded) {
  int previous = FollowUpDaysEarlier(0);
  EXPECT_EQ(previous, 0);
  for (int i = 1; i <= 2000; ++i) {
    const int days = FollowUpDaysEarlier(i * 0.01);
    EXPECT_GE(days, previous);
    EXPECT_LE(days, 150);
    EXPECT_GE(days, 0);
    previous = days;
  }
  EXPECT_EQ(previous, 150);
  // More complaints never make the follow-up later.
  EXPECT_GE(FollowUpDaysEarlier(FollowUpRiskScore(2, 1, 2)),
            FollowUpDaysEarlier(FollowUpRiskScore(1, 1, 2)));
  EXPECT_GT(FollowUpDaysEarlier(FollowUpRiskScore(0, 1, std::nullopt)), 0);
}

}  // namespace
}  // namespace rusta::registry
