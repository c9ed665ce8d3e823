#pragma once
// libprotobuf logs to stderr on its own (e.g. one unthrottled, free-form line for every string
// field with invalid UTF-8 it refuses to parse: a caller can produce those at will). This routes
// its log through the service's log instead: one logfmt line per event (`event=protobuf`), at most
// kProtobufLogLinesPerSecond per second, with the number suppressed in the next line written.
namespace rusta::server {

inline constexpr int kProtobufLogLinesPerSecond = 10;

// Idempotent; ServiceHost::Start calls it.
void InstallProtobufLogHandler();

}  // namespace rusta::server
