#pragma once
#include <string>

namespace rusta::redis {

struct RedisOptions {
  // "host:port" or "unix:/path/to/redis.sock".
  std::string address = "127.0.0.1:6379";
  // Sent with AUTH on every connect when not empty. Never logged.
  std::string password;
  int connect_timeout_ms = 1000;
  // Socket timeout for one command. No command here blocks server-side (no BLOCK options), so a
  // timeout always means Redis is unreachable or overloaded.
  int command_timeout_ms = 2000;
  // Reconnect backoff: after a failure the connection does not try again before the backoff has
  // passed (calls fail fast with UNAVAILABLE meanwhile); the backoff doubles up to the maximum.
  int reconnect_initial_backoff_ms = 50;
  int reconnect_max_backoff_ms = 2000;
};

}  // namespace rusta::redis
