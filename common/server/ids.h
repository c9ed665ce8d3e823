#pragma once
#include <string>
#include <string_view>

namespace rusta::server {

// A new random identifier: prefix + "-" + 24 hex digits (96 bits from OpenSSL's CSPRNG), e.g.
// "as-3f1c9a2e7b1d4c559e1a2f0d". Ids are opaque to clients and carry no personal data.
std::string NewId(std::string_view prefix);

}  // namespace rusta::server
