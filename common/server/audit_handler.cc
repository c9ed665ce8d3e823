#include "common/server/audit_handler.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_verifier.h"
#include "common/server/proto_convert.h"

namespace rusta::server {
namespace {

using identity::Role;

bool Matches(const rusta::v1::AuditEvent& event, const rusta::v1::AuditSubject& filter) {
  for (const auto& s : event.subjects()) {
    if (s.kind() == filter.kind() && s.id() == filter.id()) return true;
  }
  return false;
}

// A page token is the stream id of the last event returned; it must look like one.
bool ValidStreamId(const std::string& id) {
  const size_t dash = id.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == id.size()) return false;
  uint64_t a = 0, b = 0;
  return absl::SimpleAtoi(id.substr(0, dash), &a) && absl::SimpleAtoi(id.substr(dash + 1), &b);
}

}  // namespace

AuditHandler::AuditHandler(ServiceHost& host) : host_(host), policy_(MakePolicy()) {}

identity::Policy AuditHandler::MakePolicy() {
  identity::Policy policy;
  policy.Allow("ListAuditEvents", {Role::kAuditor, Role::kAdmin});
  policy.Allow("VerifyAuditChain", {Role::kAuditor, Role::kAdmin});
  return policy;
}

grpc::ServerUnaryReactor* AuditHandler::ListAuditEvents(
    grpc::CallbackServerContext* context, const rusta::v1::ListAuditEventsRequest* request,
    rusta::v1::ListAuditEventsResponse* response) {
  return host_.Handle(context, "ListAuditEvents", policy_, request,
      [this, request, response](const identity::Identity& caller,
                                redis::RedisConnection& redis) -> absl::Status {
    // The same page size rule as every other list: 0 is the default, more than 1000 is clamped.
    auto page_size = PageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    if (!request->page_token().empty() && !ValidStreamId(request->page_token())) {
      return absl::InvalidArgumentError("page_token: not a token this service issued");
    }
    const bool filtered = request->has_subject();
    if (filtered && (request->subject().kind() == rusta::v1::SUBJECT_KIND_UNSPECIFIED ||
                     request->subject().id().empty())) {
      return absl::InvalidArgumentError("subject: needs both kind and id");
    }
    const std::string start = request->page_token().empty() ? "-" : "(" + request->page_token();
    auto reply = redis.Command({"XRANGE", host_.audit().events_key(), start, "+", "COUNT",
                                absl::StrCat(*page_size)});
    if (!reply.ok()) return reply.status();
    for (const auto& entry : reply->elements) {
      rusta::v1::ChainedAuditEvent out;
      const auto& f = entry[1];
      for (size_t i = 0; i + 1 < f.size(); i += 2) {
        const std::string& name = f[i].str;
        if (name == "seq") { int64_t seq = 0; (void)absl::SimpleAtoi(f[i + 1].str, &seq); out.set_seq(seq); }
        else if (name == "chain") out.set_chain(f[i + 1].str);
        else if (name == "prev") out.set_prev_hash(f[i + 1].str);
        else if (name == "hash") out.set_hash(f[i + 1].str);
        else if (name == "body") out.mutable_event()->ParseFromString(f[i + 1].str);
      }
      int64_t ms = 0;
      (void)absl::SimpleAtoi(entry[0].str.substr(0, entry[0].str.find('-')), &ms);
      out.mutable_stored_time()->set_seconds(ms / 1000);
      out.mutable_stored_time()->set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
      if (!filtered || Matches(out.event(), request->subject())) *response->add_events() = std::move(out);
    }
    if (static_cast<int64_t>(reply->size()) == *page_size) {
      response->set_next_page_token(reply->elements.back()[0].str);
    }
    // Reading the trail is itself recorded: the trail holds personal identifiers.
    rusta::v1::AuditEvent read = audit::MakeAuditEvent(caller, host_.config().service_name,
                                                       "ListAuditEvents", absl::Now());
    read.set_purpose("audit-review");
    if (filtered) *read.add_subjects() = request->subject();
    return host_.audit().Append(redis, audit::ActorChain(caller.uri), read).status();
  });
}

grpc::ServerUnaryReactor* AuditHandler::VerifyAuditChain(
    grpc::CallbackServerContext* context, const rusta::v1::VerifyAuditChainRequest* request,
    rusta::v1::VerifyAuditChainResponse* response) {
  return host_.Handle(context, "VerifyAuditChain", policy_, request,
      [this, response](const identity::Identity&, redis::RedisConnection& redis) -> absl::Status {
    audit::AuditVerifier verifier(host_.audit());
    auto report = verifier.Verify(redis);
    if (!report.ok()) return report.status();
    response->set_ok(report->ok);
    response->set_events_checked(report->events_checked);
    response->set_first_bad_seq(report->first_bad_seq);
    response->set_description(report->description);
    response->set_chain(report->chain);
    response->set_chains(report->chains);
    switch (report->problem) {
      case audit::ChainProblem::kNone: response->set_problem(rusta::v1::CHAIN_PROBLEM_NONE); break;
      case audit::ChainProblem::kModified: response->set_problem(rusta::v1::CHAIN_PROBLEM_MODIFIED); break;
      case audit::ChainProblem::kRemoved: response->set_problem(rusta::v1::CHAIN_PROBLEM_REMOVED); break;
      case audit::ChainProblem::kReordered: response->set_problem(rusta::v1::CHAIN_PROBLEM_REORDERED); break;
    }
    return absl::OkStatus();
  });
}

}  // namespace rusta::server
