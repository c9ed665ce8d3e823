#include "common/redis/redis_executor.h"

#include <future>

namespace rusta::redis {

RedisExecutor::RedisExecutor(RedisOptions options, const FunctionRegistry* functions, int workers,
                             size_t max_queued)
    : options_(std::move(options)), functions_(functions), max_queued_(max_queued) {
  threads_.reserve(workers);
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

RedisExecutor::~RedisExecutor() { Shutdown(); }

bool RedisExecutor::Submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || tasks_.size() >= max_queued_) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

absl::Status RedisExecutor::RunSync(const std::function<absl::Status(RedisConnection&)>& fn) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  if (!Submit([&fn, promise](RedisConnection& c) { promise->set_value(fn(c)); })) {
    return absl::ResourceExhaustedError("executor busy or stopping");
  }
  return future.get();
}

void RedisExecutor::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void RedisExecutor::WorkerLoop(int /*index*/) {
  RedisConnection connection(options_, functions_);
  uint64_t generation = generation_.load();
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    if (const uint64_t now = generation_.load(); now != generation) {
      connection.Reset();
      generation = now;
    }
    task(connection);
  }
}

}  // namespace rusta::redis
