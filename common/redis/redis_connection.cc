#include "common/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace rusta::redis {
namespace {

struct timeval ToTimeval(int ms) {
  struct timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

RedisValue Convert(const redisReply* reply) {
  RedisValue value;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      value.type = RedisValue::Type::kString;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      value.type = RedisValue::Type::kStatus;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      value.type = RedisValue::Type::kError;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) value.elements.push_back(Convert(reply->element[i]));
      break;
    default:  // REDIS_REPLY_NIL
      value.type = RedisValue::Type::kNil;
  }
  return value;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

void AppendArgv(redisContext* ctx, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(ctx, static_cast<int>(args.size()), argv.data(), lens.data());
}

}  // namespace

RedisConnection::RedisConnection(RedisOptions options, const FunctionRegistry* functions)
    : options_(std::move(options)),
      functions_(functions),
      backoff_(options_.reconnect_initial_backoff_ms) {
  // hiredis writes with plain write(2): a write to a Redis that went away would raise SIGPIPE and
  // kill the process. Ignore it once, process-wide, so the write fails with EPIPE instead and
  // becomes UNAVAILABLE.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { signal(SIGPIPE, SIG_IGN); });
}

RedisConnection::~RedisConnection() { Disconnect(); }

void RedisConnection::Disconnect() {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
}

absl::Status RedisConnection::Fail(std::string_view what) {
  if (context_ != nullptr) {
    log::Warning("redis_connection_lost", {{"detail", what}});
  }
  Disconnect();
  next_attempt_ = std::chrono::steady_clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(options_.reconnect_max_backoff_ms));
  return absl::UnavailableError("storage unavailable, try again");
}

absl::Status RedisConnection::EnsureConnected() {
  if (context_ != nullptr) return absl::OkStatus();
  if (std::chrono::steady_clock::now() < next_attempt_) {
    return absl::UnavailableError("storage unavailable, try again");
  }
  const struct timeval connect_timeout = ToTimeval(options_.connect_timeout_ms);
  redisContext* ctx = nullptr;
  if (absl::StartsWith(options_.address, "unix:")) {
    ctx = redisConnectUnixWithTimeout(options_.address.substr(5).c_str(), connect_timeout);
  } else {
    const size_t colon = options_.address.rfind(':');
    int port = 6379;
    std::string host = options_.address;
    if (colon != std::string::npos) {
      host = options_.address.substr(0, colon);
      if (!absl::SimpleAtoi(options_.address.substr(colon + 1), &port)) port = 6379;
    }
    ctx = redisConnectWithTimeout(host.c_str(), port, connect_timeout);
  }
  if (ctx == nullptr || ctx->err != 0) {
    if (ctx != nullptr) redisFree(ctx);
    return Fail("connect failed");
  }
  context_ = ctx;
  redisSetTimeout(context_, ToTimeval(options_.command_timeout_ms));
  // TCP keepalive notices a vanished peer; hiredis fails (and poisons the context) on unix sockets.
  if (!absl::StartsWith(options_.address, "unix:")) redisEnableKeepAlive(context_);
  if (!options_.password.empty()) {
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommand(context_, "AUTH %b", options_.password.data(), options_.password.size())));
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
      Disconnect();
      next_attempt_ = std::chrono::steady_clock::now() + backoff_;
      log::Error("redis_auth_failed");
      return absl::UnavailableError("storage unavailable, try again");
    }
  }
  backoff_ = std::chrono::milliseconds(options_.reconnect_initial_backoff_ms);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisValue>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  const bool reused = context_ != nullptr;
  bool broken = false;
  auto replies = PipelineOnce(commands, &broken);
  // A connection that sat idle while Redis restarted (or dropped it) is found dead only when used:
  // the peer closed it or reset it. Nothing of ours ran on the server that closed it, so the
  // commands go once more on a fresh connection, at once, instead of failing the call. A timeout
  // is not retried: the commands may be running.
  if (!replies.ok() && reused && broken) {
    next_attempt_ = {};
    backoff_ = std::chrono::milliseconds(options_.reconnect_initial_backoff_ms);
    replies = PipelineOnce(commands, &broken);
  }
  return replies;
}

absl::StatusOr<std::vector<RedisValue>> RedisConnection::PipelineOnce(
    const std::vector<std::vector<std::string>>& commands, bool* broken) {
  *broken = false;
  if (absl::Status s = EnsureConnected(); !s.ok()) return s;
  ++round_trips_;
  for (const auto& args : commands) AppendArgv(context_, args);
  std::vector<RedisValue> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      const int saved_errno = errno;
      // Closed (EOF) or reset by the peer before any reply came back: a dead connection, not a
      // slow server.
      *broken = i == 0 && (context_->err == REDIS_ERR_EOF ||
                           (context_->err == REDIS_ERR_IO &&
                            (saved_errno == ECONNRESET || saved_errno == EPIPE)));
      // The stream is now out of step with the commands: the connection cannot be reused.
      return Fail(context_->errstr[0] ? context_->errstr : "no reply");
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies.push_back(Convert(reply.get()));
  }
  return replies;
}

void RedisConnection::Reset() {
  Disconnect();
  next_attempt_ = {};
  backoff_ = std::chrono::milliseconds(options_.reconnect_initial_backoff_ms);
}

absl::StatusOr<RedisValue> RedisConnection::Command(const std::vector<std::string>& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  RedisValue& value = replies->front();
  if (value.type == RedisValue::Type::kError) return StatusFromErrorReply(value.str);
  return std::move(value);
}

absl::StatusOr<RedisValue> RedisConnection::Call(std::string_view function,
                                                 const std::vector<std::string>& keys,
                                                 const std::vector<std::string>& args) {
  std::vector<std::string> cmd;
  cmd.reserve(3 + keys.size() + args.size());
  cmd.emplace_back("FCALL");
  cmd.emplace_back(function);
  cmd.push_back(absl::StrCat(keys.size()));
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto replies = Pipeline({cmd});
    if (!replies.ok()) return replies.status();
    RedisValue& value = replies->front();
    if (value.type != RedisValue::Type::kError) return std::move(value);
    if (attempt == 0 && functions_ != nullptr && absl::StrContains(value.str, "Function not found")) {
      if (absl::Status s = LoadFunctions(); !s.ok()) return s;
      continue;
    }
    return StatusFromErrorReply(value.str);
  }
  return absl::InternalError("function call retried without success");
}

absl::Status RedisConnection::LoadFunctions() {
  if (functions_ == nullptr) return absl::OkStatus();
  for (const FunctionLibrary& library : functions_->libraries()) {
    auto reply = Command({"FUNCTION", "LOAD", "REPLACE", library.code});
    if (!reply.ok()) {
      if (reply.status().code() != absl::StatusCode::kUnavailable) {
        log::Error("redis_function_load_failed", {{"library", library.name}});
      }
      return reply.status();
    }
  }
  return absl::OkStatus();
}

absl::Status RedisConnection::Ping() {
  auto reply = Command({"PING"});
  return reply.status();
}

absl::Status RedisConnection::StatusFromErrorReply(std::string_view error_text) {
  // (Debian's Abseil has its own string_view type, distinct from std::string_view.)
  const absl::string_view error(error_text.data(), error_text.size());
  static constexpr std::pair<absl::string_view, absl::StatusCode> kCodes[] = {
      {"INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
      {"FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
      {"ABORTED", absl::StatusCode::kAborted},
      {"NOT_FOUND", absl::StatusCode::kNotFound},
      {"ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
      {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
      {"RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
      {"OUT_OF_RANGE", absl::StatusCode::kOutOfRange},
  };
  for (const auto& [name, code] : kCodes) {
    if (absl::StartsWith(error, name) && error.size() > name.size() && error[name.size()] == ' ') {
      absl::string_view message = error.substr(name.size() + 1);
      // Redis appends " script: ..." context to errors raised inside functions; it is not ours.
      if (size_t cut = message.find(" script:"); cut != absl::string_view::npos) message = message.substr(0, cut);
      return absl::Status(code, message);
    }
  }
  for (absl::string_view transient : {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "NOAUTH"}) {
    if (absl::StartsWith(error, transient)) {
      log::Warning("redis_not_ready", {{"detail", error.substr(0, 80)}});
      return absl::UnavailableError("storage unavailable, try again");
    }
  }
  return absl::InternalError(absl::StrCat("redis error: ", error));
}

}  // namespace rusta::redis
