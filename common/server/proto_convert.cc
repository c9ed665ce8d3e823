#include "common/server/proto_convert.h"

#include "absl/strings/numbers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/server/clock.h"

namespace rusta::server {

absl::TimeZone SwedishTimeZone() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    // Without tzdata (a minimal container) fall back to UTC+1 rather than fail: dates near
    // midnight in summer could then be off by one, which the log says.
    if (!absl::LoadTimeZone("Europe/Stockholm", &tz)) tz = absl::FixedTimeZone(3600);
    return tz;
  }();
  return zone;
}

absl::CivilDay SwedishDay(absl::Time t) { return absl::ToCivilDay(t, SwedishTimeZone()); }

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) { rest += 1000000; --seconds; }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

void SetTimestampMs(int64_t unix_ms, google::protobuf::Timestamp* out) {
  SetTimestamp(absl::FromUnixMillis(unix_ms), out);
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

absl::StatusOr<absl::CivilDay> ToCivilDay(const rusta::v1::Date& date, std::string_view field) {
  const std::string f(field);
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(f, ": required"));
  }
  if (date.year() < 1900 || date.year() > 2199 || date.month() < 1 || date.month() > 12 ||
      date.day() < 1 || date.day() > 31) {
    return absl::InvalidArgumentError(absl::StrCat(f, ": not a valid date"));
  }
  const absl::CivilDay day(date.year(), date.month(), date.day());
  // CivilDay normalises (Feb 30 -> Mar 2): a date that does not survive unchanged is not real.
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return absl::InvalidArgumentError(absl::StrCat(f, ": not a valid date"));
  }
  return day;
}

rusta::v1::Date FromCivilDay(absl::CivilDay day) {
  rusta::v1::Date out;
  out.set_year(static_cast<int32_t>(day.year()));
  out.set_month(day.month());
  out.set_day(day.day());
  return out;
}

rusta::v1::Actor ToActor(const identity::Identity& identity) {
  rusta::v1::Actor actor;
  actor.set_id(identity.uri);
  actor.set_role(static_cast<rusta::v1::Role>(identity::RoleProtoNumber(identity.role)));
  return actor;
}

rusta::v1::QueueItem ToQueueItemProto(const queue::QueueItem& item, const std::string& queue_name,
                                      const std::string& kind, const std::string& subject_id,
                                      const std::string& worker_uri, absl::Time claimed_at,
                                      absl::Duration visibility_timeout) {
  rusta::v1::QueueItem out;
  out.set_item_id(item.id);
  out.set_queue(queue_name);
  out.set_kind(kind);
  out.set_subject_id(subject_id);
  SetTimestampMs(item.enqueued_ms, out.mutable_enqueued_at());
  if (!item.delayed_id.empty()) SetTimestampMs(item.enqueued_ms, out.mutable_due_at());
  out.set_claimed_by(worker_uri);
  SetTimestamp(claimed_at, out.mutable_claimed_at());
  SetTimestamp(claimed_at + visibility_timeout, out.mutable_claim_expires_at());
  out.set_delivery_count(static_cast<int32_t>(item.deliveries));
  return out;
}

rusta::v1::QueueStats ToQueueStatsProto(const queue::QueueStats& stats,
                                        const std::string& queue_name, absl::Time now) {
  rusta::v1::QueueStats out;
  out.set_queue(queue_name);
  out.set_depth(stats.waiting);
  out.set_pending(stats.claimed);
  out.set_delayed(stats.scheduled);
  out.set_dead_lettered(stats.dead);
  if (stats.oldest_enqueued_ms >= 0) {
    SetDuration(std::max(absl::ZeroDuration(), now - absl::FromUnixMillis(stats.oldest_enqueued_ms)),
                out.mutable_oldest_age());
  }
  SetTimestamp(now, out.mutable_as_of());
  return out;
}

absl::StatusOr<int64_t> PageOffset(std::string_view token) {
  int64_t offset = 0;
  if (!token.empty() && (!absl::SimpleAtoi(std::string(token), &offset) || offset < 0)) {
    return absl::InvalidArgumentError("page_token: not a token this service issued");
  }
  return offset;
}

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return 100;
  return std::min(requested, 1000);
}

}  // namespace rusta::server
