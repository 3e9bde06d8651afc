// RETURN_IF_ERROR / ASSIGN_OR_RETURN: Debian's abseil (2022-06) ships
// neither, so we define them once here.
#ifndef KETENPOORT_GATEWAY_COMMON_STATUS_MACROS_H_
#define KETENPOORT_GATEWAY_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KP_CONCAT_INNER_(a, b) a##b
#define KP_CONCAT_(a, b) KP_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    if (::absl::Status kp_status_ = (expr); !kp_status_.ok()) { \
      return kp_status_;                                        \
    }                                                           \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  KP_ASSIGN_OR_RETURN_IMPL_(KP_CONCAT_(kp_statusor_, __LINE__), lhs, expr)

#define KP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // KETENPOORT_GATEWAY_COMMON_STATUS_MACROS_H_
