// Secret key files must be private to the gateway's user: the pseudonym
// key alone reverses every pseudonym (by trying all V-nummers), the
// checkpoint key signs the audit log, the master key opens every
// hand-over. A key that others can read is refused, not used.
#ifndef KETENPOORT_GATEWAY_COMMON_KEY_FILE_H_
#define KETENPOORT_GATEWAY_COMMON_KEY_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ketenpoort {

// OK if `path` is a regular file (symbolic links followed) owned by this
// process's effective user with no permission for group or others.
// Otherwise FAILED_PRECONDITION KEY_FILE_PERMISSIONS naming the file, what
// is wrong and the command that fixes it. `what` says which key it is.
absl::Status RequirePrivateKeyFile(const std::string& path, std::string_view what);

}  // namespace ketenpoort

#endif  // KETENPOORT_GATEWAY_COMMON_KEY_FILE_H_
