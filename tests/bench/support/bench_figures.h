#pragma once
// Figures the benchmarks print besides throughput: CPU of this process and of redis-server, Redis
// memory and command statistics (INFO), and a wait until a host sees Redis.
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/redis/redis_connection.h"
#include "common/server/service_host.h"

namespace rusta::bench {

// The value of "field:value" in an INFO reply, "?" when absent.
std::string InfoField(const std::string& info, absl::string_view field);
// INFO <section>, empty when Redis does not answer.
std::string Info(redis::RedisConnection& redis, const std::string& section);

int64_t UsedMemory(redis::RedisConnection& redis);
double RedisCpuSeconds(redis::RedisConnection& redis);
double ProcessCpuSeconds();

// The command statistics since the last CONFIG RESETSTAT, one line per command with its
// usec_per_call; with load_calls > 0 also calls and usec per load call.
void PrintCommandStats(redis::RedisConnection& redis, const char* indent, int64_t load_calls = 0,
                       const char* unit = "load call");

// False (and a message) when the host has not seen Redis healthy within 15 s.
bool WaitHealthy(server::ServiceHost& host, const char* name);

}  // namespace rusta::bench
