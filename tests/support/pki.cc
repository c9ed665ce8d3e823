#include "tests/support/pki.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rusta::testing {

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Pki::Pki() {
  const std::string cmd = std::string(RUSTA_SOURCE_DIR) + "/scripts/dev-pki '" + dir() + "' >/dev/null";
  if (RunCommand(cmd) != 0) throw std::runtime_error("scripts/dev-pki failed");
}

std::string Pki::server_cert(const std::string& service) const { return dir() + "/services/" + service + ".crt"; }
std::string Pki::server_key(const std::string& service) const { return dir() + "/services/" + service + ".key"; }

void Pki::AddClient(const std::string& name, const std::string& uri) const {
  const std::string cmd = std::string(RUSTA_SOURCE_DIR) + "/scripts/dev-pki '" + dir() +
                          "' --client '" + name + "' '" + uri + "' >/dev/null";
  if (RunCommand(cmd) != 0) throw std::runtime_error("scripts/dev-pki --client failed");
}

std::shared_ptr<grpc::ChannelCredentials> Pki::ClientCredentials(const std::string& name) const {
  std::string base = dir() + "/clients/" + name;
  if (!std::filesystem::exists(base + ".crt")) base = dir() + "/services/" + name;
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFileOrDie(ca_cert());
  options.pem_private_key = ReadFileOrDie(base + ".key");
  options.pem_cert_chain = ReadFileOrDie(base + ".crt");
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> Pki::NoClientCertCredentials() const {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFileOrDie(ca_cert());
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> Pki::Channel(int port,
                                            std::shared_ptr<grpc::ChannelCredentials> creds) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  // Fresh connection per channel: tests compare identities of different certificates.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), creds, args);
}

}  // namespace rusta::testing
