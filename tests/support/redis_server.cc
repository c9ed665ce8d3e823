#include "tests/support/redis_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "common/redis/redis_connection.h"

namespace rusta::testing {

RedisServer::RedisServer() { Start(); }

RedisServer::~RedisServer() { Stop(); }

redis::RedisOptions RedisServer::options() const {
  redis::RedisOptions o;
  o.address = address();
  o.connect_timeout_ms = 500;
  o.command_timeout_ms = 2000;
  o.reconnect_initial_backoff_ms = 10;
  o.reconnect_max_backoff_ms = 100;
  return o;
}

void RedisServer::Start() {
  if (pid_ > 0) return;
  unlink(socket_path().c_str());
  const std::string dir = dir_.path();
  const std::string sock = socket_path();
  pid_ = fork();
  if (pid_ == 0) {
    // Own process group, so a test runner's signals do not reach it first.
    setpgid(0, 0);
    execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock.c_str(),
           "--unixsocketperm", "700", "--dir", dir.c_str(), "--save", "", "--appendonly", "no",
           "--daemonize", "no", "--loglevel", "warning", "--logfile",
           (dir + "/redis.log").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork failed");
  // Ready when it answers PING.
  redis::RedisOptions o = options();
  o.reconnect_initial_backoff_ms = 0;
  o.reconnect_max_backoff_ms = 0;
  for (int i = 0; i < 500; ++i) {
    redis::RedisConnection probe(o);
    if (probe.Ping().ok()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server did not start (is it installed? see scripts/bootstrap)");
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  unlink(socket_path().c_str());
}

}  // namespace rusta::testing
