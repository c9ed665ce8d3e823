#pragma once
// The last case this replica wrote, with its audit-chain head, so that the next change of the same
// case can go straight to the atomic call: one Redis round trip instead of two (read, then write).
// The cache is only ever a guess: referral_apply checks the version and the chain head, so a case
// changed elsewhere (another replica, a provider's audited read) makes the call fail, and Mutate
// then forgets the entry and starts again from a fresh read. Nothing is ever answered from it
// except through a successful write.
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/redis/redis_value.h"
#include "rusta/v1/referral.pb.h"

namespace rusta::referral {

class CaseCache {
 public:
  struct Entry {
    rusta::v1::Case case_record;
    redis::RedisValue audit_head;  // as HeadCommand would answer: "<seq>:<hash>"
  };

  explicit CaseCache(size_t capacity) : capacity_(capacity) {}

  std::optional<Entry> Get(const std::string& case_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(case_id);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }

  void Put(const std::string& case_id, Entry entry) {
    if (capacity_ == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = entries_.insert_or_assign(case_id, std::move(entry));
    (void)it;
    if (inserted) order_.push_back(case_id);
    // Oldest insertions go first (the case flow moves through cases in waves, so FIFO is enough).
    while (entries_.size() > capacity_ && !order_.empty()) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
  }

  void Erase(const std::string& case_id) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(case_id);  // its order_ slot is skipped when evicted
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> order_;
};

}  // namespace rusta::referral
