#include "gateway/common/key_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "gateway/common/error.h"

namespace ketenpoort {

absl::Status RequirePrivateKeyFile(const std::string& path, std::string_view what) {
  const std::string named = std::string(what) + " " + path;
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "KEY_FILE_UNREADABLE",
                     "cannot read " + named + ": " + std::strerror(errno));
  }
  if (!S_ISREG(status.st_mode)) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "KEY_FILE_PERMISSIONS",
                     named + " is not a regular file");
  }
  const uid_t user = ::geteuid();
  if (status.st_uid != user) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "KEY_FILE_PERMISSIONS",
                     named + " is owned by uid " + std::to_string(status.st_uid) +
                         ", not by the gateway's user (uid " + std::to_string(user) +
                         "): chown it to that user");
  }
  if ((status.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    return MakeError(absl::StatusCode::kFailedPrecondition, "KEY_FILE_PERMISSIONS",
                     named + " has mode " + mode +
                         ": group and others must have no access (chmod 600 " + path + ")");
  }
  return absl::OkStatus();
}

}  // namespace ketenpoort
