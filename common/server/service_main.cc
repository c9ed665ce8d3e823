#include "common/server/service_main.h"

#include "common/log/log.h"
#include "common/lua/common_library.h"
#include "common/server/audit_handler.h"
#include "common/server/signals.h"

namespace rusta::server {

int ServiceMain(int argc, char** argv, const ServiceSpec& spec,
                const std::function<void(config::ConfigParser&)>& declare_settings,
                const std::function<void(ServiceHost&, RegisteredServices&)>& build) {
  // Before gRPC or the worker pool start any thread (they inherit the mask).
  BlockTerminationSignals();
  auto parser = config::ConfigParser::FromProcess(argc, argv);
  ServerConfig config = ReadServerConfig(parser, spec.name, spec.default_port);
  if (declare_settings) declare_settings(parser);
  int exit_code = 0;
  if (!FinishConfig(parser, config, argv[0], &exit_code)) return exit_code;

  redis::FunctionRegistry functions;
  functions.Add(lua::CommonLibrary());
  for (const auto& library : spec.libraries) functions.Add(library);
  ServiceHost host(config, std::move(functions));

  RegisteredServices registered;
  if (build) build(host, registered);
  registered.Add<AuditHandler>("rusta.v1.AuditService", host);
  for (auto& [service, name] : registered.services) host.AddService(service.get(), name);
  return RunUntilSignalled(host);
}

bool ResolvePseudonymSecret(const ServerConfig& config, std::string* secret) {
  if (!secret->empty()) return true;
  if (!config.insecure_dev_mode) {
    log::Error("pseudonym_secret_unset",
               {{"detail", "pseudonym-secret (RUSTA_PSEUDONYM_SECRET) is required; only insecure-dev-mode "
                           "runs without it"}});
    return false;
  }
  log::Warning("pseudonym_secret_unset",
               {{"detail", "insecure-dev-mode: person pseudonyms use a fixed development key"}});
  *secret = "rusta-development-pseudonym-key";
  return true;
}

}  // namespace rusta::server
