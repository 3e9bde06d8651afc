// Subject identifiers: a V-nummer (10 digits, from arrival) or a BSN
// (9 digits passing the elfproef, after municipal registration).
#ifndef KETENPOORT_GATEWAY_VALIDATE_SUBJECT_ID_H_
#define KETENPOORT_GATEWAY_VALIDATE_SUBJECT_ID_H_

#include <string_view>

#include "absl/status/status.h"

namespace ketenpoort::validate {

bool IsVNumber(std::string_view id);
// 9 digits, not all zero, and sum(d_i * w_i) % 11 == 0 with weights
// 9, 8, ..., 2, -1.
bool IsBsn(std::string_view id);

// INVALID_ARGUMENT with reason INVALID_SUBJECT_ID otherwise. The message
// never repeats the id itself: it may be personal data.
absl::Status ValidateSubjectId(std::string_view id);

}  // namespace ketenpoort::validate

#endif  // KETENPOORT_GATEWAY_VALIDATE_SUBJECT_ID_H_
