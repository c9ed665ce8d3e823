#pragma once
// Builds the AuditEvent for an action by a caller; handlers add subjects, purpose and detail.
#include <string_view>

#include "absl/time/time.h"
#include "common/identity/identity.h"
#include "rusta/v1/audit.pb.h"

namespace rusta::audit {

rusta::v1::AuditEvent MakeAuditEvent(const identity::Identity& actor, std::string_view service,
                                     std::string_view action, absl::Time now);

void AddSubject(rusta::v1::AuditEvent& event, rusta::v1::SubjectKind kind, std::string_view id);

}  // namespace rusta::audit
