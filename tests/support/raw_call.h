#pragma once
// gRPC calls with raw message bytes (grpc::GenericStub): for requests our generated stubs cannot
// send (bytes that do not parse) and for services whose generated code the tests do not link
// (server reflection).
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

namespace rusta::testing {

// One unary call of `method` ("/package.Service/Method") with `request` as the message's bytes.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request, std::string* response);

// A streaming call: writes each request, half-closes, and reads every response until the end.
grpc::Status RawStreamingCall(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& method, const std::vector<std::string>& requests,
                              std::vector<std::string>* responses);

}  // namespace rusta::testing
