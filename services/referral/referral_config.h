#pragma once
// The referral service's own settings (flags --x-y or RUSTA_X_Y), besides the shared server ones.
#include <cstdint>
#include <string>

#include "common/config/config.h"
#include "services/referral/domain/rules.h"

namespace rusta::referral {

struct ReferralConfig {
  ReferralRules rules;
  // The assessment service and the provider registry (mutual TLS with this service's certificate).
  std::string assessment_address = "127.0.0.1:50051";
  std::string registry_address = "127.0.0.1:50053";
  // The name the upstream certificates are checked against (the dev PKI issues "localhost").
  std::string upstream_tls_name = "localhost";
  int64_t upstream_timeout_ms = 5000;
  // The deadline scheduler: how often it looks for due deadlines; 0 turns it off (tests that
  // drive AssignDefaultProvider themselves, or a replica that should not schedule).
  int64_t scheduler_interval_ms = 1000;
  // The scheduler also feeds starts, ends and verified results to the registry's rating input
  // (rating_feed.h) and has the registry compute ratings once per Swedish day.
  bool rating_feed = true;
  // A claimed caseworker item returns to its queue after this.
  int64_t queue_visibility_ms = 30 * 60 * 1000;
  // Events kept on the events stream (approximate; consumers must keep up).
  int64_t events_max_length = 1000000;
  std::string pseudonym_secret;
  // The register results are verified against (result_register.h, CSV); empty: an employment
  // officer verifies every result from the result-verifications queue.
  std::string result_register_file;
  // Cases whose last write this replica remembers (case_cache.h); 0 turns the cache off.
  int64_t case_cache_size = 50000;
};

ReferralConfig ReadReferralConfig(config::ConfigParser& parser);

}  // namespace rusta::referral
