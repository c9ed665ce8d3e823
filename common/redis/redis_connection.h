#pragma once
// One hiredis connection, owned and used by a single thread (hiredis contexts are not
// thread-safe). Commands are binary-safe (argv form). Failures of the connection become
// UNAVAILABLE and drop the context; the next call reconnects, with exponential backoff so that a
// dead Redis is not hammered (calls during the backoff fail fast). Never throws, never aborts.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/redis/function_library.h"
#include "common/redis/redis_options.h"
#include "common/redis/redis_value.h"

struct redisContext;

namespace rusta::redis {

class RedisConnection {
 public:
  // functions may be null when the connection never calls functions.
  explicit RedisConnection(RedisOptions options, const FunctionRegistry* functions = nullptr);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command. An error reply becomes a status (see StatusFromErrorReply).
  absl::StatusOr<RedisValue> Command(const std::vector<std::string>& args);
  // Several commands sent in one write, replies read back in order: one round trip. The result
  // has one entry per command; an error reply of one command is kept as a RedisValue of type
  // kError (the others still ran), while a connection failure fails the whole call. A connection
  // found closed by the peer when used again (Redis restarted meanwhile) is replaced and the
  // commands sent once more.
  absl::StatusOr<std::vector<RedisValue>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  // FCALL name numkeys keys... args...; loads the libraries and retries once if the function is
  // missing.
  absl::StatusOr<RedisValue> Call(std::string_view function, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);
  // FUNCTION LOAD REPLACE for every library of the registry.
  absl::Status LoadFunctions();

  absl::Status Ping();
  // Drops the connection and forgets the backoff: the next call connects at once (after Redis
  // came back, so that no call fails on a connection that died while it was away).
  void Reset();
  bool connected() const { return context_ != nullptr; }
  // Round trips made so far (each Command, Pipeline or Call counts one; a reload counts too).
  int64_t round_trips() const { return round_trips_; }

  // Our Lua functions report domain outcomes as error replies "<CODE> <message>", with CODE one of
  // the status code names (e.g. "ABORTED version is 4, not 3"); those become that status with the
  // message. Any other error reply is an internal error whose text is logged, never returned.
  static absl::Status StatusFromErrorReply(std::string_view error);

 private:
  absl::Status EnsureConnected();
  // One attempt; *broken tells whether it failed on a connection the peer had closed or reset.
  absl::StatusOr<std::vector<RedisValue>> PipelineOnce(
      const std::vector<std::vector<std::string>>& commands, bool* broken);
  absl::Status Fail(std::string_view what);  // drops the context, arms the backoff
  void Disconnect();

  RedisOptions options_;
  const FunctionRegistry* functions_;
  redisContext* context_ = nullptr;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_;
  int64_t round_trips_ = 0;
};

}  // namespace rusta::redis
