#pragma once
// A real redis-server for one test: its own temporary directory, listening on a unix socket only
// (port 0), no persistence unless asked. Stop() and Start() simulate Redis going away and coming
// back at the same address.
#include <sys/types.h>

#include <string>

#include "common/redis/redis_options.h"
#include "tests/support/temp_dir.h"

namespace rusta::testing {

class RedisServer {
 public:
  RedisServer();  // starts it
  ~RedisServer();

  void Start();
  void Stop();  // SIGKILL: like a crash, nothing flushed
  bool running() const { return pid_ > 0; }

  std::string socket_path() const { return dir_.path() + "/redis.sock"; }
  std::string address() const { return "unix:" + socket_path(); }
  redis::RedisOptions options() const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
};

}  // namespace rusta::testing
