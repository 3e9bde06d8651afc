// The subject-id validator: never crashes, and accepts exactly the ids
// its two predicates accept (a V-nummer or a BSN passing the elfproef).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/validate/subject_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view id(reinterpret_cast<const char*>(data), size);
  const bool valid = ketenpoort::validate::ValidateSubjectId(id).ok();
  const bool v_number = ketenpoort::validate::IsVNumber(id);
  const bool bsn = ketenpoort::validate::IsBsn(id);
  if (valid != (v_number || bsn)) std::abort();
  if (v_number && bsn) std::abort();  // 10 digits and 9 digits at once
  if (valid) {
    for (char c : id) {
      if (c < '0' || c > '9') std::abort();
    }
  }
  return 0;
}
