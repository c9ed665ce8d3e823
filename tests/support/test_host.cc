#include "tests/support/test_host.h"

namespace rusta::testing {

server::ServerConfig TestServerConfig(const Pki& pki, const RedisServer& redis,
                                      const std::string& service) {
  server::ServerConfig c;
  c.service_name = service;
  c.listen = "127.0.0.1:0";
  c.tls_cert = pki.server_cert(service);
  c.tls_key = pki.server_key(service);
  c.tls_ca = pki.ca_cert();
  c.workers = 4;
  c.redis = redis.options();
  c.health_interval_ms = 50;
  c.shutdown_grace_ms = 1000;
  return c;
}

}  // namespace rusta::testing
