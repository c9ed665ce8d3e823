#pragma once
// The whole main() of a rusta service, so that each service's main.cc only names its parts:
// block signals, read and print configuration, build the host with the service's Redis function
// libraries, register its gRPC services (plus the shared AuditService), serve until SIGTERM/SIGINT.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/config/config.h"
#include "common/redis/function_library.h"
#include "common/server/service_host.h"

namespace rusta::server {

struct ServiceSpec {
  std::string name;                    // "assessment"
  int default_port = 0;                // the documented port
  std::vector<redis::FunctionLibrary> libraries;  // besides the common library
};

// What a service contributes: its handlers, kept alive by the host's lifetime.
struct RegisteredServices {
  std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>> services;
  template <typename T, typename... Args>
  T& Add(std::string full_name, Args&&... args) {
    auto service = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *service;
    services.emplace_back(std::move(service), std::move(full_name));
    return ref;
  }
};

// The key of the person pseudonyms in Redis key names (HMAC). Without one the service refuses to
// start (logs why, returns false), except in insecure development mode, where a fixed development
// key is used with a warning: a key known from the source would let anyone holding a Redis dump
// test personnummer against its keys.
bool ResolvePseudonymSecret(const ServerConfig& config, std::string* secret);

// declare_settings may read service-specific settings from the parser (before validation);
// build registers the service's handlers on the host.
int ServiceMain(int argc, char** argv, const ServiceSpec& spec,
                const std::function<void(config::ConfigParser&)>& declare_settings,
                const std::function<void(ServiceHost&, RegisteredServices&)>& build);

}  // namespace rusta::server
