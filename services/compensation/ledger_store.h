#pragma once
// Where the payment ledger lives in Redis (keys in docs/architecture.md), behind one class. The
// ledger's keys share the hash tag {ledger}; appends and settlements are one function call each
// (services/compensation/lua/ledger.lua, library rusta_compensation), audited in the chain "ledger/<case_id>" (appends) or
// "ledger/<org>" (settlements).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/audit/audit_log.h"
#include "common/redis/redis_connection.h"
#include "rusta/v1/audit.pb.h"
#include "rusta/v1/compensation.pb.h"

namespace rusta::compensation {

class LedgerStore {
 public:
  explicit LedgerStore(const audit::AuditLog& audit) : audit_(audit) {}

  static std::string LinesKey();                       // hash line id → PaymentLine
  static std::string KeysKey();                        // hash idempotency key → line id
  static std::string ByDateKey();                      // zset line id by date (yyyymmdd)
  static std::string OrgsKey();                        // set of organisation numbers with lines
  static std::string CaseKey(const std::string& case_id);       // set of line ids
  static std::string OrgKey(const std::string& org);            // zset line id by date
  static std::string UnsettledKey(const std::string& org);      // zset line id by date
  static std::string SettledKey();                     // hash line id → statement id
  static std::string StatementsKey();                  // hash statement id → Statement
  static std::string StatementIndexKey();              // hash "<org>|YYYY-MM" → count; "…|<n>" → id
  static int64_t DateScore(absl::CivilDay day);        // yyyymmdd

  // Appends lines exactly once (by idempotency key); returns how many were new. Audited in the
  // case's ledger chain when anything was new.
  // `dates[i]` is line i's accounting date (its period's first day of service, or the event's
  // date): the ledger's date indexes (reports and settlement by period) use it.
  absl::StatusOr<int64_t> Append(redis::RedisConnection& redis, const std::string& case_id,
                                 const std::vector<rusta::v1::PaymentLine>& lines,
                                 const std::vector<absl::CivilDay>& dates,
                                 const rusta::v1::AuditEvent& event) const;

  // The lines, each with the statement it was settled in (if any).
  absl::StatusOr<std::vector<rusta::v1::PaymentLine>> Lines(redis::RedisConnection& redis,
                                                            const std::vector<std::string>& ids) const;
  absl::StatusOr<std::vector<std::string>> CaseLineIds(redis::RedisConnection& redis, const std::string& case_id) const;
  absl::StatusOr<std::vector<rusta::v1::PaymentLine>> CaseLines(redis::RedisConnection& redis,
                                                                const std::string& case_id) const;
  // Line ids of a zset (by date) within [from, to] (date scores).
  absl::StatusOr<std::vector<std::string>> IdsByDate(redis::RedisConnection& redis, const std::string& zset,
                                                     int64_t from, int64_t to) const;
  absl::StatusOr<std::vector<std::string>> Orgs(redis::RedisConnection& redis) const;

  // The statements of a provider-month, in sequence order.
  absl::StatusOr<std::vector<rusta::v1::Statement>> MonthStatements(redis::RedisConnection& redis,
                                                                    const std::string& org,
                                                                    const rusta::v1::YearMonth& month) const;
  // nullopt when there is no such statement.
  absl::StatusOr<std::optional<rusta::v1::Statement>> GetStatement(redis::RedisConnection& redis,
                                                                   const std::string& statement_id) const;
  absl::StatusOr<std::vector<rusta::v1::Statement>> AllStatements(redis::RedisConnection& redis) const;

  // The request a settlement runs under (SettleMonth's request_id): its idempotency record.
  struct SettlementRequest {
    std::string idem_key;     // server::IdempotencyKey("ledger", ...)
    std::string fingerprint;  // server::RequestFingerprint(request)
  };
  // What one provider's settlement call did.
  struct Settled {
    enum class Kind {
      kSettled,   // `statement` was written
      kEarlier,   // this request settled the provider before: `statement` is that one
      kAnswered,  // the request was answered meanwhile: nothing settled
    } kind = Kind::kSettled;
    rusta::v1::Statement statement;
  };
  // Settles the lines `line_ids` into `statement`; `statements_read` is the number of statements
  // of the provider-month the caller saw (ABORTED when another came first). The statement is
  // kept in the request's record in the same call (see ledger.lua).
  absl::StatusOr<Settled> Settle(redis::RedisConnection& redis, const rusta::v1::Statement& statement,
                                 const std::vector<std::string>& line_ids, int64_t statements_read,
                                 const SettlementRequest& request, const rusta::v1::AuditEvent& event) const;
  // The statements settled under the request so far, by organisation number.
  absl::StatusOr<std::vector<rusta::v1::Statement>> RequestStatements(redis::RedisConnection& redis,
                                                                      const SettlementRequest& request) const;
  // Remembers the settlement's response (serialised SettleMonthResponse) unless a concurrent call
  // with the same request answered first; returns the response that stands.
  absl::StatusOr<std::string> FinishSettlement(redis::RedisConnection& redis, const SettlementRequest& request,
                                               const std::string& response) const;

 private:
  const audit::AuditLog& audit_;
};

std::string MonthField(const std::string& org, const rusta::v1::YearMonth& month);

}  // namespace rusta::compensation
