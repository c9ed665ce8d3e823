#pragma once
// Walks the audit stream from the start and reports the first event (in stream order) that was
// modified, removed or reordered, in any chain; then checks every chain's end against the heads.
// Reads the stream in pages, so it works on trails of any length (it keeps one small record per
// chain and the set of (chain, seq) present).
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
  int64_t chains = 0;
  ChainProblem problem = ChainProblem::kNone;
  std::string chain;                // the chain of the first bad event
  int64_t first_bad_seq = 0;        // its sequence number in that chain
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
