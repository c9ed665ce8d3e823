#include "common/log/rate_limiter.h"

namespace rusta::log {

bool RateLimiter::Admit(Clock::time_point now, int64_t* suppressed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ || now - window_start_ >= std::chrono::seconds(1)) {
    started_ = true;
    window_start_ = now;
    admitted_in_window_ = 0;
  }
  if (admitted_in_window_ >= per_second_) {
    ++suppressed_;
    return false;
  }
  ++admitted_in_window_;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace rusta::log
