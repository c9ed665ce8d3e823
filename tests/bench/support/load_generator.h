#pragma once
// A closed-loop load generator for gRPC benchmarks: keeps exactly `in_flight` asynchronous calls
// outstanding (each completion starts the next call), spread round-robin over `channels`, and
// measures throughput and latency after a warm-up.
//
// What is counted:
//  - calls, calls_per_second and the latency percentiles: successful calls that complete inside
//    the measurement window (after warmup, for `duration`); latency runs from issuing the call to
//    its completion callback, so it includes the client's own queueing on these shared cores;
//  - errors and errors_by_code: every failed call of the whole run (warm-up, window and the final
//    drain). A failed call is never a success (h2load counts gRPC errors as successes).
// RunLoad returns only when every outstanding call has completed: give calls a deadline (AsyncUnary
// does) so a stuck server cannot hang a benchmark forever.
#include <grpcpp/grpcpp.h>

#include "common/status/grpc_status.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace rusta::bench {

struct LoadOptions {
  int channels = 4;
  int in_flight = 64;  // calls outstanding in total, over all channels
  std::chrono::milliseconds warmup{500}, duration{3000};
};

struct LoadResult {
  int64_t calls = 0;   // successful calls completed in the window
  int64_t errors = 0;  // failed calls, whole run
  double seconds = 0;  // length of the measurement window
  double calls_per_second = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  std::map<std::string, int64_t> errors_by_code;  // "UNAVAILABLE" -> count
};

// Called once per completed call with its status.
using CallDone = std::function<void(const grpc::Status&)>;
// Issues ONE asynchronous call on channel `channel_index` (0 <= index < channels) and arranges for
// `done` to run exactly once when it completes. It must not block; `done` may run on any thread,
// also before start_call returns.
using StartCall = std::function<void(int channel_index, int64_t call_index, CallDone done)>;

LoadResult RunLoad(const LoadOptions& options, const StartCall& start_call);

// "name: 85012 calls/s  p50 0.71 ms  p90 1.02 ms  p99 1.90 ms  max 7.80 ms  (255036 calls, 0 errors in 3.00 s)"
// plus " errors: CODE=n ..." when there were errors.
std::string FormatResult(const std::string& name, const LoadResult& result);

// Prints the subject's throughput as a percentage of the baseline's and both p50/p99 latencies.
void PrintComparison(const LoadResult& subject, const LoadResult& baseline,
                     const std::string& subject_name = "subject",
                     const std::string& baseline_name = "baseline", std::FILE* out = stdout);


// One unary call with the callback API. The ClientContext, request and response live in a heap
// object freed when the call completes, so the caller owns nothing after this returns. `method` is
// the stub's callback-API method, e.g. &rusta::bench::EchoService::Stub::async::Echo. `check`
// (optional) inspects a successful response and may turn it into an error (e.g. a wrong echo).
template <typename Stub, typename Req, typename Resp>
void AsyncUnary(
    Stub* stub,
    void (Stub::async::*method)(grpc::ClientContext*, const Req*, Resp*,
                                std::function<void(grpc::Status)>),
    Req request, CallDone done,
    std::chrono::milliseconds timeout = std::chrono::seconds(10),
    typename std::common_type<std::function<grpc::Status(const Req&, const Resp&)>>::type check =
        nullptr) {  // (common_type: not deduced, so a lambda converts)
  struct Call {
    grpc::ClientContext context;
    Req request;
    Resp response;
  };
  auto* call = new Call;
  call->request = std::move(request);
  call->context.set_deadline(std::chrono::system_clock::now() + timeout);
  (stub->async()->*method)(
      &call->context, &call->request, &call->response,
      [call, done = std::move(done), check = std::move(check)](grpc::Status status) {
        if (status.ok() && check) status = check(call->request, call->response);
        delete call;
        done(status);
      });
}

}  // namespace rusta::bench
