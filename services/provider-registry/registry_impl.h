#pragma once
// What the registry's RPC bodies (registry_rpc_*.cc) share: the host, the settings, the store,
// the cached view and the one mutation loop every change goes through.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status/status_macros.h"
#include "common/identity/identity.h"
#include "common/identity/policy.h"
#include "common/queue/work_queue.h"
#include "common/server/service_host.h"
#include "rusta/v1/audit.pb.h"
#include "rusta/v1/provider_registry.pb.h"
#include "services/provider-registry/reference_data.h"
#include "common/validation/identifiers.h"
#include "services/provider-registry/registry_handler.h"
#include "services/provider-registry/registry_store.h"
#include "services/provider-registry/registry_view.h"

namespace rusta::registry {

namespace v1 = rusta::v1;
using identity::Identity;
using identity::Role;
using redis::RedisConnection;


inline constexpr char kService[] = "provider-registry";
inline constexpr char kFollowUpQueue[] = "registry-follow-up";
inline constexpr char kFollowUpQueueName[] = "provider-registry.follow-up";

// One change of the registry, decided on a view: what to write, the result to remember for a
// repeated request_id (usually the id of what was written), and the audit event and its chain.
struct Change {
  std::vector<WriteOp> ops;
  std::string result;
  std::string chain;
  v1::AuditEvent event;
  bool snapshot = true;  // writes snapshot tables: checked against, and moves, the generation
  std::optional<FollowUpSchedule> schedule;
};

struct RegistryImpl {
  RegistryImpl(server::ServiceHost& host, RegistryConfig config, ReferenceData reference);

  server::ServiceHost& host;
  RegistryConfig config;
  ReferenceData reference;
  identity::Policy policy;
  queue::WorkQueue follow_up_queue;
  RegistryStore store;

  absl::Time Now() const { return host.clock().Now(); }
  absl::CivilDay Today() const;

  // The current view (reloaded when the generation moved) and, with an idempotency key, the
  // result of an earlier call under it.
  struct Current {
    std::shared_ptr<const RegistryView> view;
    std::optional<std::string> earlier_result;
  };
  absl::StatusOr<Current> Read(RedisConnection& redis, const std::string& idem_key = "",
                               const std::string& fingerprint = "");

  // The mutation loop: validate request_id, check for a repeat, decide on the current view, write
  // in one call that re-checks the generation and the chain head; retried when another change won.
  // Returns the result (the first call's on a repeat) and the view the decision was made on.
  absl::StatusOr<std::string> Mutate(RedisConnection& redis, const Identity& caller, const char* method,
                                     const google::protobuf::Message& request, const std::string& request_id,
                                     const std::function<absl::StatusOr<Change>(const RegistryView&)>& decide);

  v1::AuditEvent Audit(const Identity& caller, const char* method, const std::string& request_id) const;
  // Fills in what every change of one provider's data records: the response to remember, the
  // provider's audit chain and an audit event naming the provider.
  void DescribeProviderChange(Change& change, const Identity& caller, const char* method,
                              const std::string& request_id, const std::string& organisation_number,
                              const google::protobuf::Message& response) const;

  // A provider acting on an organisation: only its own. PERMISSION_DENIED otherwise.
  static absl::Status RequireOwn(const Identity& caller, const std::string& organisation_number);

  absl::Time Schedule(absl::CivilDay day) const;  // midnight Swedish time of the day

 private:
  std::mutex mu_;
  std::shared_ptr<const RegistryView> cached_;
};

std::string Serialize(const google::protobuf::Message& message);
// A mutation's result is its serialised response, so that a repeated request_id answers with the
// first call's response (docs/api.md, idempotency).
absl::Status ParseResult(const absl::StatusOr<std::string>& result, google::protobuf::Message* response);
// ABORTED "version: expected N, current M" when a positive expected version is not the current one.
absl::Status CheckExpectedVersion(int64_t expected, int64_t current);

// A page of a list: where to start and how many (docs/api.md: 0 means 100, at most 1000).
struct Paging {
  int offset = 0;
  int size = 100;
};
absl::StatusOr<Paging> ReadPaging(int32_t page_size, const std::string& page_token);

// Adds the page of the items that `keep` accepts, in order, and sets the next page's token.
template <typename Item, typename Keep, typename Add>
void AddPage(const std::vector<const Item*>& items, const Paging& paging, const Keep& keep, const Add& add,
             std::string* next_page_token) {
  int index = 0, added = 0;
  for (const Item* item : items) {
    if (!keep(*item)) continue;
    if (index++ < paging.offset) continue;
    if (added == paging.size) {
      *next_page_token = std::to_string(paging.offset + paging.size);
      return;
    }
    add(*item);
    ++added;
  }
}
template <typename Key, typename Item>
std::vector<const Item*> Values(const std::map<Key, Item>& items) {
  std::vector<const Item*> out;
  out.reserve(items.size());
  for (const auto& entry : items) out.push_back(&entry.second);
  return out;
}
template <typename Item>
std::vector<const Item*> Values(const std::vector<Item>& items) {
  std::vector<const Item*> out;
  out.reserve(items.size());
  for (const Item& item : items) out.push_back(&item);
  return out;
}
using validation::RequireText;  // common/validation/identifiers.h
absl::StatusOr<std::string> OrgNumber(const std::string& text, const char* field);
absl::StatusOr<absl::CivilDay> DayOrToday(const v1::Date& date, const char* field, absl::CivilDay today);

}  // namespace rusta::registry
