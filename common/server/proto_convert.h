#pragma once
// Conversions between the shared proto types (common.proto) and the plain C++ ones, used by every
// service's gRPC adapter.
#include <string>
#include <string_view>

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/identity/identity.h"
#include "common/queue/work_queue.h"
#include "rusta/v1/common.pb.h"

namespace rusta::server {

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);
void SetTimestampMs(int64_t unix_ms, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
void SetDuration(absl::Duration d, google::protobuf::Duration* out);

// An unset or invalid Date is INVALID_ARGUMENT "<field>: ..." (docs/api.md: dates).
absl::StatusOr<absl::CivilDay> ToCivilDay(const rusta::v1::Date& date, std::string_view field);
rusta::v1::Date FromCivilDay(absl::CivilDay day);

rusta::v1::Actor ToActor(const identity::Identity& identity);

// queue_name is "<service>.<queue>"; kind and subject_id describe the work.
rusta::v1::QueueItem ToQueueItemProto(const queue::QueueItem& item, const std::string& queue_name,
                                      const std::string& kind, const std::string& subject_id,
                                      const std::string& worker_uri, absl::Time claimed_at,
                                      absl::Duration visibility_timeout);
rusta::v1::QueueStats ToQueueStatsProto(const queue::QueueStats& stats,
                                        const std::string& queue_name, absl::Time now);

// page_size: 0 means 100, above 1000 means 1000, negative is INVALID_ARGUMENT.
absl::StatusOr<int> PageSize(int32_t requested);
// An offset page token ("" = 0); anything but a non-negative number is INVALID_ARGUMENT
// "page_token: not a token this service issued".
absl::StatusOr<int64_t> PageOffset(std::string_view token);

}  // namespace rusta::server
