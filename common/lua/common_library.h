#pragma once
#include "common/redis/function_library.h"

namespace rusta::lua {

// The common Redis function library: rusta_audit_append and the rusta_queue_* functions
// (common/lua/rusta_common.lua with the prelude). Every service registers it.
const redis::FunctionLibrary& CommonLibrary();

}  // namespace rusta::lua
