#include "gateway/validate/subject_id.h"

#include <gtest/gtest.h>

#include "gateway/common/error.h"

namespace ketenpoort::validate {
namespace {

TEST(SubjectIdTest, AcceptsTenDigitVNumber) {
  EXPECT_TRUE(IsVNumber("2820117629"));
  EXPECT_TRUE(ValidateSubjectId("2820117629").ok());
}

TEST(SubjectIdTest, AcceptsBsnThatPassesElfproef) {
  // 1*9+1*8+1*7+2*6+2*5+2*4+3*3+3*2 - 3 = 66, a multiple of 11.
  EXPECT_TRUE(IsBsn("111222333"));
  EXPECT_TRUE(IsBsn("123456782"));
  EXPECT_TRUE(ValidateSubjectId("123456782").ok());
}

TEST(SubjectIdTest, RejectsBsnThatFailsElfproef) {
  EXPECT_FALSE(IsBsn("123456789"));
  absl::Status status = ValidateSubjectId("123456789");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), "INVALID_SUBJECT_ID");
  EXPECT_NE(std::string(status.message()).find("elfproef"), std::string::npos);
}

TEST(SubjectIdTest, RejectsAllZeroBsn) { EXPECT_FALSE(IsBsn("000000000")); }

TEST(SubjectIdTest, RejectsWrongLengthsAndNonDigits) {
  for (const char* bad : {"", "12345678", "12345678901", "28201176x9", "2820 17629", "-123456782",
                          "１２３４５６７８２"}) {
    absl::Status status = ValidateSubjectId(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ErrorReason(status), "INVALID_SUBJECT_ID") << bad;
  }
}

TEST(SubjectIdTest, ErrorMessageNeverRepeatsTheId) {
  absl::Status status = ValidateSubjectId("123456789");
  EXPECT_EQ(std::string(status.message()).find("123456789"), std::string::npos);
}

}  // namespace
}  // namespace ketenpoort::validate
