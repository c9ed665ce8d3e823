#include "common/server/server_config.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rusta::server {
namespace {

std::string HostName() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == 0) return "replica";
  return name;
}

}  // namespace

ServerConfig ReadServerConfig(config::ConfigParser& p, const std::string& service_name,
                              int default_port) {
  ServerConfig c;
  c.service_name = service_name;
  c.listen = p.String("listen", absl::StrCat("0.0.0.0:", default_port),
                      "address to serve gRPC on (host:port; port 0 picks a free port)");
  c.tls_cert = p.String("tls-cert", "", "PEM server certificate (required unless insecure-dev-mode)");
  c.tls_key = p.String("tls-key", "", "PEM private key of the server certificate");
  c.tls_ca = p.String("tls-ca", "", "PEM CA bundle that client certificates must chain to");
  c.insecure_dev_mode = p.Bool("insecure-dev-mode", false,
                               "plaintext and identity from the x-rusta-dev-identity header; "
                               "NEVER in production");
  c.trust_domain = p.String("trust-domain", "rusta.local", "SPIFFE trust domain of identities");
  c.replica_id = p.String("replica-id", HostName(),
                          "stable name of this replica (stream consumer name); default the host name");
  c.workers = static_cast<int>(p.Int("workers", 8, 1, 256, "worker threads (one Redis connection each)"));
  c.max_queued_tasks = static_cast<int>(
      p.Int("max-queued-tasks", 10000, 1, 1000000, "requests waiting for a worker before RESOURCE_EXHAUSTED"));
  c.redis.address = p.String("redis-address", "127.0.0.1:6379", "Redis: host:port or unix:/path");
  c.redis.password = p.String("redis-password", "", "Redis AUTH password", config::Sensitivity::kSecret);
  c.redis.connect_timeout_ms = static_cast<int>(p.Int("redis-connect-timeout-ms", 1000, 10, 60000, "Redis connect timeout"));
  c.redis.command_timeout_ms = static_cast<int>(p.Int("redis-timeout-ms", 2000, 10, 60000, "Redis command timeout"));
  c.audit_chain = p.String("audit-chain", "rusta", "name of the audit chain shared by the suite");
  c.reference_data_dir = p.String("reference-data-dir", "", "directory with municipalities.csv and postal_to_municipality.csv");
  c.max_call_ms = static_cast<int>(p.Int("max-call-ms", 30000, 100, 600000,
                                         "deadline cap of a call (and of calls without a deadline)"));
  c.shutdown_grace_ms = static_cast<int>(p.Int("shutdown-grace-ms", 5000, 0, 600000, "time in-flight calls get at shutdown"));
  c.health_interval_ms = static_cast<int>(p.Int("health-interval-ms", 500, 10, 60000, "how often Redis is pinged for health"));
  // 64 KiB at least (one maximal free-text message with its envelope fits), 64 MiB at most.
  c.max_request_bytes = static_cast<int>(p.Int("max-request-bytes", 1 << 20, 64 << 10, 64 << 20,
                                               "largest request message accepted, in bytes"));
  c.log_level = p.String("log-level", "info", "debug, info, warning or error");

  if (c.listen.find(':') == std::string::npos) p.AddError("listen", "must be host:port");
  if (!c.insecure_dev_mode && (c.tls_cert.empty() || c.tls_key.empty() || c.tls_ca.empty())) {
    p.AddError("tls-cert", "tls-cert, tls-key and tls-ca are required (or insecure-dev-mode for development)");
  }
  if (!absl::StartsWith(c.redis.address, "unix:") && c.redis.address.find(':') == std::string::npos) {
    p.AddError("redis-address", "must be host:port or unix:/path");
  }
  if (c.replica_id.empty()) p.AddError("replica-id", "must not be empty");
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" && c.log_level != "error") {
    p.AddError("log-level", "must be debug, info, warning or error");
  }
  return c;
}

}  // namespace rusta::server
