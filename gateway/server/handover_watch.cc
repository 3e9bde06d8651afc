#include "gateway/server/handover_watch.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include "gateway/common/error.h"
#include "gateway/common/log.h"

namespace ketenpoort::server {

namespace {
constexpr int kBatch = 100;  // events read from the store at a time
}  // namespace

WatchStream::WatchStream(WatchHub* hub, handover::HandoverStore* store, std::string recipient,
                         uint64_t after_cursor, const identity::RevocationHolder* revocations,
                         identity::PeerCertificate certificate)
    : hub_(hub),
      store_(store),
      revocations_(revocations),
      certificate_(std::move(certificate)),
      recipient_(std::move(recipient)),
      cursor_(after_cursor) {
  hub_->Add(recipient_, this);
  Wake();
}

void WatchStream::Wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  PumpLocked();
}

void WatchStream::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "the gateway is stopping; reconnect with your last cursor"));
}

void WatchStream::PumpLocked() {
  if (finished_ || writing_) return;
  if (revocations_ != nullptr && revocations_->Current()->IsRevoked(certificate_)) {
    finished_ = true;
    Finish(ToGrpcStatus(MakeError(absl::StatusCode::kPermissionDenied, "CERTIFICATE_REVOKED",
                                  "the client certificate has been revoked by its CA")));
    return;
  }
  if (queue_.empty()) {
    auto next = store_->ForRecipient(recipient_, cursor_, kBatch);
    if (!next.ok()) {
      log::Error("handover_watch_read_failed", {{"recipient", recipient_}});
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "hand-overs cannot be read now; reconnect with your last cursor"));
      return;
    }
    for (v1::Handover& handover : *next) {
      cursor_ = handover.cursor();
      handover.clear_expected_move_date();  // as HandoverService::Present
      v1::HandoverEvent event;
      *event.mutable_handover() = std::move(handover);
      queue_.push_back(std::move(event));
    }
  }
  if (queue_.empty()) return;  // idle until woken
  bool own_buffer = false;
  writing_bytes_.Clear();  // the encoder writes only into an empty buffer
  if (!grpc::SerializationTraits<v1::HandoverEvent>::Serialize(queue_.front(), &writing_bytes_,
                                                               &own_buffer)
           .ok()) {
    finished_ = true;
    Finish(grpc::Status(grpc::StatusCode::INTERNAL, "an event could not be encoded"));
    return;
  }
  writing_ = true;
  StartWrite(&writing_bytes_);
}

void WatchStream::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  writing_ = false;
  queue_.pop_front();
  if (!ok) {
    if (!finished_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream closed"));
    }
    return;
  }
  PumpLocked();
}

void WatchStream::OnCancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  Finish(grpc::Status::CANCELLED);
}

void WatchStream::OnDone() {
  hub_->Remove(recipient_, this);
  delete this;
}

bool WatchHub::Admit(const std::string& recipient, size_t max) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t& admitted = admitted_[recipient];
  if (admitted >= max) {
    if (admitted == 0) admitted_.erase(recipient);
    return false;
  }
  ++admitted;
  return true;
}

void WatchHub::Add(const std::string& recipient, WatchStream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  streams_[recipient].insert(stream);
}

void WatchHub::Remove(const std::string& recipient, WatchStream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto admitted = admitted_.find(recipient); admitted != admitted_.end()) {
    if (--admitted->second == 0) admitted_.erase(admitted);
  }
  auto it = streams_.find(recipient);
  if (it == streams_.end()) return;
  it->second.erase(stream);
  if (it->second.empty()) streams_.erase(it);
}

void WatchHub::Wake(const std::string& recipient) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(recipient);
  if (it == streams_.end()) return;
  for (WatchStream* stream : it->second) stream->Wake();
}

void WatchHub::WakeAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [recipient, streams] : streams_) {
    for (WatchStream* stream : streams) stream->Wake();
  }
}

void WatchHub::CloseAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  for (auto& [recipient, streams] : streams_) {
    for (WatchStream* stream : streams) stream->Close();
  }
}

bool WatchHub::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

}  // namespace ketenpoort::server
