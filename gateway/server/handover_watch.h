// Watch: a server stream of the hand-overs addressed to the caller, from a
// cursor on. Every event is read from the store, so a watcher that
// reconnects with the last cursor it saw misses nothing, and a hand-over
// stored while nobody watched is sent on the next Watch.
//
// WatchHub wakes a recipient's open streams when a hand-over for it is
// stored, and closes every stream at shutdown (UNAVAILABLE: reconnect with
// your cursor) so a drain does not wait for streams that never end.
#ifndef KETENPOORT_GATEWAY_SERVER_HANDOVER_WATCH_H_
#define KETENPOORT_GATEWAY_SERVER_HANDOVER_WATCH_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "gateway/handover/handover_store.h"
#include "gateway/identity/revocation_list.h"
#include "ketenpoort/v1/handover.pb.h"

namespace ketenpoort::server {

class WatchHub;

// Writes encoded events: Watch is a raw-bytes method, so that a request
// that does not decode gets BAD_REQUEST_ENCODING (decision 0024).
class WatchStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Before every write the caller's certificate is checked against the
  // revocation lists in force (`revocations` may be null): a stream opened
  // before a revocation ends with CERTIFICATE_REVOKED rather than go on.
  WatchStream(WatchHub* hub, handover::HandoverStore* store, std::string recipient,
              uint64_t after_cursor, const identity::RevocationHolder* revocations,
              identity::PeerCertificate certificate);

  // New hand-overs may be in the store: send them.
  void Wake();
  // The gateway is stopping.
  void Close();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Starts the next write if none is in flight. Caller holds mutex_.
  void PumpLocked();

  WatchHub* const hub_;
  handover::HandoverStore* const store_;
  const identity::RevocationHolder* const revocations_;
  const identity::PeerCertificate certificate_;
  const std::string recipient_;
  std::mutex mutex_;
  uint64_t cursor_;                      // last cursor read from the store
  std::deque<v1::HandoverEvent> queue_;  // read, not yet written
  grpc::ByteBuffer writing_bytes_;       // queue_.front(), encoded, while written
  bool writing_ = false;
  bool finished_ = false;
};

class WatchHub {
 public:
  // Reserves a stream for `recipient` if it holds fewer than `max`; the
  // reservation ends when that stream is removed. Call before creating it.
  bool Admit(const std::string& recipient, size_t max);
  void Add(const std::string& recipient, WatchStream* stream);
  void Remove(const std::string& recipient, WatchStream* stream);
  void Wake(const std::string& recipient);
  // Every open stream, so that each checks its certificate again.
  void WakeAll();
  // Closes every open stream and refuses new ones.
  void CloseAll();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::map<std::string, std::set<WatchStream*>> streams_;
  std::map<std::string, size_t> admitted_;  // streams reserved per recipient
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_HANDOVER_WATCH_H_
