#include "services/referral/referral_config.h"

#include <string>

namespace rusta::referral {

ReferralConfig ReadReferralConfig(config::ConfigParser& p) {
  ReferralConfig c;
  ReferralRules& r = c.rules;
  r.version = p.String("rules-version", r.version, "name recorded with every decision taken under these rules");
  r.choice_deadline_days = static_cast<int>(p.Int("choice-deadline-days", r.choice_deadline_days, 1, 365,
                                                  "days the participant has to choose a provider"));
  r.period_months = static_cast<int>(p.Int("period-months", r.period_months, 1, 24, "months of period 1"));
  r.maximum_months = static_cast<int>(p.Int("maximum-months", r.maximum_months, 1, 48, "maximum months of service"));
  r.pause_stops_clock = p.Bool("pause-stops-clock", r.pause_stops_clock,
                               "whether a pause stops the maximum-time clock");
  r.parallel_measure_max_months = static_cast<int>(p.Int("parallel-measure-max-months",
      r.parallel_measure_max_months, 1, 12, "longest parallel measure"));
  r.labour_market_training_max_months = static_cast<int>(p.Int("labour-market-training-max-months",
      r.labour_market_training_max_months, 1, 12, "labour-market training longer than this ends the participation"));
  r.frequent_change_count = static_cast<int>(p.Int("frequent-change-count", r.frequent_change_count, 1, 100,
                                                   "provider changes within the window that flag the case"));
  r.frequent_change_window_months = static_cast<int>(p.Int("frequent-change-window-months",
      r.frequent_change_window_months, 1, 36, "window of the frequent-change flag"));
  r.result_report_window_months = static_cast<int>(p.Int("result-report-window-months",
      r.result_report_window_months, 0, 24, "months after the end a result may be reported"));
  r.backdating_window_days = static_cast<int>(p.Int("backdating-window-days", r.backdating_window_days, 0, 365,
      "how many days back a decision or a choice may be dated"));
  if (absl::Status s = ValidateRules(r); !s.ok()) p.AddError("rules", std::string(s.message()));

  c.assessment_address = p.String("assessment-address", c.assessment_address, "host:port of the assessment service");
  c.registry_address = p.String("registry-address", c.registry_address, "host:port of the provider registry");
  c.upstream_tls_name = p.String("upstream-tls-name", c.upstream_tls_name,
                                 "name the upstream services' certificates are checked against");
  c.upstream_timeout_ms = p.Int("upstream-timeout-ms", c.upstream_timeout_ms, 100, 600000,
                                "deadline of calls to the assessment service and the registry");
  c.scheduler_interval_ms = p.Int("scheduler-interval-ms", c.scheduler_interval_ms, 0, 3600000,
                                  "how often due deadlines are looked for; 0 = no scheduler in this replica");
  c.rating_feed = p.Bool("rating-feed", c.rating_feed,
                         "whether the scheduler feeds case events to the registry's ratings and computes them daily");
  c.queue_visibility_ms = p.Int("queue-visibility-ms", c.queue_visibility_ms, 1000, 7 * 24 * 3600 * 1000LL,
                                "a claimed queue item returns to its queue after this");
  c.events_max_length = p.Int("events-max-length", c.events_max_length, 1000, 1000000000,
                              "approximate length the events stream is trimmed to");
  c.result_register_file = p.String("result-register-file", "",
                                    "CSV register results are verified against; empty = verified by hand");
  c.case_cache_size = p.Int("case-cache-size", c.case_cache_size, 0, 10000000,
                            "cases whose last write a replica remembers to save the read before a change; 0 = off");
  c.pseudonym_secret = p.String("pseudonym-secret", "", "key for the pseudonyms of person ids in Redis key names",
                                config::Sensitivity::kSecret);
  return c;
}

}  // namespace rusta::referral
