#pragma once
// Walks an audit chain from the start and reports the first event that was modified, removed or
// reordered. Reads the stream in pages, so it works on chains of any length.
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"

namespace rusta::audit {

enum class ChainProblem { kNone, kModified, kRemoved, kReordered };

const char* ChainProblemName(ChainProblem problem);

struct VerificationReport {
  bool ok = true;
  int64_t events_checked = 0;
  ChainProblem problem = ChainProblem::kNone;
  int64_t first_bad_seq = 0;        // the sequence number of the first bad event
  std::string first_bad_stream_id;  // where it was found (empty when it was removed at the end)
  std::string description;          // one sentence, for people
};

class AuditVerifier {
 public:
  explicit AuditVerifier(const AuditLog& log, int64_t page_size = 1000)
      : log_(log), page_size_(page_size) {}

  absl::StatusOr<VerificationReport> Verify(redis::RedisConnection& redis) const;

 private:
  const AuditLog& log_;
  int64_t page_size_;
};

}  // namespace rusta::audit
