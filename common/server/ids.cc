#include "common/server/ids.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "absl/strings/escaping.h"

namespace rusta::server {

std::string NewId(std::string_view prefix) {
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) throw std::runtime_error("RAND_bytes failed");
  return std::string(prefix) + "-" +
         absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace rusta::server
