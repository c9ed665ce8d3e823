#include "tests/support/raw_call.h"

#include <grpcpp/generic/generic_stub.h>

#include <chrono>

namespace rusta::testing {
namespace {

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// Waits for the one operation in flight; false when it failed (e.g. the stream ended).
bool Await(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

void SetDeadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

}  // namespace

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  auto call = stub.PrepareUnaryCall(&ctx, method, ToBuffer(request), &cq);
  call->StartCall();
  grpc::ByteBuffer reply;
  grpc::Status status;
  call->Finish(&reply, &status, nullptr);
  Await(cq);
  if (status.ok() && response != nullptr) *response = FromBuffer(reply);
  return status;
}

grpc::Status RawStreamingCall(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& method, const std::vector<std::string>& requests,
                              std::vector<std::string>* responses) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  auto call = stub.PrepareCall(&ctx, method, &cq);
  call->StartCall(nullptr);
  bool open = Await(cq);
  for (const std::string& request : requests) {
    if (!open) break;
    call->Write(ToBuffer(request), nullptr);
    open = Await(cq);
  }
  if (open) {
    call->WritesDone(nullptr);
    open = Await(cq);
  }
  while (open) {
    grpc::ByteBuffer reply;
    call->Read(&reply, nullptr);
    if (!Await(cq)) break;
    responses->push_back(FromBuffer(reply));
  }
  grpc::Status status;
  call->Finish(&status, nullptr);
  Await(cq);
  return status;
}

}  // namespace rusta::testing
