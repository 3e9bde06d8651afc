#include "gateway/validate/subject_id.h"

#include <algorithm>

#include "gateway/common/error.h"

namespace ketenpoort::validate {
namespace {

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool IsVNumber(std::string_view id) { return id.size() == 10 && AllDigits(id); }

bool IsBsn(std::string_view id) {
  if (id.size() != 9 || !AllDigits(id)) return false;
  int sum = 0;
  bool all_zero = true;
  for (size_t i = 0; i < 8; ++i) {
    const int digit = id[i] - '0';
    all_zero = all_zero && digit == 0;
    sum += digit * static_cast<int>(9 - i);
  }
  const int last = id[8] - '0';
  all_zero = all_zero && last == 0;
  sum -= last;
  return !all_zero && sum % 11 == 0;
}

absl::Status ValidateSubjectId(std::string_view id) {
  if (IsVNumber(id) || IsBsn(id)) return absl::OkStatus();
  if (id.size() == 9 && AllDigits(id)) {
    return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_SUBJECT_ID",
                     "subject_id has 9 digits but fails the BSN elfproef");
  }
  return MakeError(absl::StatusCode::kInvalidArgument, "INVALID_SUBJECT_ID",
                   "subject_id must be a V-nummer (10 digits) or a BSN (9 digits)");
}

}  // namespace ketenpoort::validate
