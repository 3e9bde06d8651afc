#include "gateway/audit/head_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/common/error.h"

namespace ketenpoort::audit {
namespace {

absl::Status WriteError(const std::string& path, const std::string& what) {
  return MakeError(absl::StatusCode::kUnavailable, "AUDIT_HEAD_FILE_UNWRITABLE",
                   "cannot " + what + " " + path + ": " + std::strerror(errno));
}

// Closes the descriptor however the write ends.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

absl::StatusOr<std::optional<std::string>> HeadFile::Read() const {
  std::error_code error;
  if (!std::filesystem::exists(path_, error)) return std::nullopt;
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "AUDIT_HEAD_FILE_UNREADABLE",
                     "cannot read the audit head file " + path_);
  }
  return text.str();
}

absl::Status HeadFile::Write(const std::string& note) const {
  const std::string temporary = path_ + ".tmp";
  {
    Descriptor file{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (file.fd < 0) return WriteError(temporary, "create");
    size_t written = 0;
    while (written < note.size()) {
      const ssize_t n = ::write(file.fd, note.data() + written, note.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return WriteError(temporary, "write");
      written += static_cast<size_t>(n);
    }
    if (::fsync(file.fd) != 0) return WriteError(temporary, "fsync");
  }
  if (::rename(temporary.c_str(), path_.c_str()) != 0) return WriteError(path_, "replace");
  // The rename itself is durable only once the directory is.
  std::string directory = std::filesystem::path(path_).parent_path().string();
  if (directory.empty()) directory = ".";
  Descriptor dir{::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || ::fsync(dir.fd) != 0) return WriteError(directory, "fsync the directory of");
  return absl::OkStatus();
}

}  // namespace ketenpoort::audit
