#pragma once
// Redis function libraries (Redis 7 FUNCTION LOAD). Each library's Lua source is embedded in the
// binary at build time (cmake/EmbedLua.cmake). Libraries are loaded with FUNCTION LOAD REPLACE
// when a service starts and again, lazily, whenever Redis answers that a function is missing
// (e.g. after Redis restarted without persistence), so callers only ever name a function.
#include <string>
#include <vector>

namespace rusta::redis {

struct FunctionLibrary {
  std::string name;  // the library name of its "#!lua name=..." line
  std::string code;  // the complete source, starting with the "#!lua" line
};

// The libraries one process uses. Immutable once the process's connections exist.
class FunctionRegistry {
 public:
  void Add(FunctionLibrary library) { libraries_.push_back(std::move(library)); }
  const std::vector<FunctionLibrary>& libraries() const { return libraries_; }

 private:
  std::vector<FunctionLibrary> libraries_;
};

}  // namespace rusta::redis
