// The last checkpoint the gateway signed, kept in a file outside the audit
// store (by default beside the signing key), so that restoring an older
// copy of the store cannot roll the log back unseen: at start the store
// must reach this checkpoint and agree with its root (AuditLog::Open).
//
// The file holds the signed note as it was signed. It may lag the store
// (it is written after the store commits, at most about once a second),
// never lead it. Not thread-safe; AuditLog serialises its use.
#ifndef KETENPOORT_GATEWAY_AUDIT_HEAD_FILE_H_
#define KETENPOORT_GATEWAY_AUDIT_HEAD_FILE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace ketenpoort::audit {

class HeadFile {
 public:
  explicit HeadFile(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  // The note in the file; nullopt if there is no file.
  absl::StatusOr<std::optional<std::string>> Read() const;
  // Replaces the file atomically and durably: a temporary file, fsync,
  // rename, fsync of the directory. Private to the gateway's user.
  absl::Status Write(const std::string& note) const;

 private:
  std::string path_;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_HEAD_FILE_H_
