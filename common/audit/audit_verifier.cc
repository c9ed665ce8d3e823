#include "common/audit/audit_verifier.h"

#include <functional>
#include <optional>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rusta::audit {
namespace {

struct StoredEvent {
  std::string stream_id, chain, prev, hash, body;
  int64_t seq = -1;
};

StoredEvent Parse(const redis::RedisValue& entry) {
  StoredEvent e;
  e.stream_id = entry[0].str;
  const redis::RedisValue& f = entry[1];
  for (size_t i = 0; i + 1 < f.size(); i += 2) {
    const std::string& name = f[i].str;
    if (name == "chain") e.chain = f[i + 1].str;
    else if (name == "seq") (void)absl::SimpleAtoi(f[i + 1].str, &e.seq);
    else if (name == "prev") e.prev = f[i + 1].str;
    else if (name == "hash") e.hash = f[i + 1].str;
    else if (name == "body") e.body = f[i + 1].str;
  }
  return e;
}

VerificationReport Bad(ChainProblem problem, const std::string& chain, int64_t seq, std::string stream_id,
                       std::string description, int64_t checked) {
  VerificationReport r;
  r.ok = false;
  r.problem = problem;
  r.chain = chain;
  r.first_bad_seq = seq;
  r.first_bad_stream_id = std::move(stream_id);
  r.description = std::move(description);
  r.events_checked = checked;
  return r;
}

// Calls visit for every entry of the stream, page by page.
absl::Status ForEachEntry(redis::RedisConnection& redis, const std::string& key, int64_t page_size,
                          const std::function<bool(const StoredEvent&)>& visit) {
  std::string start = "-";
  for (;;) {
    auto page = redis.Command({"XRANGE", key, start, "+", "COUNT", absl::StrCat(page_size)});
    if (!page.ok()) return page.status();
    for (const auto& entry : page->elements) {
      if (!visit(Parse(entry))) return absl::OkStatus();
    }
    if (static_cast<int64_t>(page->size()) < page_size) return absl::OkStatus();
    start = "(" + page->elements.back()[0].str;  // exclusive start (Redis 6.2+)
  }
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
  // First pass: which (chain, seq) exist at all, to tell a removed event (its number is nowhere)
  // from a reordered one (its number comes later).
  std::set<std::pair<std::string, int64_t>> present;
  absl::Status s = ForEachEntry(redis, log_.events_key(), page_size_, [&](const StoredEvent& e) {
    present.emplace(e.chain, e.seq);
    return true;
  });
  if (!s.ok()) return s;

  struct ChainState {
    int64_t last_seq = 0;
    std::string last_hash = kGenesisHash;
  };
  std::map<std::string, ChainState> chains;
  int64_t checked = 0;
  std::optional<VerificationReport> bad;
  s = ForEachEntry(redis, log_.events_key(), page_size_, [&](const StoredEvent& e) {
    ChainState& c = chains[e.chain];
    const int64_t expected = c.last_seq + 1;
    if (e.seq != expected) {
      if (e.seq > expected && present.count({e.chain, expected}) == 0) {
        bad = Bad(ChainProblem::kRemoved, e.chain, expected, e.stream_id,
                  absl::StrCat("event ", expected, " of ", e.chain, " is missing (found ", e.seq,
                               " in its place)"), checked);
      } else {
        bad = Bad(ChainProblem::kReordered, e.chain, expected, e.stream_id,
                  absl::StrCat("event ", e.seq, " of ", e.chain, " stands where event ", expected,
                               " belongs"), checked);
      }
      return false;
    }
    const std::string recomputed = LinkHash(e.prev, e.chain, e.seq, e.body);
    if (e.prev != c.last_hash || e.hash != recomputed) {
      // An event rewritten with a consistent hash shows up as a broken link at the next event:
      // the modified one is the previous.
      if (e.hash == recomputed && e.prev != c.last_hash && expected > 1) {
        bad = Bad(ChainProblem::kModified, e.chain, expected - 1, "",
                  absl::StrCat("event ", expected - 1, " of ", e.chain, " was rewritten (event ",
                               expected, " no longer links to it)"), checked);
      } else {
        bad = Bad(ChainProblem::kModified, e.chain, e.seq, e.stream_id,
                  absl::StrCat("event ", e.seq, " of ", e.chain, " does not match its hash"), checked);
      }
      return false;
    }
    c.last_seq = e.seq;
    c.last_hash = e.hash;
    ++checked;
    return true;
  });
  if (!s.ok()) return s;
  if (bad.has_value()) return *bad;

  // Events removed from the end of a chain leave its head pointing past its last event.
  auto heads = redis.Command({"HGETALL", log_.heads_key()});
  if (!heads.ok()) return heads.status();
  std::set<std::string> headed;
  for (size_t i = 0; i + 1 < heads->size(); i += 2) headed.insert((*heads)[i].str);
  for (const auto& [chain, state] : chains) {
    if (headed.count(chain) == 0) {
      return Bad(ChainProblem::kRemoved, chain, state.last_seq, "",
                 absl::StrCat("the head of ", chain, " is missing"), checked);
    }
  }
  for (size_t i = 0; i + 1 < heads->size(); i += 2) {
    const std::string& chain = (*heads)[i].str;
    const std::string& head = (*heads)[i + 1].str;
    const size_t colon = head.find(':');
    int64_t head_seq = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(head.substr(0, colon), &head_seq)) {
      return Bad(ChainProblem::kModified, chain, 0, "", absl::StrCat("the head of ", chain, " is malformed"), checked);
    }
    const ChainState& c = chains[chain];
    if (head_seq > c.last_seq) {
      return Bad(ChainProblem::kRemoved, chain, c.last_seq + 1, "",
                 absl::StrCat("events ", c.last_seq + 1, " to ", head_seq, " of ", chain,
                              " are missing at the end"), checked);
    }
    if (head_seq == c.last_seq && head.substr(colon + 1) != c.last_hash) {
      return Bad(ChainProblem::kModified, chain, head_seq, "",
                 absl::StrCat("event ", head_seq, " of ", chain, " does not match the chain head"), checked);
    }
  }
  VerificationReport ok;
  ok.events_checked = checked;
  ok.chains = static_cast<int64_t>(chains.size());
  ok.description = absl::StrCat(checked, " events in ", chains.size(), " chains verified");
  return ok;
}

}  // namespace rusta::audit
