#include "services/provider-registry/domain/ratings.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <set>

#include "absl/strings/str_cat.h"

namespace rusta::registry {
namespace {

// Exact rules of rating/1 (ratings.h gives the idea; these are the details):
//
// * Month arithmetic. `MonthsBefore(day, n)` is the same day of the month n calendar months
//   earlier, clamped to the last day of that month (2025-03-31 minus 1 month = 2025-02-28).
// * Window. A participant is in the window when
//       MonthsBefore(as_of, window_months) < started_on <= as_of
//   i.e. the start boundary is exclusive: with as_of 2025-06-15 and 12 months, a start on
//   2024-06-15 is outside, a start on 2024-06-16 inside. One OutcomeRecord is one participant.
// * A participant in the window has a result when result_verified_on is set and <= as_of (results
//   verified later do not count, so recomputing for an earlier date gives the earlier picture).
// * Nationwide rate per level = results / participants of that level in the window, over all
//   providers; 0 when the window has no participant of that level. nationwide_rate and every
//   provider's started_by_level always hold all three levels (0 when none).
// * expected = sum over levels of started_by_level * nationwide_rate (summed in level order, so
//   providers with the same mix get bit-identical values); ratio = verified / expected, 0 when
//   expected is 0.
// * Activity. A provider is active long enough when approved_since <= MonthsBefore(as_of,
//   min_activity_months): approved 2024-06-15 is active 12 months on 2025-06-15, approved
//   2024-06-16 is not. Providers absent from approved_since are not active.
// * Listed providers: every provider with a participant started on or before as_of, or approved on
//   or before as_of (so a later approval or later participants do not show up in an earlier run),
//   sorted by organisation number.
// * Not rated, first matching reason:
//     "no participants"                      no participant in the window
//     "too few participants (12 < 18)"       fewer than min_participants in the window
//     "active less than 12 months"           the activity rule above fails
//     "no other rated provider to compare with"
//         exactly one provider qualifies: the stars are a position relative to the other providers
//         nationwide, and with nobody to compare with any star count would be an invention
//         (4 would claim "top quarter", 1 "bottom quarter"), so the provider is shown unrated with
//         its ratio and sample size.
// * Stars (n >= 2 qualifying providers). For a provider, k = the number of qualifying providers
//   whose ratio is at most its own (itself included), so ties share the better rank. Its share
//   s = k / n; stars = ceil(4 * s), i.e. s <= 1/4 → 1, s <= 1/2 → 2, s <= 3/4 → 3, otherwise 4.
//   With 8 providers of distinct ratios, the lowest two get 1, the next two 2, then 3, the top two
//   4. The top provider always gets 4; all-equal ratios all get 4. Ratios within a relative 1e-9
//   of each other count as equal (rounding noise of the sums), computed in integer arithmetic:
//   stars = (4 * k + n - 1) / n.

constexpr Level kLevels[] = {Level::kA, Level::kB, Level::kC};
constexpr double kRatioTolerance = 1e-9;

absl::CivilDay MonthsBefore(absl::CivilDay day, int months) {
  const absl::CivilMonth month = absl::CivilMonth(day) - months;
  const absl::CivilDay last_of_month = absl::CivilDay(month + 1) - 1;
  const int dom = std::min(day.day(), last_of_month.day());
  return absl::CivilDay(month.year(), month.month(), dom);
}

bool AtMost(double a, double b) {
  return a <= b + kRatioTolerance * std::max(1.0, std::fabs(b));
}

struct Tally {
  std::map<Level, int> started;
  std::map<Level, int> verified;
};

std::map<Level, int> ZeroByLevel() {
  std::map<Level, int> out;
  for (Level level : kLevels) out[level] = 0;
  return out;
}

}  // namespace

RatingComputation ComputeRatings(const std::vector<OutcomeRecord>& outcomes,
                                 const std::map<std::string, absl::CivilDay>& approved_since,
                                 absl::CivilDay as_of, const RatingParams& params) {
  RatingComputation out;
  out.as_of = as_of;

  const absl::CivilDay window_start = MonthsBefore(as_of, params.window_months);  // exclusive
  const absl::CivilDay active_by = MonthsBefore(as_of, params.min_activity_months);

  std::set<std::string> listed;
  std::map<std::string, Tally> tallies;
  std::map<Level, int> started_nationwide = ZeroByLevel();
  std::map<Level, int> verified_nationwide = ZeroByLevel();

  for (const auto& [org, since] : approved_since) {
    if (since <= as_of) listed.insert(org);
  }
  for (const OutcomeRecord& record : outcomes) {
    if (record.started_on > as_of) continue;
    listed.insert(record.organisation_number);
    if (record.started_on <= window_start) continue;
    const bool verified = record.result_verified_on && *record.result_verified_on <= as_of;
    Tally& tally = tallies[record.organisation_number];
    ++tally.started[record.level];
    ++started_nationwide[record.level];
    ++out.sample_size;
    if (verified) {
      ++tally.verified[record.level];
      ++verified_nationwide[record.level];
    }
  }

  for (Level level : kLevels) {
    const int started = started_nationwide[level];
    out.nationwide_rate[level] =
        started == 0 ? 0.0 : static_cast<double>(verified_nationwide[level]) / started;
  }

  std::vector<std::size_t> qualifying;  // indexes into out.providers
  for (const std::string& org : listed) {
    ProviderRatingResult result;
    result.organisation_number = org;
    result.started_by_level = ZeroByLevel();
    auto tally = tallies.find(org);
    if (tally != tallies.end()) {
      for (const auto& [level, count] : tally->second.started) {
        result.started_by_level[level] = count;
        result.sample_size += count;
      }
      for (const auto& [level, count] : tally->second.verified) result.verified_results += count;
    }
    for (Level level : kLevels) {
      result.expected_results += result.started_by_level[level] * out.nationwide_rate[level];
    }
    result.ratio =
        result.expected_results > 0 ? result.verified_results / result.expected_results : 0.0;

    auto since = approved_since.find(org);
    const bool active = since != approved_since.end() && since->second <= active_by;
    if (result.sample_size == 0) {
      result.unrated_reason = "no participants";
    } else if (result.sample_size < params.min_participants) {
      result.unrated_reason = absl::StrCat("too few participants (", result.sample_size, " < ",
                                           params.min_participants, ")");
    } else if (!active) {
      result.unrated_reason =
          absl::StrCat("active less than ", params.min_activity_months, " months");
    } else {
      qualifying.push_back(out.providers.size());
    }
    out.providers.push_back(std::move(result));
  }

  const std::size_t n = qualifying.size();
  if (n == 1) {
    out.providers[qualifying.front()].unrated_reason = "no other rated provider to compare with";
  } else if (n >= 2) {
    for (std::size_t i : qualifying) {
      std::size_t at_or_below = 0;
      for (std::size_t j : qualifying) {
        if (AtMost(out.providers[j].ratio, out.providers[i].ratio)) ++at_or_below;
      }
      out.providers[i].stars = static_cast<int>((4 * at_or_below + n - 1) / n);
    }
  }
  return out;
}

}  // namespace rusta::registry
