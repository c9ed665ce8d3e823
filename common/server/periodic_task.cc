#include "common/server/periodic_task.h"

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/server/service_host.h"

namespace rusta::server {

PeriodicTask::PeriodicTask(const ServiceHost& host, std::chrono::milliseconds interval, std::vector<Step> steps)
    : host_(host), interval_(interval), steps_(std::move(steps)) {
  if (interval_.count() > 0) thread_ = std::thread([this] { Loop(); });
}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    if (host_.redis_healthy()) {
      for (const Step& step : steps_) {
        auto handled = step.run();
        if (!handled.ok()) {
          log::Warning(step.name, {{"status", absl::StatusCodeToString(handled.status().code())},
                                   {"detail", handled.status().message()}});
        } else if (*handled > 0) {
          log::Info(step.name, {{"handled", absl::StrCat(*handled)}});
        }
      }
    }
    lock.lock();
  }
}

}  // namespace rusta::server
