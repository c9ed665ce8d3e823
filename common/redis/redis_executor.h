#pragma once
// A fixed pool of worker threads, each owning one RedisConnection (the connection pool: one
// hiredis context per worker thread). gRPC handlers hand their work here so that gRPC's own
// threads never wait on Redis; a handler's task runs on a worker with that worker's connection.
//
// The task queue is bounded: when it is full, Submit refuses (the caller answers
// RESOURCE_EXHAUSTED) instead of letting latency grow without limit.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/redis/function_library.h"
#include "common/redis/redis_connection.h"
#include "common/redis/redis_options.h"

namespace rusta::redis {

class RedisExecutor {
 public:
  using Task = std::function<void(RedisConnection&)>;

  RedisExecutor(RedisOptions options, const FunctionRegistry* functions, int workers,
                size_t max_queued = 10000);
  ~RedisExecutor();  // runs the queued tasks, then joins

  // False when the queue is full or the executor is shutting down; the task is then not run.
  bool Submit(Task task);
  // Runs fn on a worker and waits for its result (for start-up code and tests, never handlers).
  absl::Status RunSync(const std::function<absl::Status(RedisConnection&)>& fn);

  // Every worker drops its connection and its reconnect backoff before its next task (the health
  // monitor calls this when Redis comes back, before it reports SERVING).
  void ResetConnections() { generation_.fetch_add(1); }

  void Shutdown();
  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  void WorkerLoop(int index);

  RedisOptions options_;
  const FunctionRegistry* functions_;
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace rusta::redis
