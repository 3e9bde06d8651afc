// Errors with a machine-readable reason.
//
// Every error the gateway returns to a partner carries a google.rpc.ErrorInfo
// (reason, domain "ketenpoort", metadata) and, when there is one, a
// human explanation as google.rpc.LocalizedMessage. Inside the gateway these
// travel as absl::Status payloads; ToGrpcStatus maps them once, at the
// service edge, into the grpc-status-details-bin trailer.
#ifndef KETENPOORT_GATEWAY_COMMON_ERROR_H_
#define KETENPOORT_GATEWAY_COMMON_ERROR_H_

#include <grpcpp/support/status.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ketenpoort {

inline constexpr std::string_view kErrorDomain = "ketenpoort";

// Debian's abseil is built with its own absl::string_view, which does not
// convert implicitly to or from std::string_view.
inline std::string_view StdView(absl::string_view view) { return {view.data(), view.size()}; }

// Builds a status with an ErrorInfo payload.
absl::Status MakeError(absl::StatusCode code, std::string_view reason, std::string_view message,
                       const std::map<std::string, std::string>& metadata = {});

// The ErrorInfo reason attached by MakeError, or "" if there is none.
std::string ErrorReason(const absl::Status& status);

// Converts to a grpc::Status carrying google.rpc.Status details. A status
// without a reason gets one derived from its code, so every error a partner
// sees has an ErrorInfo.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace ketenpoort

#endif  // KETENPOORT_GATEWAY_COMMON_ERROR_H_
