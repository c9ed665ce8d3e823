// The gRPC baseline: the trivial echo service on a real ServiceHost (mutual TLS, interceptor,
// health), loaded by the closed-loop generator twice. The two figures and their ratio show how
// noisy the machine is right now; other benchmarks compare their service against this same echo
// baseline measured in their own run.
//
//   grpc_baseline_bench [--duration-ms=3000] [--warmup-ms=500] [--in-flight=64] [--channels=4]
//                       [--payload-bytes=16]
// Exits non-zero if any call failed. No timing is asserted.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log/log.h"
#include "tests/bench/echo.grpc.pb.h"
#include "tests/bench/support/echo_service.h"
#include "tests/bench/support/bench_flags.h"
#include "tests/bench/support/load_generator.h"
#include "tests/support/pki.h"
#include "tests/support/redis_server.h"

namespace {

using rusta::bench::EchoRequest;
using rusta::bench::EchoResponse;
using rusta::bench::EchoService;

struct Flags {
  rusta::bench::LoadOptions load;
  int payload_bytes = 16;
};


Flags ParseFlags(int argc, char** argv) {
  Flags f;
  rusta::bench::ParseBenchFlags(argc, argv, &f.load, {{"--payload-bytes", 0, &f.payload_bytes}});
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  // The interceptor's per-RPC info lines would dominate both the output and the CPU.
  rusta::log::SetMinLevel(rusta::log::Level::kWarning);

  rusta::testing::RedisServer redis;
  rusta::testing::Pki pki;
  auto host = rusta::bench::StartEchoHost(rusta::bench::BenchServerConfig(pki, redis));
  if (!host.ok()) {
    std::fprintf(stderr, "echo host: %s\n", std::string(host.status().message()).c_str());
    return 1;
  }

  // One connection per channel (Pki::Channel uses a local subchannel pool), connected up front.
  auto credentials = pki.ClientCredentials("caseworker");
  std::vector<std::unique_ptr<EchoService::Stub>> stubs;
  for (int i = 0; i < flags.load.channels; ++i) {
    auto channel = rusta::testing::Pki::Channel((*host)->port(), credentials);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::fprintf(stderr, "channel %d: cannot connect to the echo host\n", i);
      return 1;
    }
    stubs.push_back(EchoService::NewStub(channel));
  }

  const std::string payload(static_cast<size_t>(flags.payload_bytes), 'x');
  auto start_call = [&](int channel, int64_t, rusta::bench::CallDone done) {
    EchoRequest request;
    request.set_payload(payload);
    rusta::bench::AsyncUnary(
        stubs[static_cast<size_t>(channel)].get(), &EchoService::Stub::async::Echo,
        std::move(request), std::move(done), std::chrono::seconds(10),
        [](const EchoRequest& req, const EchoResponse& resp) {
          return resp.payload() == req.payload()
                     ? grpc::Status::OK
                     : grpc::Status(grpc::StatusCode::DATA_LOSS, "echo differs from request");
        });
  };

  std::printf("grpc_baseline_bench: echo over mutual TLS on a ServiceHost, %d in flight over %d "
              "channels, %d-byte payload, %lld ms warm-up + %lld ms per run\n",
              flags.load.in_flight, flags.load.channels, flags.payload_bytes,
              static_cast<long long>(flags.load.warmup.count()),
              static_cast<long long>(flags.load.duration.count()));
  std::fflush(stdout);
  const rusta::bench::LoadResult first = rusta::bench::RunLoad(flags.load, start_call);
  std::printf("%s\n", rusta::bench::FormatResult("echo baseline run 1", first).c_str());
  std::fflush(stdout);
  const rusta::bench::LoadResult second = rusta::bench::RunLoad(flags.load, start_call);
  std::printf("%s\n", rusta::bench::FormatResult("echo baseline run 2", second).c_str());
  rusta::bench::PrintComparison(second, first, "run 2", "run 1");

  const int64_t errors = first.errors + second.errors;
  if (errors != 0) {
    std::fprintf(stderr, "grpc_baseline_bench: %lld calls failed\n", static_cast<long long>(errors));
    return 1;
  }
  if (first.calls == 0 || second.calls == 0) {
    std::fprintf(stderr, "grpc_baseline_bench: no call completed in a measurement window\n");
    return 1;
  }
  return 0;
}
