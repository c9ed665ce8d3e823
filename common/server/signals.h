#pragma once
// SIGTERM/SIGINT handling that works with gRPC's threads: block the signals in main() before any
// thread starts (threads inherit the mask), then wait for one with sigwait in one place.
namespace rusta::server {

void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace rusta::server
