#pragma once
// The settings every rusta service shares, read from flags / RUSTA_* environment variables.
#include <string>

#include "absl/status/statusor.h"
#include "common/config/config.h"
#include "common/redis/redis_options.h"

namespace rusta::server {

struct ServerConfig {
  std::string service_name;          // "assessment", "referral", ...
  std::string listen;                // host:port; port 0 picks a free one (tests)
  std::string tls_cert, tls_key, tls_ca;
  bool insecure_dev_mode = false;    // plaintext, identity from a header; development only
  std::string trust_domain = "rusta.local";
  // This replica's stable name where replicas share work (stream consumer names): the same after
  // a restart, so that it finds its own unacknowledged entries again. Default: the host name.
  std::string replica_id = "replica";
  int workers = 8;                   // worker threads, each with one Redis connection
  int max_queued_tasks = 10000;
  redis::RedisOptions redis;
  std::string audit_chain = "rusta";
  std::string reference_data_dir;    // municipalities.csv etc.; empty means none
  // The longest a call may take: a client's own deadline is capped to it, and it is the deadline
  // of calls that set none. It bounds retries and every upstream call made for the call.
  int max_call_ms = 30000;
  int shutdown_grace_ms = 5000;
  int health_interval_ms = 500;
  // The largest serialised request gRPC accepts (larger: RESOURCE_EXHAUSTED before any handler).
  // Set explicitly rather than left at gRPC's 4 MiB: no contract needs that much.
  int max_request_bytes = 1 << 20;
  std::string log_level = "info";
};

// Declares the shared settings on the parser (service-specific ones can be declared after) and
// validates them. default_port is the service's documented port.
ServerConfig ReadServerConfig(config::ConfigParser& parser, const std::string& service_name,
                              int default_port);

}  // namespace rusta::server
