// Retention in the real gateway (decisions 0017, 0018): a backlog of audit
// entries past their retention period is pruned in the background once the
// gateway listens; SIGTERM during that prune drains and stops after the
// step in progress, and the next start finishes the job. The log verifies
// after each.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/audit/log_verifier.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/ed25519.h"
#include "ketenpoort/v1/audit.grpc.pb.h"
#include "tests/support/audit_fixture.h"
#include "tests/support/gateway_env.h"
#include "tests/support/gateway_process.h"

namespace ketenpoort {
namespace {

using testing::QueryInt;

// Enough steps of 512 that the prune is still going when SIGTERM arrives.
constexpr int kBacklog = 100'000;
constexpr int kSubjects = 500;
constexpr int64_t kMicrosPerDay = 86'400LL * 1'000'000LL;
constexpr auto kPatience = std::chrono::seconds(60);

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t PrunedEntries(const std::string& audit_db) {
  return QueryInt(audit_db, "SELECT count(*) FROM audit_entry WHERE entry IS NULL");
}

audit::CheckpointSigner DevSigner() {
  auto key = crypto::Ed25519PrivateKey::FromPemFile(testing::CertsDir() + "/checkpoint.key");
  EXPECT_TRUE(key.ok()) << key.status();
  return audit::CheckpointSigner("ketenpoort.localhost/audit", std::move(*key));
}

// Writes `count` access entries from ten days ago, as a gateway would have,
// signed with the dev checkpoint key the gateway under test uses.
absl::Status WriteBacklog(const std::string& audit_db, int count) {
  auto store = audit::SqliteAuditStore::Open(audit_db);
  if (!store.ok()) return store.status();
  // One group of `count`, larger than the default queue bound.
  auto log = audit::AuditLog::Open(std::move(*store), DevSigner(),
                                   {.max_queue = static_cast<size_t>(count), .head_file = ""});
  if (!log.ok()) return log.status();
  const int64_t then = NowMicros() - 10 * kMicrosPerDay;
  std::vector<v1::AuditEntry> entries;
  for (int i = 0; i < count; ++i) {
    v1::AuditEntry entry;
    entry.set_kind(v1::AuditEntry::ACCESS);
    entry.set_time_unix_micros(then + i);
    entry.set_partner_id("gemeente-woerden");
    entry.set_decision(v1::AuditEntry::PERMIT);
    char pseudonym[65];
    std::snprintf(pseudonym, sizeof pseudonym, "%064x", 1 + i % kSubjects);
    entry.set_subject_pseudonym(pseudonym);
    entries.push_back(std::move(entry));
  }
  std::promise<absl::Status> written;
  (*log)->AppendAll(std::move(entries), [&written](absl::StatusOr<uint64_t> first) {
    written.set_value(first.status());
  });
  return written.get_future().get();
}

// The whole log verifies against the dev checkpoint key.
void ExpectVerifies(const std::string& audit_db) {
  auto verifier = audit::CheckpointVerifier::FromVerifierKey(DevSigner().VerifierKey());
  ASSERT_TRUE(verifier.ok());
  auto reader = audit::AuditReader::Open(audit_db);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto report = audit::VerifyLog(**reader, {.key = &*verifier, .trusted_checkpoint = std::nullopt});
  ASSERT_TRUE(report.ok()) << report.status();
  std::string problems;
  for (const std::string& problem : report->problems) problems += problem + "\n";
  EXPECT_TRUE(report->ok()) << problems;
}

TEST(GatewayRetentionTest, ABacklogIsPrunedInTheBackgroundAndSigtermStopsItBetweenSteps) {
  testing::TempDir dir;
  ASSERT_TRUE(synthetic::WriteFixtureDatabase(dir.File("fixtures.db"), 5, 10).ok());
  const std::string audit_db = dir.File("audit.db");
  ASSERT_TRUE(WriteBacklog(audit_db, kBacklog).ok());
  ASSERT_EQ(QueryInt(audit_db, "SELECT count(*) FROM audit_entry"), kBacklog);
  // A retention period of one day: the whole backlog is past it.
  std::string config_text = testing::ReadFile(testing::WriteConfig(dir, testing::PoliciesDir()));
  const std::string audit_line = "audit:\n";
  config_text.insert(config_text.find(audit_line) + audit_line.size(), "  retention_days: 1\n");
  const std::string config = dir.Write("gateway.yaml", config_text);

  // It listens and answers with the backlog still there; SIGTERM then
  // drains and stops it within the step in progress.
  std::string error;
  auto gateway = testing::GatewayProcess::Start(config, dir.path().string(), &error);
  ASSERT_NE(gateway, nullptr) << error;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", "fg-1");
    context.AddMetadata("x-actor-role", "privacy_officer");
    v1::GetCheckpointResponse response;
    const grpc::Status status =
        v1::AuditService::NewStub(testing::ChannelAs(gateway->address(), "gemeente-woerden"))
            ->GetCheckpoint(&context, {}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(gateway->Stop(), 0) << gateway->StderrText();
  const int64_t pruned_first = PrunedEntries(audit_db);
  EXPECT_LT(pruned_first, kBacklog) << "the prune ended before SIGTERM could stop it";
  EXPECT_EQ(pruned_first % 512, 0) << "a step was cut short";
  ExpectVerifies(audit_db);

  // The next start continues where the last whole step ended.
  auto restarted = testing::GatewayProcess::Start(config, dir.path().string(), &error);
  ASSERT_NE(restarted, nullptr) << error;
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (PrunedEntries(audit_db) < kBacklog && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(restarted->Stop(), 0) << restarted->StderrText();
  EXPECT_EQ(PrunedEntries(audit_db), kBacklog);
  // Only the backlog: the gateway's own recent entries keep their content.
  EXPECT_GT(QueryInt(audit_db, "SELECT count(*) FROM audit_entry WHERE entry IS NOT NULL"), 0);
  EXPECT_EQ(QueryInt(audit_db,
                     "SELECT count(*) FROM audit_subject WHERE idx <= " + std::to_string(kBacklog)),
            0);
  ExpectVerifies(audit_db);
}

}  // namespace
}  // namespace ketenpoort
