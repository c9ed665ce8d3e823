#pragma once
// A child process for black-box tests of the service binaries: started with arguments, its
// output going to a log file, stopped with a signal and waited for with a time limit.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rusta::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& log_path);
  ~ChildProcess();  // SIGKILL if still running

  // Sends sig and waits up to `limit`; the exit code, or nullopt if it did not exit in time
  // (then it is killed). A death by signal is reported as 128 + signal.
  std::optional<int> Stop(int sig, std::chrono::milliseconds limit);
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace rusta::testing
