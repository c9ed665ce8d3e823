#pragma once
// The deadline of the call a worker thread is working on. ServiceHost::Handle sets it around a
// call's work (the client's deadline, capped by --max-call-ms), so that code deep in a call can
// bound what it does without passing the deadline through every signature: retries of a lost race
// stop at it, and upstream calls made for the call inherit it.
#include "absl/time/time.h"

namespace rusta::server {

// absl::InfiniteFuture() outside a call.
absl::Time CurrentCallDeadline();

class ScopedCallDeadline {
 public:
  explicit ScopedCallDeadline(absl::Time deadline);
  ~ScopedCallDeadline();
  ScopedCallDeadline(const ScopedCallDeadline&) = delete;
  ScopedCallDeadline& operator=(const ScopedCallDeadline&) = delete;

 private:
  absl::Time previous_;
};

}  // namespace rusta::server
