#pragma once
// The two macros absl::Status code needs everywhere (Debian's Abseil ships neither): one place,
// one spelling, for every service.
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RUSTA_STATUS_CONCAT_INNER(a, b) a##b
#define RUSTA_STATUS_CONCAT(a, b) RUSTA_STATUS_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    const absl::Status rusta_status_ = (expr);         \
    if (!rusta_status_.ok()) return rusta_status_;     \
  } while (false)

// `lhs` = the value of the StatusOr `expr`, or returns its status. lhs may declare a variable:
//   ASSIGN_OR_RETURN(auto c, store.Read(...));
#define ASSIGN_OR_RETURN(lhs, expr) \
  RUSTA_ASSIGN_OR_RETURN_IMPL(RUSTA_STATUS_CONCAT(rusta_statusor_, __LINE__), lhs, expr)
#define RUSTA_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = *std::move(statusor)
