#pragma once
// A Redis reply copied out of hiredis into plain C++ (hiredis replies must be freed and are not
// safe to keep past the next command). Binary-safe: strings may contain NUL bytes.
#include <cstdint>
#include <string>
#include <vector>

namespace rusta::redis {

struct RedisValue {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;       // kString, kStatus, kError
  int64_t integer = 0;   // kInteger
  std::vector<RedisValue> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_string() const { return type == Type::kString || type == Type::kStatus; }
  bool is_array() const { return type == Type::kArray; }
  bool is_integer() const { return type == Type::kInteger; }
  size_t size() const { return elements.size(); }
  const RedisValue& operator[](size_t i) const { return elements[i]; }
};

}  // namespace rusta::redis
