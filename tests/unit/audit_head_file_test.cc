// The head file: a store restored from an older copy, or replaced by
// another log, is refused at start instead of forking the log.
#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/audit/head_file.h"
#include "gateway/common/error.h"
#include "tests/support/audit_fixture.h"

namespace ketenpoort::audit {
namespace {

namespace fs = std::filesystem;

class AuditHeadFileTest : public testing::AuditFixture {
 protected:
  absl::StatusOr<std::unique_ptr<AuditLog>> Open() {
    auto store = SqliteAuditStore::Open(path_);
    if (!store.ok()) return store.status();
    return AuditLog::Open(std::move(*store), testing::TestCheckpointSigner(),
                          {.head_file = head_path_});
  }

  void Append(int count) {
    auto log = Open();
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE((*log)->AppendAndWait(testing::SampleEntry("partner-" + std::to_string(i))).ok());
    }
  }

  // The store's files as they are now (closed: no WAL left behind).
  void CopyStoreTo(const std::string& to) { fs::copy_file(path_, to); }
  void RestoreStoreFrom(const std::string& from) {
    fs::remove(path_ + "-wal");
    fs::remove(path_ + "-shm");
    fs::copy_file(from, path_, fs::copy_options::overwrite_existing);
  }

  uint64_t SizeInHeadFile() {
    auto note = HeadFile(head_path_).Read();
    EXPECT_TRUE(note.ok() && note->has_value());
    auto key = CheckpointVerifier::FromVerifierKey(testing::TestCheckpointSigner().VerifierKey());
    auto opened = key->Open(**note);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? opened->size : 0;
  }

  std::string head_path_ = dir_.File("keys/audit.head");

  void SetUp() override { fs::create_directories(dir_.File("keys")); }
};

TEST_F(AuditHeadFileTest, TheFileFollowsTheHeadAndIsPrivate) {
  Append(5);
  EXPECT_EQ(SizeInHeadFile(), 5u);
  EXPECT_EQ(fs::status(head_path_).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  Append(3);
  EXPECT_EQ(SizeInHeadFile(), 8u);
}

TEST_F(AuditHeadFileTest, AnOlderCopyOfTheStoreIsRefusedSayingHowToRecover) {
  Append(5);
  const std::string backup = dir_.File("backup.db");
  CopyStoreTo(backup);
  Append(4);
  RestoreStoreFrom(backup);
  auto log = Open();
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(log.status()), "AUDIT_ROLLED_BACK");
  const std::string message(log.status().message());
  EXPECT_NE(message.find("holds 5 entries"), std::string::npos) << message;
  EXPECT_NE(message.find("checkpoint for 9"), std::string::npos) << message;
  EXPECT_NE(message.find(head_path_), std::string::npos) << message;
  EXPECT_NE(message.find("Restore the newest copy"), std::string::npos) << message;
  // Nothing was written meanwhile: the restored store is as it was.
  EXPECT_EQ(testing::QueryInt(path_, "SELECT count(*) FROM audit_entry"), 5);
}

TEST_F(AuditHeadFileTest, AnotherLogInThePlaceOfTheStoreIsRefusedEvenIfLonger) {
  Append(6);
  fs::remove(path_);
  fs::remove(path_ + "-wal");
  {
    // Another history, signed with the same key, and longer.
    auto store = SqliteAuditStore::Open(path_);
    auto log = AuditLog::Open(std::move(*store), testing::TestCheckpointSigner());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE((*log)->AppendAndWait(testing::SampleEntry("other-" + std::to_string(i))).ok());
    }
  }
  auto log = Open();
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(ErrorReason(log.status()), "AUDIT_FORKED") << log.status();
}

TEST_F(AuditHeadFileTest, AFileNotSignedByThisGatewayIsRefused) {
  Append(2);
  ASSERT_TRUE(HeadFile(head_path_).Write("ketenpoort.localhost/audit\n2\nAAAA\n\n").ok());
  auto log = Open();
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(ErrorReason(log.status()), "AUDIT_HEAD_FILE_INVALID") << log.status();
}

TEST_F(AuditHeadFileTest, AStoreAheadOfTheFileAfterACrashStartsAndMovesTheFileOn) {
  Append(3);
  const std::string at_three = *HeadFile(head_path_).Read().value();
  Append(4);
  // As if the gateway crashed before the file caught up.
  ASSERT_TRUE(HeadFile(head_path_).Write(at_three).ok());
  auto log = Open();
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(SizeInHeadFile(), 7u);
}

TEST_F(AuditHeadFileTest, WithoutAFileAStoreStartsAndTheFileIsCreated) {
  {
    auto store = SqliteAuditStore::Open(path_);
    auto log = AuditLog::Open(std::move(*store), testing::TestCheckpointSigner());
    ASSERT_TRUE((*log)->AppendAndWait(testing::SampleEntry("p")).ok());
  }
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(SizeInHeadFile(), 1u);
}

}  // namespace
}  // namespace ketenpoort::audit
