#pragma once
// The development PKI for tests, made by the project's own scripts/dev-pki (OpenSSL) in a
// temporary directory, plus gRPC client credentials from it.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "tests/support/temp_dir.h"

namespace rusta::testing {

std::string ReadFileOrDie(const std::string& path);

class Pki {
 public:
  Pki();  // runs scripts/dev-pki into a fresh directory

  const std::string& dir() const { return dir_.path(); }
  std::string ca_cert() const { return dir() + "/ca.crt"; }
  std::string server_cert(const std::string& service) const;
  std::string server_key(const std::string& service) const;
  // Issues (once) a client certificate with the given URI SAN; returns its name.
  void AddClient(const std::string& name, const std::string& uri) const;

  // Channel credentials presenting client `name` (from clients/ or services/).
  std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const std::string& name) const;
  // TLS without a client certificate.
  std::shared_ptr<grpc::ChannelCredentials> NoClientCertCredentials() const;
  // A channel to 127.0.0.1:port verifying the server as "localhost".
  static std::shared_ptr<grpc::Channel> Channel(int port,
                                                std::shared_ptr<grpc::ChannelCredentials> creds);

 private:
  TempDir dir_;
};

}  // namespace rusta::testing
