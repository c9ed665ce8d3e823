#include "common/audit/audit_verifier.h"

#include <unordered_set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rusta::audit {
namespace {

struct StoredEvent {
  std::string stream_id, prev, hash, body;
  int64_t seq = -1;
};

StoredEvent Parse(const redis::RedisValue& entry) {
  StoredEvent e;
  e.stream_id = entry[0].str;
  const redis::RedisValue& f = entry[1];
  for (size_t i = 0; i + 1 < f.size(); i += 2) {
    const std::string& name = f[i].str;
    if (name == "seq") (void)absl::SimpleAtoi(f[i + 1].str, &e.seq);
    else if (name == "prev") e.prev = f[i + 1].str;
    else if (name == "hash") e.hash = f[i + 1].str;
    else if (name == "body") e.body = f[i + 1].str;
  }
  return e;
}

std::string NextId(const std::string& id) {
  // Stream ids are "ms-seq"; the exclusive range start "(id" needs Redis 6.2+, which we have.
  return "(" + id;
}

VerificationReport Bad(ChainProblem problem, int64_t seq, std::string stream_id,
                       std::string description, int64_t checked) {
  VerificationReport r;
  r.ok = false;
  r.problem = problem;
  r.first_bad_seq = seq;
  r.first_bad_stream_id = std::move(stream_id);
  r.description = std::move(description);
  r.events_checked = checked;
  return r;
}

}  // namespace

const char* ChainProblemName(ChainProblem problem) {
  switch (problem) {
    case ChainProblem::kNone: return "none";
    case ChainProblem::kModified: return "modified";
    case ChainProblem::kRemoved: return "removed";
    case ChainProblem::kReordered: return "reordered";
  }
  return "none";
}

absl::StatusOr<VerificationReport> AuditVerifier::Verify(redis::RedisConnection& redis) const {
  // First pass: which sequence numbers exist at all, to tell a removed event (its number is
  // nowhere) from a reordered one (its number comes later).
  std::unordered_set<int64_t> present;
  {
    std::string start = "-";
    for (;;) {
      auto page = redis.Command({"XRANGE", log_.events_key(), start, "+", "COUNT",
                                 absl::StrCat(page_size_)});
      if (!page.ok()) return page.status();
      for (const auto& entry : page->elements) present.insert(Parse(entry).seq);
      if (static_cast<int64_t>(page->size()) < page_size_) break;
      start = NextId(page->elements.back()[0].str);
    }
  }

  std::string prev_hash(64, '0');
  int64_t expected = 1;
  int64_t checked = 0;
  std::string start = "-";
  for (;;) {
    auto page = redis.Command({"XRANGE", log_.events_key(), start, "+", "COUNT",
                               absl::StrCat(page_size_)});
    if (!page.ok()) return page.status();
    for (const auto& entry : page->elements) {
      StoredEvent e = Parse(entry);
      if (e.seq != expected) {
        if (e.seq > expected && present.count(expected) == 0) {
          return Bad(ChainProblem::kRemoved, expected, e.stream_id,
                     absl::StrCat("event ", expected, " is missing (found ", e.seq, " in its place)"),
                     checked);
        }
        return Bad(ChainProblem::kReordered, expected, e.stream_id,
                   absl::StrCat("event ", e.seq, " stands where event ", expected, " belongs"),
                   checked);
      }
      const std::string recomputed =
          Sha256Hex(absl::StrCat(e.prev, ":", e.seq, ":", Sha256Hex(e.body)));
      if (e.prev != prev_hash || e.hash != recomputed) {
        // A previous event rewritten with a consistent hash shows up here as a broken link: the
        // modified event is the previous one.
        if (e.hash == recomputed && e.prev != prev_hash && expected > 1) {
          return Bad(ChainProblem::kModified, expected - 1, "",
                     absl::StrCat("event ", expected - 1, " was rewritten (event ", expected,
                                  " no longer links to it)"),
                     checked);
        }
        return Bad(ChainProblem::kModified, e.seq, e.stream_id,
                   absl::StrCat("event ", e.seq, " does not match its hash"), checked);
      }
      prev_hash = e.hash;
      ++expected;
      ++checked;
    }
    if (static_cast<int64_t>(page->size()) < page_size_) break;
    start = NextId(page->elements.back()[0].str);
  }

  // Events removed from the end leave the head pointing past the last one.
  auto head = redis.Command({"HMGET", log_.head_key(), "seq", "hash"});
  if (!head.ok()) return head.status();
  int64_t head_seq = 0;
  if (head->size() == 2 && head->elements[0].is_string()) {
    (void)absl::SimpleAtoi(head->elements[0].str, &head_seq);
  }
  if (head_seq >= expected) {
    return Bad(ChainProblem::kRemoved, expected, "",
               absl::StrCat("events ", expected, " to ", head_seq, " are missing at the end"),
               checked);
  }
  if (head_seq == expected - 1 && head_seq > 0 && head->elements[1].str != prev_hash) {
    return Bad(ChainProblem::kModified, head_seq, "",
               absl::StrCat("event ", head_seq, " does not match the chain head"), checked);
  }
  VerificationReport ok;
  ok.events_checked = checked;
  ok.description = absl::StrCat(checked, " events verified");
  return ok;
}

}  // namespace rusta::audit
