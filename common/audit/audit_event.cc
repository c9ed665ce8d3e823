#include "common/audit/audit_event.h"

#include <string>

namespace rusta::audit {

rusta::v1::AuditEvent MakeAuditEvent(const identity::Identity& actor, std::string_view service,
                                     std::string_view action, absl::Time now) {
  rusta::v1::AuditEvent event;
  event.set_actor_id(actor.uri);
  event.set_actor_role(static_cast<rusta::v1::Role>(identity::RoleProtoNumber(actor.role)));
  event.set_service(std::string(service));
  event.set_action(std::string(service) + "." + std::string(action));
  const int64_t micros = absl::ToUnixMicros(now);
  event.mutable_time()->set_seconds(micros / 1000000);
  event.mutable_time()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  event.set_outcome(rusta::v1::AUDIT_OUTCOME_SUCCESS);
  return event;
}

void AddSubject(rusta::v1::AuditEvent& event, rusta::v1::SubjectKind kind, std::string_view id) {
  rusta::v1::AuditSubject* subject = event.add_subjects();
  subject->set_kind(kind);
  subject->set_id(std::string(id));
}

}  // namespace rusta::audit
