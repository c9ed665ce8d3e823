#pragma once
// A ServiceHost on 127.0.0.1:0 with mutual TLS from a test PKI and a real Redis: the in-process
// tier of integration tests.
#include <memory>
#include <string>

#include "common/server/server_config.h"
#include "common/server/service_host.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"

namespace rusta::testing {

// The server config of one service under test (its certificate from the PKI).
server::ServerConfig TestServerConfig(const Pki& pki, const RedisServer& redis,
                                      const std::string& service = "assessment");

}  // namespace rusta::testing
