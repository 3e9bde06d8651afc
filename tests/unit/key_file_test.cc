#include "gateway/common/key_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/common/error.h"
#include "tests/support/temp_dir.h"

namespace ketenpoort {
namespace {

namespace fs = std::filesystem;

class KeyFileTest : public ::testing::Test {
 protected:
  std::string KeyWithMode(fs::perms mode) {
    const std::string path = dir_.Write("secret.key", "00112233445566778899aabbccddeeff\n");
    fs::permissions(path, mode);
    return path;
  }

  testing::TempDir dir_;
};

TEST_F(KeyFileTest, OnlyTheOwnerMayHaveAccess) {
  using fs::perms;
  EXPECT_TRUE(
      RequirePrivateKeyFile(KeyWithMode(perms::owner_read | perms::owner_write), "key").ok());
  EXPECT_TRUE(RequirePrivateKeyFile(KeyWithMode(perms::owner_read), "key").ok());
  for (perms extra :
       {perms::group_read, perms::others_read, perms::group_write, perms::others_exec}) {
    const std::string path = KeyWithMode(perms::owner_read | perms::owner_write | extra);
    const absl::Status status = RequirePrivateKeyFile(path, "pseudonym key");
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrorReason(status), "KEY_FILE_PERMISSIONS");
    EXPECT_NE(status.message().find("pseudonym key " + path), std::string::npos) << status;
    EXPECT_NE(status.message().find("chmod 600"), std::string::npos) << status;
  }
}

TEST_F(KeyFileTest, ALinkIsJudgedByTheFileItPointsTo) {
  const std::string target = KeyWithMode(fs::perms::owner_read | fs::perms::owner_write);
  const std::string link = dir_.File("link.key");
  fs::create_symlink(target, link);
  EXPECT_TRUE(RequirePrivateKeyFile(link, "key").ok());
  fs::permissions(target, fs::perms::owner_read | fs::perms::others_read);
  EXPECT_FALSE(RequirePrivateKeyFile(link, "key").ok());
}

TEST_F(KeyFileTest, AMissingFileOrADirectoryIsRefused) {
  EXPECT_EQ(ErrorReason(RequirePrivateKeyFile(dir_.File("absent.key"), "key")),
            "KEY_FILE_UNREADABLE");
  fs::create_directories(dir_.File("a-directory"));
  fs::permissions(dir_.File("a-directory"), fs::perms::owner_all);
  EXPECT_EQ(ErrorReason(RequirePrivateKeyFile(dir_.File("a-directory"), "key")),
            "KEY_FILE_PERMISSIONS");
}

}  // namespace
}  // namespace ketenpoort
