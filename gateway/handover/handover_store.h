// Durable store of hand-overs: one SQLite file (WAL, synchronous=FULL), so
// an accepted hand-over survives a crash or restart. Holds what both sides
// may see about a hand-over (v1::Handover) in the clear, and the package
// (subject, note, records) only sealed (envelope.h). Thread-safe: one
// connection behind a mutex.
#ifndef KETENPOORT_GATEWAY_HANDOVER_HANDOVER_STORE_H_
#define KETENPOORT_GATEWAY_HANDOVER_HANDOVER_STORE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/handover/envelope.h"
#include "gateway/store/sqlite_database.h"
#include "ketenpoort/v1/handover.pb.h"

namespace ketenpoort::handover {

struct StoredHandover {
  v1::Handover handover;                 // cursor is the row's position
  std::string request_id;                // the sender's idempotency key
  std::string request_digest;            // keyed digest of the Send request, to spot a reused id
  std::string subject_key;               // the subject's audit pseudonym
  std::optional<SealedPackage> package;  // absent once purged
};

class HandoverStore {
 public:
  static absl::StatusOr<std::unique_ptr<HandoverStore>> Open(const std::string& path);

  // Stores a new hand-over and sets its cursor. ALREADY_EXISTS when the
  // sender already used the request id (read it with FindByRequest).
  absl::Status Insert(StoredHandover& stored);
  std::optional<StoredHandover> Find(const std::string& handover_id);
  std::optional<StoredHandover> FindByRequest(const std::string& sender,
                                              const std::string& request_id);
  // Hand-overs to `recipient` after `cursor`, oldest first, without packages.
  absl::StatusOr<std::vector<v1::Handover>> ForRecipient(const std::string& recipient,
                                                         uint64_t after_cursor, int limit);
  // Every hand-over in one of `statuses`, for one party (or all when empty).
  absl::StatusOr<std::vector<StoredHandover>> WithStatus(
      const std::vector<v1::HandoverStatus>& statuses, const std::string& sender = "",
      const std::string& recipient = "");

  // Replaces the metadata if the stored status is still `expected`
  // (compare-and-set); FAILED_PRECONDITION otherwise. With `purge`, the
  // package is deleted in the same transaction.
  absl::Status Update(const v1::Handover& handover, v1::HandoverStatus expected, bool purge);

 private:
  explicit HandoverStore(std::unique_ptr<store::SqliteDatabase> db) : db_(std::move(db)) {}
  std::optional<StoredHandover> FindWhere(const std::string& where, const std::string& a,
                                          const std::string& b);

  std::mutex mutex_;
  std::unique_ptr<store::SqliteDatabase> db_;
};

}  // namespace ketenpoort::handover

#endif  // KETENPOORT_GATEWAY_HANDOVER_HANDOVER_STORE_H_
