#pragma once
// The time a service acts at. Services read it from their host, so that tests (and replays of a
// day) can run with a controlled clock instead of sleeping.
#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rusta::server {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that stands still until moved; thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : micros_(absl::ToUnixMicros(start)) {}
  absl::Time Now() const override { return absl::FromUnixMicros(micros_.load()); }
  void Set(absl::Time t) { micros_.store(absl::ToUnixMicros(t)); }
  void Advance(absl::Duration d) { micros_.fetch_add(absl::ToInt64Microseconds(d)); }

 private:
  std::atomic<int64_t> micros_;
};

// Swedish civil dates ("today" for deadlines and effective dates) are in Europe/Stockholm.
absl::TimeZone SwedishTimeZone();
absl::CivilDay SwedishDay(absl::Time t);

}  // namespace rusta::server
