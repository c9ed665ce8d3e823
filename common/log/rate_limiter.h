#pragma once
// Bounds how many lines a noisy source may write: at most `per_second` in each one-second window,
// the rest counted, so that the next line written can say how many were dropped. Used for logs a
// caller can trigger at will (protobuf's, one per unparseable string), which must not be able to
// flood the service's log. Thread-safe; the clock is passed in so the logic is testable.
#include <chrono>
#include <cstdint>
#include <mutex>

namespace rusta::log {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(int per_second) : per_second_(per_second) {}

  // Whether a line may be written at `now`. When it may, *suppressed is the number of lines
  // refused since the last one admitted (and the count starts again).
  bool Admit(Clock::time_point now, int64_t* suppressed);

 private:
  const int per_second_;
  std::mutex mu_;
  bool started_ = false;
  Clock::time_point window_start_;
  int admitted_in_window_ = 0;
  int64_t suppressed_ = 0;
};

}  // namespace rusta::log
