// Metadata the gateway records must be printable ASCII within its limit.
#include "gateway/server/caller.h"

#include <gtest/gtest.h>

#include "gateway/common/error.h"

namespace ketenpoort::server {
namespace {

TEST(CallerTest, MetadataMustBePrintableAsciiWithinItsLimit) {
  EXPECT_TRUE(CheckMetadataValue("x-actor-id", "medewerker-17 (Woerden)~", 64).ok());
  EXPECT_TRUE(CheckMetadataValue("x-actor-id", "", 64).ok());
  for (const std::string& bad :
       {std::string("medewerker-\x80\xff"), std::string("tab\there"), std::string("del\x7f"),
        std::string("nul\0x", 5), std::string("caf\xc3\xa9")}) {
    const absl::Status status = CheckMetadataValue("x-actor-id", bad, 64);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(status), "BAD_METADATA");
    EXPECT_EQ(std::string(status.message()).find(bad), std::string::npos);  // never echoed
  }
  const absl::Status long_value = CheckMetadataValue("x-request-id", std::string(65, 'a'), 64);
  EXPECT_EQ(ErrorReason(long_value), "BAD_METADATA");
  EXPECT_NE(std::string(long_value.message()).find("x-request-id"), std::string::npos);
  EXPECT_TRUE(CheckMetadataValue("x-request-id", std::string(64, 'a'), 64).ok());
}

}  // namespace
}  // namespace ketenpoort::server
