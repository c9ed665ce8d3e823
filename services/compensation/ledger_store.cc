#include "services/compensation/ledger_store.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/server/idempotency.h"

namespace rusta::compensation {
namespace {

std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

}  // namespace

std::string LedgerStore::LinesKey() { return "ledger:{ledger}:lines"; }
std::string LedgerStore::KeysKey() { return "ledger:{ledger}:keys"; }
std::string LedgerStore::ByDateKey() { return "ledger:{ledger}:by-date"; }
std::string LedgerStore::OrgsKey() { return "ledger:{ledger}:orgs"; }
std::string LedgerStore::CaseKey(const std::string& case_id) { return absl::StrCat("ledger:{ledger}:case:", case_id); }
std::string LedgerStore::OrgKey(const std::string& org) { return absl::StrCat("ledger:{ledger}:org:", org); }
std::string LedgerStore::UnsettledKey(const std::string& org) { return absl::StrCat("ledger:{ledger}:unsettled:", org); }
std::string LedgerStore::SettledKey() { return "ledger:{ledger}:settled"; }
std::string LedgerStore::StatementsKey() { return "ledger:{ledger}:statements"; }
std::string LedgerStore::StatementIndexKey() { return "ledger:{ledger}:statement-index"; }
int64_t LedgerStore::DateScore(absl::CivilDay d) { return d.year() * 10000 + d.month() * 100 + d.day(); }

std::string MonthField(const std::string& org, const rusta::v1::YearMonth& month) {
  return absl::StrFormat("%s|%04d-%02d", org, month.year(), month.month());
}

absl::StatusOr<int64_t> LedgerStore::Append(redis::RedisConnection& redis, const std::string& case_id,
                                            const std::vector<rusta::v1::PaymentLine>& lines,
                                            const std::vector<absl::CivilDay>& dates,
                                            const rusta::v1::AuditEvent& event) const {
  if (lines.empty()) return 0;
  if (dates.size() != lines.size()) return absl::InternalError("ledger append: one date per line");
  std::vector<std::string> keys = {LinesKey(), KeysKey(), ByDateKey(), audit_.events_key(), audit_.heads_key(),
                                   OrgsKey()};
  std::vector<std::string> line_args;
  for (size_t i = 0; i < lines.size(); ++i) {
    const rusta::v1::PaymentLine& l = lines[i];
    keys.push_back(CaseKey(l.case_id()));
    keys.push_back(OrgKey(l.organisation_number()));
    keys.push_back(UnsettledKey(l.organisation_number()));
    line_args.insert(line_args.end(), {l.idempotency_key(), l.line_id(), Serialize(l),
                                       absl::StrCat(DateScore(dates[i])), l.organisation_number()});
  }
  auto reply = audit_.AppendWith(redis, audit::SubjectChain("ledger", case_id), event, nullptr,
                                 [&](const audit::PreparedEvent& prepared) {
                                   std::vector<std::string> args = prepared.args;
                                   args.insert(args.end(), line_args.begin(), line_args.end());
                                   return redis.Call("ledger_append", keys, args);
                                 });
  if (!reply.ok()) return reply.status();
  return reply->integer;
}

absl::StatusOr<std::vector<rusta::v1::PaymentLine>> LedgerStore::Lines(redis::RedisConnection& redis,
                                                                       const std::vector<std::string>& ids) const {
  std::vector<rusta::v1::PaymentLine> out;
  for (size_t i = 0; i < ids.size(); i += 1000) {
    std::vector<std::string> lines = {"HMGET", LinesKey()}, settled = {"HMGET", SettledKey()};
    lines.insert(lines.end(), ids.begin() + i, ids.begin() + std::min(ids.size(), i + 1000));
    settled.insert(settled.end(), ids.begin() + i, ids.begin() + std::min(ids.size(), i + 1000));
    auto replies = redis.Pipeline({lines, settled});
    if (!replies.ok()) return replies.status();
    const redis::RedisValue& data = (*replies)[0];
    const redis::RedisValue& statements = (*replies)[1];
    for (size_t j = 0; j < data.size(); ++j) {
      if (!data[j].is_string()) continue;
      rusta::v1::PaymentLine l;
      if (!l.ParseFromString(data[j].str)) return absl::DataLossError("stored payment line does not parse");
      if (j < statements.size() && statements[j].is_string()) l.set_statement_id(statements[j].str);
      out.push_back(std::move(l));
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> LedgerStore::CaseLineIds(redis::RedisConnection& redis,
                                                                  const std::string& case_id) const {
  auto ids = redis.Command({"SMEMBERS", CaseKey(case_id)});
  if (!ids.ok()) return ids.status();
  std::vector<std::string> list;
  for (const auto& v : ids->elements) list.push_back(v.str);
  return list;
}

absl::StatusOr<std::vector<rusta::v1::PaymentLine>> LedgerStore::CaseLines(redis::RedisConnection& redis,
                                                                           const std::string& case_id) const {
  auto ids = CaseLineIds(redis, case_id);
  if (!ids.ok()) return ids.status();
  return Lines(redis, *ids);
}

absl::StatusOr<std::optional<rusta::v1::Statement>> LedgerStore::GetStatement(redis::RedisConnection& redis,
                                                                              const std::string& statement_id) const {
  auto data = redis.Command({"HGET", StatementsKey(), statement_id});
  if (!data.ok()) return data.status();
  if (!data->is_string()) return std::optional<rusta::v1::Statement>();
  rusta::v1::Statement s;
  if (!s.ParseFromString(data->str)) return absl::DataLossError("stored statement does not parse");
  return std::optional<rusta::v1::Statement>(std::move(s));
}

absl::StatusOr<std::vector<std::string>> LedgerStore::IdsByDate(redis::RedisConnection& redis, const std::string& zset,
                                                                int64_t from, int64_t to) const {
  auto reply = redis.Command({"ZRANGEBYSCORE", zset, absl::StrCat(from), absl::StrCat(to)});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> out;
  for (const auto& v : reply->elements) out.push_back(v.str);
  return out;
}

absl::StatusOr<std::vector<std::string>> LedgerStore::Orgs(redis::RedisConnection& redis) const {
  auto reply = redis.Command({"SMEMBERS", OrgsKey()});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> out;
  for (const auto& v : reply->elements) out.push_back(v.str);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<rusta::v1::Statement>> LedgerStore::MonthStatements(
    redis::RedisConnection& redis, const std::string& org, const rusta::v1::YearMonth& month) const {
  const std::string field = MonthField(org, month);
  auto count = redis.Command({"HGET", StatementIndexKey(), field});
  if (!count.ok()) return count.status();
  int64_t n = 0;
  if (count->is_string()) (void)absl::SimpleAtoi(count->str, &n);
  std::vector<rusta::v1::Statement> out;
  if (n == 0) return out;
  std::vector<std::string> cmd = {"HMGET", StatementIndexKey()};
  for (int64_t i = 1; i <= n; ++i) cmd.push_back(absl::StrCat(field, "|", i));
  auto ids = redis.Command(cmd);
  if (!ids.ok()) return ids.status();
  std::vector<std::string> get = {"HMGET", StatementsKey()};
  for (const auto& v : ids->elements) get.push_back(v.str);
  auto data = redis.Command(get);
  if (!data.ok()) return data.status();
  for (const auto& v : data->elements) {
    rusta::v1::Statement s;
    if (v.is_string() && s.ParseFromString(v.str)) out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<rusta::v1::Statement>> LedgerStore::AllStatements(redis::RedisConnection& redis) const {
  auto reply = redis.Command({"HVALS", StatementsKey()});
  if (!reply.ok()) return reply.status();
  std::vector<rusta::v1::Statement> out;
  for (const auto& v : reply->elements) {
    rusta::v1::Statement s;
    if (!s.ParseFromString(v.str)) return absl::DataLossError("stored statement does not parse");
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<LedgerStore::Settled> LedgerStore::Settle(redis::RedisConnection& redis,
                                                         const rusta::v1::Statement& statement,
                                                         const std::vector<std::string>& line_ids,
                                                         int64_t statements_read, const SettlementRequest& request,
                                                         const rusta::v1::AuditEvent& event) const {
  const std::vector<std::string> keys = {SettledKey(), StatementsKey(), StatementIndexKey(),
                                         UnsettledKey(statement.organisation_number()), audit_.events_key(),
                                         audit_.heads_key(), request.idem_key};
  auto reply = audit_.AppendWith(
      redis, audit::SubjectChain("ledger", statement.organisation_number()), event, nullptr,
      [&](const audit::PreparedEvent& prepared) {
        std::vector<std::string> args = prepared.args;
        args.insert(args.end(), {statement.statement_id(), Serialize(statement),
                                 MonthField(statement.organisation_number(), statement.month()),
                                 absl::StrCat(statements_read), request.fingerprint,
                                 statement.organisation_number(), absl::StrCat(server::kIdempotencyTtlSeconds)});
        args.insert(args.end(), line_ids.begin(), line_ids.end());
        return redis.Call("ledger_settle", keys, args);
      });
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->size() == 0) return absl::InternalError("malformed ledger_settle reply");
  Settled out;
  const std::string& kind = (*reply)[0].str;
  if (kind == "settled") {
    out.statement = statement;
  } else if (kind == "earlier" && reply->size() == 2) {
    out.kind = Settled::Kind::kEarlier;
    if (!out.statement.ParseFromString((*reply)[1].str)) return absl::DataLossError("stored statement does not parse");
  } else if (kind == "answered") {
    out.kind = Settled::Kind::kAnswered;
  } else {
    return absl::InternalError("malformed ledger_settle reply");
  }
  return out;
}

absl::StatusOr<std::vector<rusta::v1::Statement>> LedgerStore::RequestStatements(
    redis::RedisConnection& redis, const SettlementRequest& request) const {
  auto reply = redis.Command({"HGETALL", request.idem_key});
  if (!reply.ok()) return reply.status();
  std::map<std::string, rusta::v1::Statement> by_org;  // "statement:<org>" sorts by org
  for (size_t i = 0; i + 1 < reply->size(); i += 2) {
    if (!absl::StartsWith((*reply)[i].str, "statement:")) continue;
    rusta::v1::Statement st;
    if (!st.ParseFromString((*reply)[i + 1].str)) return absl::DataLossError("stored statement does not parse");
    by_org.emplace((*reply)[i].str, std::move(st));
  }
  std::vector<rusta::v1::Statement> out;
  for (auto& [field, st] : by_org) out.push_back(std::move(st));
  return out;
}

absl::StatusOr<std::string> LedgerStore::FinishSettlement(redis::RedisConnection& redis,
                                                          const SettlementRequest& request,
                                                          const std::string& response) const {
  auto reply = redis.Call("ledger_settle_finish", {request.idem_key},
                          {request.fingerprint, response, absl::StrCat(server::kIdempotencyTtlSeconds)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_string()) return absl::InternalError("malformed ledger_settle_finish reply");
  return reply->str;
}

}  // namespace rusta::compensation
