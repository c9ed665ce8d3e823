#pragma once
// Background work a service replica does on its own every interval (the referral service's
// deadline scheduler, rating feed and payment engine): named steps run in order on one thread,
// skipped while Redis is down, each step's outcome logged one line per event (failures always,
// work done when there was any). Stops and joins on destruction.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace rusta::server {

class ServiceHost;

class PeriodicTask {
 public:
  struct Step {
    std::string name;                          // the log event, e.g. "deadline_scheduler"
    std::function<absl::StatusOr<int>()> run;  // how much it handled
  };

  // interval 0: no thread (tests and replicas that should not run the steps call them directly).
  PeriodicTask(const ServiceHost& host, std::chrono::milliseconds interval, std::vector<Step> steps);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void Loop();

  const ServiceHost& host_;
  std::chrono::milliseconds interval_;
  std::vector<Step> steps_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rusta::server
