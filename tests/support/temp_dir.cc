#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace rusta::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  // Unix socket paths are limited to 108 bytes: keep the directory short.
  std::string templ = std::string(base && *base ? base : "/tmp") + "/rusta-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int RunCommand(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace rusta::testing
