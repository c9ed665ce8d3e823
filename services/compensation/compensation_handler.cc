#include "services/compensation/compensation_handler.h"
#include "common/status/status_macros.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/audit/audit_event.h"
#include "common/log/log.h"
#include "common/server/idempotency.h"
#include "common/server/proto_convert.h"
#include "common/validation/identifiers.h"
#include "services/compensation/ledger_store.h"
#include "services/compensation/payment_engine.h"

namespace rusta::compensation {

namespace v1 = rusta::v1;
namespace cmp = ::rusta::compensation;
using identity::Identity;
using redis::RedisConnection;


struct CompensationImpl {
  CompensationImpl(server::ServiceHost& h, const CompensationConfig& c, const cmp::TariffSet& t,
                   const CaseSource& case_source, CaseSettlement* case_settlement)
      : host(h),
        config(c),
        settlement(case_settlement),
        ledger(h.audit()),
        engine(case_source, ledger, t, h.clock(),
               identity::ServiceIdentity(h.config().trust_domain, h.config().service_name)),
        events(stream::ConsumerOptions{kEventsStream, "compensation", h.config().replica_id},
               [this](RedisConnection& redis, const stream::StreamEntry& e) { return engine.HandleEvent(redis, e); }) {}

  server::ServiceHost& host;
  // The case flow's events stream: the engine's only feed besides the CaseSource.
  static constexpr char kEventsStream[] = "events:referral";

  CompensationConfig config;
  CaseSettlement* settlement;  // null: settled cases stay RESULT_VERIFIED
  LedgerStore ledger;
  PaymentEngine engine;
  // The case events, group "compensation", this replica's stable name (common/stream).
  stream::StreamConsumer events;

  absl::CivilDay Today() const { return server::SwedishDay(host.clock().Now()); }

  // A provider only ever sees its own organisation; others may name any.
  static absl::StatusOr<std::string> OrgFilter(const Identity& caller, const std::string& requested) {
    std::string org = requested;
    if (!org.empty()) {
      auto parsed = validation::ParseOrganisationNumber(org, "organisation_number");
      if (!parsed.ok()) return parsed.status();
      org = *parsed;
    }
    if (caller.role == identity::Role::kProvider) {
      if (!org.empty() && org != caller.id) return absl::PermissionDeniedError("organisation_number: only your own");
      return caller.id;
    }
    return org;
  }

  static absl::StatusOr<std::pair<int64_t, int64_t>> PeriodScores(const v1::DateRange& period, bool required) {
    if (!period.has_start() && !period.has_end()) {
      if (required) return absl::InvalidArgumentError("period: required");
      return std::make_pair<int64_t, int64_t>(0, 99999999);
    }
    auto from = server::ToCivilDay(period.start(), "period.start");
    if (!from.ok()) return from.status();
    auto to = server::ToCivilDay(period.end(), "period.end");
    if (!to.ok()) return to.status();
    if (*to < *from) return absl::InvalidArgumentError("period.end: before period.start");
    return std::make_pair(LedgerStore::DateScore(*from), LedgerStore::DateScore(*to));
  }

  // Reading the ledger is audited for providers (their own payments, with case ids).
  absl::Status AuditProviderRead(RedisConnection& redis, const Identity& caller, const char* method) {
    if (caller.role != identity::Role::kProvider) return absl::OkStatus();
    v1::AuditEvent e = audit::MakeAuditEvent(caller, host.config().service_name, method, host.clock().Now());
    e.set_purpose("compensation");
    audit::AddSubject(e, v1::SUBJECT_KIND_PROVIDER, caller.id);
    return host.audit().Append(redis, audit::ActorChain(caller.uri), e).status();
  }

  absl::Status ListPaymentLines(const Identity& caller, RedisConnection& redis, const v1::ListPaymentLinesRequest& req,
                                v1::ListPaymentLinesResponse* resp) {
    auto org = OrgFilter(caller, req.organisation_number());
    if (!org.ok()) return org.status();
    auto range = PeriodScores(req.period(), false);
    if (!range.ok()) return range.status();
    auto page_size = server::PageSize(req.page_size());
    if (!page_size.ok()) return page_size.status();
    auto page_offset = server::PageOffset(req.page_token());
    if (!page_offset.ok()) return page_offset.status();
    const int64_t offset = *page_offset;
    for (int c : req.components()) {
      if (!v1::PaymentComponent_IsValid(c) || c == 0) return absl::InvalidArgumentError("components: unknown component");
    }
    std::vector<std::string> ids;
    if (!req.case_id().empty()) {
      auto members = ledger.CaseLineIds(redis, req.case_id());
      if (!members.ok()) return members.status();
      ids = std::move(*members);
    } else {
      auto by = ledger.IdsByDate(redis, org->empty() ? LedgerStore::ByDateKey() : LedgerStore::OrgKey(*org),
                                 range->first, range->second);
      if (!by.ok()) return by.status();
      ids = std::move(*by);
    }
    auto lines = ledger.Lines(redis, ids);
    if (!lines.ok()) return lines.status();
    std::vector<v1::PaymentLine> kept;
    for (v1::PaymentLine& l : *lines) {
      if (!org->empty() && l.organisation_number() != *org) continue;
      if (req.components_size() > 0 &&
          std::find(req.components().begin(), req.components().end(), l.component()) == req.components().end()) continue;
      if (!req.statement_id().empty() && l.statement_id() != req.statement_id()) continue;
      if (req.unsettled_only() && !l.statement_id().empty()) continue;
      if (caller.role == identity::Role::kProvider) l.clear_person_id();
      kept.push_back(std::move(l));
    }
    std::sort(kept.begin(), kept.end(), [](const v1::PaymentLine& a, const v1::PaymentLine& b) {
      return a.idempotency_key() < b.idempotency_key();
    });
    for (int64_t i = offset; i < static_cast<int64_t>(kept.size()) && resp->lines_size() < *page_size; ++i) {
      *resp->add_lines() = kept[i];
    }
    if (offset + resp->lines_size() < static_cast<int64_t>(kept.size())) {
      resp->set_next_page_token(absl::StrCat(offset + resp->lines_size()));
    }
    return AuditProviderRead(redis, caller, "ListPaymentLines");
  }

  absl::Status GetStatement(const Identity& caller, RedisConnection& redis, const v1::GetStatementRequest& req,
                            v1::GetStatementResponse* resp) {
    std::optional<v1::Statement> found;
    if (req.has_provider_month()) {
      auto org = OrgFilter(caller, req.provider_month().organisation_number());
      if (!org.ok()) return org.status();
      auto list = ledger.MonthStatements(redis, *org, req.provider_month().month());
      if (!list.ok()) return list.status();
      if (!list->empty()) found = (*list)[0];
    } else {
      if (req.statement_id().empty()) return absl::InvalidArgumentError("statement_id: required");
      auto statement = ledger.GetStatement(redis, req.statement_id());
      if (!statement.ok()) return statement.status();
      found = std::move(*statement);
    }
    if (!found || (caller.role == identity::Role::kProvider && found->organisation_number() != caller.id)) {
      return absl::NotFoundError("statement: not found");
    }
    *resp->mutable_statement() = *found;
    return AuditProviderRead(redis, caller, "GetStatement");
  }

  absl::Status ListStatements(const Identity& caller, RedisConnection& redis, const v1::ListStatementsRequest& req,
                              v1::ListStatementsResponse* resp) {
    auto org = OrgFilter(caller, req.organisation_number());
    if (!org.ok()) return org.status();
    auto page_size = server::PageSize(req.page_size());
    if (!page_size.ok()) return page_size.status();
    auto page_offset = server::PageOffset(req.page_token());
    if (!page_offset.ok()) return page_offset.status();
    const int64_t offset = *page_offset;
    auto all = ledger.AllStatements(redis);
    if (!all.ok()) return all.status();
    std::vector<v1::Statement> kept;
    for (v1::Statement& s : *all) {
      if (!org->empty() && s.organisation_number() != *org) continue;
      if (req.has_month() && (s.month().year() != req.month().year() || s.month().month() != req.month().month())) continue;
      kept.push_back(std::move(s));
    }
    std::sort(kept.begin(), kept.end(), [](const v1::Statement& a, const v1::Statement& b) {
      return std::make_tuple(a.organisation_number(), a.month().year(), a.month().month(), a.sequence()) <
             std::make_tuple(b.organisation_number(), b.month().year(), b.month().month(), b.sequence());
    });
    for (int64_t i = offset; i < static_cast<int64_t>(kept.size()) && resp->statements_size() < *page_size; ++i) {
      *resp->add_statements() = kept[i];
    }
    if (offset + resp->statements_size() < static_cast<int64_t>(kept.size())) {
      resp->set_next_page_token(absl::StrCat(offset + resp->statements_size()));
    }
    return AuditProviderRead(redis, caller, "ListStatements");
  }

  static void AddTotal(std::map<int, v1::ComponentTotal>& totals, const v1::PaymentLine& l) {
    v1::ComponentTotal& t = totals[l.component()];
    t.set_component(l.component());
    t.set_line_count(t.line_count() + 1);
    t.mutable_amount()->set_ore(t.amount().ore() + l.amount().ore());
  }

  absl::Status SettleMonth(const Identity& caller, RedisConnection& redis, const v1::SettleMonthRequest& req,
                           v1::SettleMonthResponse* resp) {
    RETURN_IF_ERROR(server::ValidateRequestId(req.request_id()));
    if (req.month().year() < 2000 || req.month().year() > 2199 || req.month().month() < 1 || req.month().month() > 12) {
      return absl::InvalidArgumentError("month: a year 2000..2199 and a month 1..12");
    }
    const absl::CivilMonth month(req.month().year(), req.month().month());
    const absl::CivilDay first(month), last = absl::CivilDay(month + 1) - 1;
    const absl::CivilDay today = Today();
    if (first > today) return absl::FailedPreconditionError("settle.month: the month has not begun");
    auto org = OrgFilter(caller, req.organisation_number());
    if (!org.ok()) return org.status();
    // The request's idempotency record is written by the settlement's own calls: each provider's
    // statement in the call that settles it, the response in the last one (ledger.lua).
    const LedgerStore::SettlementRequest request{
        server::IdempotencyKey("ledger", caller, "SettleMonth", req.request_id()), server::RequestFingerprint(req)};
    auto stored = redis.Command(server::EarlierResultCommand(request.idem_key));
    if (!stored.ok()) return stored.status();
    auto earlier = server::EarlierResult(*stored, request.fingerprint);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      if (!resp->ParseFromString(**earlier)) return absl::DataLossError("stored response does not parse");
      return absl::OkStatus();
    }
    // The engine catches up first: new events, then every started case up to the month's end.
    auto ran = events.RunOnce(redis, 1 << 30);
    if (!ran.ok()) return ran.status();
    auto synced = engine.SyncAll(redis, std::min(today, last));
    if (!synced.ok()) return synced.status();
    std::vector<std::string> orgs;
    if (!org->empty()) {
      orgs.push_back(*org);
    } else {
      auto all = ledger.Orgs(redis);
      if (!all.ok()) return all.status();
      orgs = std::move(*all);
    }
    bool answered = false;  // a concurrent call with the same request_id answered meanwhile
    for (const std::string& o : orgs) {
      for (int attempt = 0; !answered; ++attempt) {
        auto ids = ledger.IdsByDate(redis, LedgerStore::UnsettledKey(o), 0, LedgerStore::DateScore(last));
        if (!ids.ok()) return ids.status();
        if (ids->empty()) break;
        auto lines = ledger.Lines(redis, *ids);
        if (!lines.ok()) return lines.status();
        auto existing = ledger.MonthStatements(redis, o, req.month());
        if (!existing.ok()) return existing.status();
        v1::Statement st;
        st.set_sequence(static_cast<int32_t>(existing->size()) + 1);
        st.set_statement_id(absl::StrFormat("st-%s-%04d-%02d-%d", o, req.month().year(), req.month().month(), st.sequence()));
        st.set_organisation_number(o);
        *st.mutable_month() = req.month();
        std::map<int, v1::ComponentTotal> totals;
        int64_t total = 0;
        std::vector<std::string> line_ids;
        for (v1::PaymentLine& l : *lines) {
          l.set_statement_id(st.statement_id());
          line_ids.push_back(l.line_id());
          AddTotal(totals, l);
          total += l.amount().ore();
        }
        for (auto& [c, t] : totals) *st.add_totals() = t;
        st.mutable_total()->set_ore(total);
        st.set_line_count(static_cast<int64_t>(lines->size()));
        server::SetTimestamp(host.clock().Now(), st.mutable_settled_at());
        *st.mutable_settled_by() = server::ToActor(caller);
        v1::AuditEvent e = audit::MakeAuditEvent(caller, host.config().service_name, "SettleMonth", host.clock().Now());
        e.set_purpose("compensation");
        e.set_request_id(req.request_id());
        e.set_detail(absl::StrCat(st.statement_id(), ": ", lines->size(), " lines, ", total, " öre"));
        audit::AddSubject(e, v1::SUBJECT_KIND_PROVIDER, o);
        auto settled = ledger.Settle(redis, st, line_ids, static_cast<int64_t>(existing->size()), request, e);
        if (settled.status().code() == absl::StatusCode::kAborted && attempt < 5) continue;  // another came first
        if (!settled.ok()) return settled.status();
        if (settled->kind == LedgerStore::Settled::Kind::kAnswered) answered = true;  // the finish has it
        // A statement this request made before (a concurrent call with the same request_id) is
        // that call's to mark paid.
        if (settled->kind == LedgerStore::Settled::Kind::kSettled) {
          RETURN_IF_ERROR(MarkResultsPaid(redis, st, *lines));
        }
        break;
      }
    }
    // The response is every statement settled under this request, whoever settled it (a
    // concurrent call with the same request_id may have settled some providers), in provider order.
    if (!answered) {
      auto statements = ledger.RequestStatements(redis, request);
      if (!statements.ok()) return statements.status();
      for (v1::Statement& st : *statements) {
        resp->set_lines_settled(resp->lines_settled() + st.line_count());
        *resp->add_statements() = std::move(st);
      }
    }
    std::string response;
    resp->SerializeToString(&response);
    auto answer = ledger.FinishSettlement(redis, request, response);
    if (!answer.ok()) return answer.status();
    if (*answer != response) {  // a concurrent call with the same request_id answered first
      resp->Clear();
      if (!resp->ParseFromString(*answer)) return absl::DataLossError("stored response does not parse");
    }
    return absl::OkStatus();
  }

  // The settled result payments move their cases to PAID (RESULT_VERIFIED → PAID). A case that is
  // not RESULT_VERIFIED (already PAID by an earlier statement) is left as it is.
  absl::Status MarkResultsPaid(RedisConnection& redis, const v1::Statement& st, const std::vector<v1::PaymentLine>& lines) {
    if (settlement == nullptr) return absl::OkStatus();
    std::map<std::string, std::vector<std::string>> by_case;
    for (const v1::PaymentLine& l : lines) {
      if (l.component() == v1::PAYMENT_COMPONENT_RESULT && l.amount().ore() > 0) by_case[l.case_id()].push_back(l.line_id());
    }
    for (const auto& [case_id, ids] : by_case) {
      absl::Status s = settlement->MarkPaid(redis, case_id, ids, absl::StrCat("paid-", st.statement_id()));
      if (!s.ok() && s.code() != absl::StatusCode::kFailedPrecondition && s.code() != absl::StatusCode::kNotFound) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status GetPaymentReport(const Identity& caller, RedisConnection& redis, const v1::GetPaymentReportRequest& req,
                                v1::GetPaymentReportResponse* resp) {
    auto org = OrgFilter(caller, req.organisation_number());
    if (!org.ok()) return org.status();
    auto range = PeriodScores(req.period(), true);
    if (!range.ok()) return range.status();
    auto page_size = server::PageSize(req.page_size());
    if (!page_size.ok()) return page_size.status();
    auto page_offset = server::PageOffset(req.page_token());
    if (!page_offset.ok()) return page_offset.status();
    const int64_t offset = *page_offset;
    auto ids = ledger.IdsByDate(redis, org->empty() ? LedgerStore::ByDateKey() : LedgerStore::OrgKey(*org),
                                range->first, range->second);
    if (!ids.ok()) return ids.status();
    auto lines = ledger.Lines(redis, *ids);
    if (!lines.ok()) return lines.status();
    std::map<std::string, std::map<int, v1::ComponentTotal>> per_org;
    std::map<int, v1::ComponentTotal> overall;
    for (const v1::PaymentLine& l : *lines) {
      AddTotal(per_org[l.organisation_number()], l);
      AddTotal(overall, l);
    }
    auto fill = [](v1::ProviderPayments* p, const std::map<int, v1::ComponentTotal>& totals) {
      int64_t total = 0, basic = 0, result = 0;
      for (const auto& [c, t] : totals) {
        *p->add_totals() = t;
        total += t.amount().ore();
        if (c == v1::PAYMENT_COMPONENT_BASIC) basic += t.amount().ore();
        if (c == v1::PAYMENT_COMPONENT_RESULT || c == v1::PAYMENT_COMPONENT_SPEED_BONUS ||
            c == v1::PAYMENT_COMPONENT_SUPPLEMENTARY) {
          result += t.amount().ore();
        }
      }
      p->mutable_total()->set_ore(total);
      p->set_basic_share(total > 0 ? static_cast<double>(basic) / total : 0);
      p->set_result_share(total > 0 ? static_cast<double>(result) / total : 0);
    };
    int64_t i = 0;
    for (const auto& [o, totals] : per_org) {
      if (i++ < offset) continue;
      if (resp->providers_size() >= *page_size) {
        resp->set_next_page_token(absl::StrCat(offset + resp->providers_size()));
        break;
      }
      v1::ProviderPayments* p = resp->add_providers();
      p->set_organisation_number(o);
      fill(p, totals);
    }
    if (offset == 0) fill(resp->mutable_total(), overall);
    return AuditProviderRead(redis, caller, "GetPaymentReport");
  }

  absl::Status ReplayPayments(const Identity&, RedisConnection& redis, const v1::ReplayPaymentsRequest& req,
                              v1::ReplayPaymentsResponse* resp) {
    const absl::Time started = absl::Now();
    auto range = PeriodScores(req.period(), true);
    if (!range.ok()) return range.status();
    std::string org;
    if (!req.organisation_number().empty()) {
      auto parsed = validation::ParseOrganisationNumber(req.organisation_number(), "organisation_number");
      if (!parsed.ok()) return parsed.status();
      org = *parsed;
    }
    if (req.max_differences() < 0) return absl::InvalidArgumentError("max_differences: must not be negative");
    const int max_diffs = req.max_differences() == 0 ? 1000 : std::min(req.max_differences(), 1000);
    auto in_range = [&](absl::CivilDay d) {
      const int64_t s = LedgerStore::DateScore(d);
      return s >= range->first && s <= range->second;
    };
    // What the events say now, for every started case.
    auto cases = engine.StartedCases(redis);
    if (!cases.ok()) return cases.status();
    std::map<std::string, cmp::Line> expected;
    int64_t events = 0;
    const absl::CivilDay today = Today();
    for (const std::string& id : *cases) {
      std::vector<std::string> problems;
      auto lines = engine.Expected(redis, id, today, &problems, &events);
      if (!lines.ok()) return lines.status();
      for (cmp::Line& l : *lines) {
        if (!in_range(l.date) || (!org.empty() && l.organisation_number != org)) continue;
        expected.emplace(l.idempotency_key, std::move(l));
      }
    }
    // What the ledger holds in force for the period.
    auto ids = ledger.IdsByDate(redis, org.empty() ? LedgerStore::ByDateKey() : LedgerStore::OrgKey(org),
                                range->first, range->second);
    if (!ids.ok()) return ids.status();
    auto stored = ledger.Lines(redis, *ids);
    if (!stored.ok()) return stored.status();
    std::map<std::string, v1::PaymentLine> stored_by_key;
    std::vector<cmp::Line> as_lines;
    for (const v1::PaymentLine& p : *stored) {
      stored_by_key[p.idempotency_key()] = p;
      as_lines.push_back(PaymentEngine::FromProto(p));
    }
    std::map<std::string, cmp::Line> effective;
    for (cmp::Line& l : cmp::EffectiveLines(as_lines)) effective.emplace(cmp::BaseKey(l.idempotency_key), std::move(l));
    int64_t differences = 0;
    auto add = [&](v1::ReplayDifferenceKind kind, const std::string& key, const cmp::Line* ledger_line,
                   const cmp::Line* replayed) {
      ++differences;
      if (resp->differences_size() >= max_diffs) return;
      v1::ReplayDifference* d = resp->add_differences();
      d->set_kind(kind);
      d->set_idempotency_key(key);
      if (ledger_line != nullptr) *d->mutable_ledger_line() = stored_by_key[ledger_line->idempotency_key];
      if (replayed != nullptr) *d->mutable_replayed_line() = PaymentEngine::ToProto(*replayed, "", host.clock().Now());
    };
    for (const auto& [key, line] : expected) {
      auto it = effective.find(key);
      if (it == effective.end()) {
        add(v1::REPLAY_DIFFERENCE_KIND_MISSING, key, nullptr, &line);
      } else if (it->second.amount_ore != line.amount_ore || it->second.tariff_version != line.tariff_version ||
                 it->second.organisation_number != line.organisation_number) {
        add(v1::REPLAY_DIFFERENCE_KIND_AMOUNT, key, &it->second, &line);
      }
    }
    for (const auto& [key, line] : effective) {
      if (!expected.count(key)) add(v1::REPLAY_DIFFERENCE_KIND_EXTRA, key, &line, nullptr);
    }
    resp->set_events_replayed(events);
    resp->set_lines_compared(static_cast<int64_t>(std::max(expected.size(), effective.size())));
    resp->set_difference_count(differences);
    server::SetDuration(absl::Now() - started, resp->mutable_elapsed());
    return absl::OkStatus();
  }

  absl::Status ListTariffs(v1::ListTariffsResponse* resp) {
    const auto& all = engine.tariffs().tariffs();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      v1::Tariff* t = resp->add_tariffs();
      t->set_tariff_version(it->version);
      *t->mutable_effective_from() = server::FromCivilDay(it->effective_from);
      t->set_illustrative(it->illustrative);
      t->set_part_time_cut_percent(it->part_time_cut_percent);
      t->set_speed_bonus_days(it->speed_bonus_days);
      t->set_supplementary_min_percent(it->supplementary_min_percent);
      for (cmp::Component c : cmp::kAllComponents) {
        for (Level l : cmp::kTariffLevels) {
          v1::TariffAmount* a = t->add_amounts();
          a->set_component(static_cast<v1::PaymentComponent>(static_cast<int>(c)));
          a->set_level(static_cast<v1::Level>(static_cast<int>(l)));
          a->mutable_amount()->set_ore(it->Amount(c, l));
        }
      }
    }
    return absl::OkStatus();
  }
};

CompensationHandler::CompensationHandler(server::ServiceHost& host, const CompensationConfig& config,
                                         const cmp::TariffSet& tariffs, const CaseSource& cases,
                                         CaseSettlement* settlement)
    : impl_(std::make_shared<CompensationImpl>(host, config, tariffs, cases, settlement)), policy_(MakePolicy()) {
  engine_ = std::make_unique<server::PeriodicTask>(host, std::chrono::milliseconds(config.engine_interval_ms),
                                                   std::vector<server::PeriodicTask::Step>{
                                                       {"payment_engine", [this] { return RunEngine(); }}});
}

CompensationHandler::~CompensationHandler() { engine_.reset(); }  // stop the engine before the impl goes

absl::StatusOr<int> CompensationHandler::RunEngine() {
  absl::StatusOr<int> result = 0;
  absl::Status s = impl_->host.executor().RunSync([&](RedisConnection& redis) {
    result = impl_->events.RunOnce(redis, 100000);
    return result.status();
  });
  if (!s.ok()) return s;
  return result;
}

identity::Policy CompensationHandler::MakePolicy() {
  using identity::Role;
  const auto eo = Role::kEmploymentOfficer, pfu = Role::kProviderFollowUp, prv = Role::kProvider, aud = Role::kAuditor,
             adm = Role::kAdmin, svc = Role::kService, cw = Role::kCaseworker;
  identity::Policy p;
  // Providers read their own; employment officers (compensation cases) and provider follow-up
  // read all; only the engine writes lines, and settlement is the engine's act (scheduler or admin).
  for (const char* m : {"ListPaymentLines", "GetStatement", "ListStatements", "GetPaymentReport"}) {
    p.Allow(m, {eo, pfu, aud, adm, svc, prv});
  }
  p.Allow("SettleMonth", {svc, adm});
  p.Allow("ReplayPayments", {eo, pfu, aud, adm, svc});
  p.Allow("ListTariffs", {cw, eo, pfu, aud, adm, svc, prv});
  return p;
}

#define RUSTA_RPC(Name, Body)                                                                       \
  CompensationHandler::Reactor* CompensationHandler::Name(Ctx* ctx, const v1::Name##Request* req,  \
                                                          v1::Name##Response* resp) {              \
    std::shared_ptr<CompensationImpl> impl = impl_;                                                 \
    return impl->host.Handle(ctx, #Name, policy_, req,                                                   \
        [impl, req, resp](const Identity& caller, RedisConnection& redis) -> absl::Status {        \
          (void)caller; (void)redis; (void)req;                                                     \
          Body;                                                                                     \
        });                                                                                         \
  }

RUSTA_RPC(ListPaymentLines, return impl->ListPaymentLines(caller, redis, *req, resp))
RUSTA_RPC(GetStatement, return impl->GetStatement(caller, redis, *req, resp))
RUSTA_RPC(ListStatements, return impl->ListStatements(caller, redis, *req, resp))
RUSTA_RPC(SettleMonth, return impl->SettleMonth(caller, redis, *req, resp))
RUSTA_RPC(GetPaymentReport, return impl->GetPaymentReport(caller, redis, *req, resp))
RUSTA_RPC(ReplayPayments, return impl->ReplayPayments(caller, redis, *req, resp))
RUSTA_RPC(ListTariffs, return impl->ListTariffs(resp))

#undef RUSTA_RPC

}  // namespace rusta::compensation
