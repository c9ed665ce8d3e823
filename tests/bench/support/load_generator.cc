#include "tests/bench/support/load_generator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rusta::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One of the `in_flight` call slots. A slot has at most one call outstanding, so its fields are only
// touched by that call's issuer and completion, which gRPC orders: no lock needed for them.
struct Slot {
  int index = 0;
  int channel = 0;
  Clock::time_point started;
  std::vector<int64_t> latencies_ns;  // successful calls completed in the window
  std::map<grpc::StatusCode, int64_t> errors;
  // Issue/complete handshake, so a completion that runs inside start_call (inline, or on another
  // thread before start_call returned) does not recurse into start_call: the issuer loops instead.
  enum : int { kIssuing = 0, kInFlight = 1, kCompletedWhileIssuing = 2 };
  std::atomic<int> phase{kInFlight};
};

class Generator {
 public:
  Generator(const LoadOptions& options, const StartCall& start_call)
      : options_(options), start_call_(start_call), slots_(std::max(1, options.in_flight)) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].index = static_cast<int>(i);
      slots_[i].channel = static_cast<int>(i % std::max(1, options.channels));
      slots_[i].latencies_ns.reserve(4096);
    }
  }

  LoadResult Run() {
    const Clock::time_point begin = Clock::now();
    window_start_ = begin + options_.warmup;
    window_end_ = window_start_ + options_.duration;
    outstanding_ = static_cast<int>(slots_.size());
    for (Slot& slot : slots_) Issue(slot);

    std::this_thread::sleep_until(window_end_);
    stop_.store(true);
    {
      std::unique_lock<std::mutex> lock(mu_);
      drained_cv_.wait(lock, [this] { return outstanding_ == 0; });
    }
    return Collect();
  }

 private:
  bool ShouldContinue() const { return !stop_.load(std::memory_order_relaxed) && Clock::now() < window_end_; }

  void Issue(Slot& slot) {
    for (;;) {
      if (!ShouldContinue()) return Retire();
      slot.phase.store(Slot::kIssuing);
      slot.started = Clock::now();
      start_call_(slot.channel, next_call_.fetch_add(1, std::memory_order_relaxed),
                  [this, &slot](const grpc::Status& status) { Completed(slot, status); });
      int expected = Slot::kIssuing;
      // Still issuing: the completion will come later and issue the next call itself.
      if (slot.phase.compare_exchange_strong(expected, Slot::kInFlight)) return;
      // It completed before start_call returned and left the next call to this loop.
    }
  }

  void Completed(Slot& slot, const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    if (!status.ok()) {
      ++slot.errors[status.error_code()];
    } else if (now >= window_start_ && now < window_end_) {
      slot.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - slot.started).count());
    }
    int expected = Slot::kIssuing;
    if (slot.phase.compare_exchange_strong(expected, Slot::kCompletedWhileIssuing)) return;
    Issue(slot);
  }

  // Under the lock, so that Run cannot see the count reach zero (and destroy the generator) before
  // this thread has let go of it.
  void Retire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--outstanding_ == 0) drained_cv_.notify_all();
  }

  LoadResult Collect() {
    LoadResult r;
    std::vector<int64_t> all;
    size_t total = 0;
    for (const Slot& slot : slots_) total += slot.latencies_ns.size();
    all.reserve(total);
    for (const Slot& slot : slots_) {
      all.insert(all.end(), slot.latencies_ns.begin(), slot.latencies_ns.end());
      for (const auto& [code, n] : slot.errors) {
        r.errors += n;
        r.errors_by_code[rusta::StatusCodeName(code)] += n;
      }
    }
    std::sort(all.begin(), all.end());
    r.calls = static_cast<int64_t>(all.size());
    r.seconds = std::chrono::duration<double>(options_.duration).count();
    r.calls_per_second = r.seconds > 0 ? static_cast<double>(r.calls) / r.seconds : 0;
    auto percentile = [&all](double p) {
      if (all.empty()) return 0.0;
      // Nearest rank: the smallest latency with at least p% of the calls at or below it.
      size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(all.size())));
      rank = std::clamp<size_t>(rank, 1, all.size());
      return static_cast<double>(all[rank - 1]) / 1e6;
    };
    r.p50_ms = percentile(50);
    r.p90_ms = percentile(90);
    r.p99_ms = percentile(99);
    r.max_ms = all.empty() ? 0.0 : static_cast<double>(all.back()) / 1e6;
    return r;
  }

  const LoadOptions options_;
  const StartCall& start_call_;
  std::vector<Slot> slots_;
  Clock::time_point window_start_, window_end_;
  std::atomic<int64_t> next_call_{0};
  std::atomic<bool> stop_{false};
  int outstanding_ = 0;  // slots not yet retired; guarded by mu_
  std::mutex mu_;
  std::condition_variable drained_cv_;
};

}  // namespace


LoadResult RunLoad(const LoadOptions& options, const StartCall& start_call) {
  Generator generator(options, start_call);
  return generator.Run();
}

std::string FormatResult(const std::string& name, const LoadResult& r) {
  std::string line = absl::StrFormat(
      "%s: %.0f calls/s  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  (%d calls, %d errors "
      "in %.2f s)",
      name, r.calls_per_second, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms, r.calls, r.errors,
      r.seconds);
  if (!r.errors_by_code.empty()) {
    absl::StrAppend(&line, "  errors:");
    for (const auto& [code, n] : r.errors_by_code) absl::StrAppend(&line, " ", code, "=", n);
  }
  return line;
}

void PrintComparison(const LoadResult& subject, const LoadResult& baseline,
                     const std::string& subject_name, const std::string& baseline_name,
                     std::FILE* out) {
  const double ratio = baseline.calls_per_second > 0
                           ? 100.0 * subject.calls_per_second / baseline.calls_per_second
                           : 0.0;
  std::fprintf(out,
               "%s vs %s: throughput %.1f%% (%.0f vs %.0f calls/s), p50 %.3f vs %.3f ms, "
               "p99 %.3f vs %.3f ms\n",
               subject_name.c_str(), baseline_name.c_str(), ratio, subject.calls_per_second,
               baseline.calls_per_second, subject.p50_ms, baseline.p50_ms, subject.p99_ms,
               baseline.p99_ms);
  std::fflush(out);
}

}  // namespace rusta::bench
