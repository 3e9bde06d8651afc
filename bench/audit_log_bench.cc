// Audit log benchmarks (issue 4): durable append throughput with group
// commit at 1, 16 and 64 writers; verification rate; inclusion proof
// latency and subject access report latency on a large store; with
// --retention yes, how long appends wait while retention prunes.
//
//   build/bench/audit_log_bench [--entries N] [--dir DIR] [--seconds S]
//                               [--append no] [--retention yes]
//
// Every figure comes from the production code paths: AuditLog over
// SqliteAuditStore (WAL, synchronous=FULL, one signed checkpoint per
// commit), AuditReader, VerifyLog, StoredInclusionProof, and the report
// renderer. The large store is built once in --dir and reused.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gateway/audit/access_report.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/audit/log_verifier.h"
#include "gateway/audit/pseudonymizer.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/audit/tree_proofs.h"
#include "tests/support/rfc8032_key.h"

namespace ketenpoort {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSubjects = 100'000;

// A fixed key (RFC 8032 test 1), so a store built by one run verifies in
// the next.
const crypto::Ed25519PrivateKey& SigningKey() {
  static const crypto::Ed25519PrivateKey key =
      *crypto::Ed25519PrivateKey::FromPem(testing::Rfc8032TestKeyPem());
  return key;
}
audit::CheckpointSigner Signer() { return audit::CheckpointSigner("bench/audit", SigningKey()); }

std::string SubjectId(int i) { return std::to_string(2'100'000'000 + i); }

// A realistic ACCESS entry (about 400 bytes serialized).
v1::AuditEntry SampleEntry(uint64_t n, const audit::Pseudonymizer& pseudonyms) {
  v1::AuditEntry entry;
  entry.set_kind(v1::AuditEntry::ACCESS);
  entry.set_time_unix_micros(1'780'000'000'000'000 + static_cast<int64_t>(n) * 1000);
  entry.set_partner_id("gemeente-woerden");
  entry.set_partner_name("Gemeente Woerden");
  entry.set_partner_oin("00000099000000000632");
  entry.set_actor_id("medewerker-" + std::to_string(n % 97));
  entry.set_actor_role("werkconsulent");
  entry.set_client_cert_sha256(std::string(64, 'c'));
  entry.set_subject_pseudonym(pseudonyms.Pseudonym(SubjectId(static_cast<int>(n % kSubjects))));
  entry.set_purpose(v1::WORK_REINTEGRATION);
  entry.set_record_type("noa.Assessment");
  entry.set_source("coa-fixtures");
  entry.set_source_partner_id("coa");
  entry.set_decision(v1::AuditEntry::PERMIT);
  entry.set_reason("PERMIT");
  entry.set_rule_id("gemeente-werk-noa");
  entry.set_legal_basis("statutory");
  entry.set_law_reference("Wi2021 art. 16");
  entry.set_policy_version("sha256:0123456789abcdef");
  for (const char* field : {"language_levels", "education", "work_experience", "competences"}) {
    entry.add_released_fields(field);
  }
  entry.add_released_categories("LANGUAGE");
  entry.add_released_categories("WORK");
  entry.set_payload_sha256(std::string(32, 'p'));
  entry.set_request_id("req-" + std::to_string(n));
  entry.set_method("/ketenpoort.v1.DossierService/GetRecord");
  return entry;
}

std::unique_ptr<audit::AuditLog> OpenLog(const std::string& path, size_t max_batch = 1024) {
  auto store = audit::SqliteAuditStore::Open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::exit(1);
  }
  auto log = audit::AuditLog::Open(std::move(*store), Signer(),
                                   {.max_batch = max_batch, .max_queue = 1 << 20, .head_file = ""});
  if (!log.ok()) {
    std::fprintf(stderr, "cannot open log: %s\n", std::string(log.status().message()).c_str());
    std::exit(1);
  }
  return std::move(*log);
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

void AppendThroughput(const fs::path& dir, int writers, double seconds,
                      const audit::Pseudonymizer& pseudonyms) {
  const std::string path = (dir / ("append-" + std::to_string(writers) + ".db")).string();
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  auto log = OpenLog(path);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      uint64_t n = static_cast<uint64_t>(w) << 32;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!log->AppendAndWait(SampleEntry(n++, pseudonyms)).ok()) std::abort();
        appended.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "append  writers=%-3d  %9.0f entries/s  (%llu entries in %llu commits, %.1f per commit)\n",
      writers, static_cast<double>(appended.load()) / elapsed,
      static_cast<unsigned long long>(appended.load()),
      static_cast<unsigned long long>(log->commit_count()),
      static_cast<double>(log->committed_count()) /
          static_cast<double>(std::max<uint64_t>(1, log->commit_count())));
}

// Builds (or reuses) a store of `entries` entries.
std::string BigStore(const fs::path& dir, uint64_t entries,
                     const audit::Pseudonymizer& pseudonyms) {
  const std::string path = (dir / ("store-" + std::to_string(entries) + ".db")).string();
  {
    auto reader = audit::AuditReader::Open(path);
    if (reader.ok() && (*reader)->Size().value_or(0) == entries) {
      // The writer brings a store from an older version up to date.
      if (auto store = audit::SqliteAuditStore::Open(path); !store.ok()) {
        std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
        std::exit(1);
      }
      return path;
    }
  }
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  std::printf("building a store of %llu entries in %s ...\n",
              static_cast<unsigned long long>(entries), path.c_str());
  std::fflush(stdout);
  auto log = OpenLog(path, 16'384);
  std::atomic<uint64_t> done{0};
  const auto start = Clock::now();
  for (uint64_t n = 0; n < entries; ++n) {
    // Bound what is in flight.
    while (n - done.load(std::memory_order_relaxed) > 100'000) std::this_thread::yield();
    log->Append(SampleEntry(n, pseudonyms), [&done](absl::StatusOr<uint64_t> index) {
      if (!index.ok()) std::abort();
      done.fetch_add(1, std::memory_order_relaxed);
    });
  }
  log.reset();
  std::printf("built in %.0f s\n", std::chrono::duration<double>(Clock::now() - start).count());
  return path;
}

void Verification(const std::string& path) {
  auto reader = audit::AuditReader::Open(path, audit::AuditReader::ReadPattern::kWholeLog);
  auto key = audit::CheckpointVerifier::FromVerifierKey(Signer().VerifierKey());
  const auto start = Clock::now();
  auto report = audit::VerifyLog(**reader, {.key = &*key, .trusted_checkpoint = std::nullopt});
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (!report.ok() || !report->ok()) {
    std::fprintf(stderr, "verification failed\n");
    if (report.ok()) {
      for (const std::string& problem : report->problems) {
        std::fprintf(stderr, "  %s\n", problem.c_str());
      }
    }
    std::exit(1);
  }
  std::printf("verify  %llu entries, %llu nodes, %llu checkpoints in %.2f s: %.0f entries/s\n",
              static_cast<unsigned long long>(report->entries),
              static_cast<unsigned long long>(report->nodes),
              static_cast<unsigned long long>(report->checkpoints), elapsed,
              static_cast<double>(report->entries) / elapsed);
}

void InclusionProofs(const std::string& path, uint64_t size) {
  auto reader = audit::AuditReader::Open(path);
  std::mt19937_64 random(7);
  std::vector<double> micros;
  for (int i = 0; i < 20'000; ++i) {
    const uint64_t leaf = random() % size;
    const auto start = Clock::now();
    auto proof = (*reader)->InclusionProof(leaf, size);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!proof.ok()) std::abort();
  }
  std::printf("proof   inclusion at %llu entries: median %.1f us, p99 %.1f us\n",
              static_cast<unsigned long long>(size), Percentile(micros, 0.5),
              Percentile(micros, 0.99));
}

void SubjectAccessReports(const std::string& path, uint64_t size,
                          const audit::Pseudonymizer& pseudonyms, const fs::path& messages) {
  auto reader = audit::AuditReader::Open(path);
  auto catalogues = audit::AccessReportCatalogues::LoadDirectory(messages.string());
  if (!catalogues.ok()) std::abort();
  std::mt19937_64 random(11);
  std::vector<double> millis;
  size_t lines = 0;
  for (int i = 0; i < 500; ++i) {
    const auto start = Clock::now();
    // What AuditService::DoGetSubjectAccessReport does, minus gRPC.
    const std::string pseudonym =
        pseudonyms.Pseudonym(SubjectId(static_cast<int>(random() % kSubjects)));
    audit::EntryRange range;
    range.subject_keys = {*audit::SubjectKey(pseudonym)};
    range.through_index = size;
    std::vector<v1::AuditEntry> accesses;
    v1::AuditEntry entry;
    auto scanned = (*reader)->Scan(range, [&](const audit::StoredEntry& row) {
      if (entry.ParseFromString(row.entry_bytes) && entry.subject_pseudonym() == pseudonym) {
        accesses.push_back(entry);
      }
      return true;
    });
    if (!scanned.ok()) std::abort();
    v1::SubjectAccessReport report =
        audit::RenderAccessReport(*(*catalogues)->Find("nl"), accesses, 1'790'000'000'000'000);
    lines += static_cast<size_t>(report.accesses_size());
    millis.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::printf(
      "report  subject access report at %llu entries (%zu lines each on average): "
      "median %.2f ms, p99 %.2f ms\n",
      static_cast<unsigned long long>(size), lines / 500, Percentile(millis, 0.5),
      Percentile(millis, 0.99));
}

// Retention on a copy of the large store: prunes its first quarter alone,
// then the second while 16 writers append, and reports how long appends
// that started during that prune waited. Retention runs hourly in a serving
// gateway, so what it blocks is what callers wait for.
void RetentionUnderLoad(const fs::path& dir, const std::string& store, uint64_t size,
                        const audit::Pseudonymizer& pseudonyms) {
  const std::string path = (dir / "retention.db").string();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  fs::copy_file(store, path);
  auto log = OpenLog(path);
  // The first quarter with nothing else running, as at a gateway's start.
  const auto alone_start = Clock::now();
  auto pruned_alone =
      log->PruneBefore(SampleEntry(size / 4, pseudonyms).time_unix_micros(), 1'790'000'000'000'000);
  if (!pruned_alone.ok()) std::abort();
  std::printf("retain  pruned %llu of %llu entries with no appends in %.2f s\n",
              static_cast<unsigned long long>(*pruned_alone), static_cast<unsigned long long>(size),
              std::chrono::duration<double>(Clock::now() - alone_start).count());
  struct Timed {
    Clock::time_point start;
    double millis;
  };
  constexpr int kWriters = 16;
  std::vector<std::vector<Timed>> timings(kWriters);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      // Entry times grow with n; these are all newer than the cutoff.
      uint64_t n = size + (static_cast<uint64_t>(w) << 32);
      while (!stop.load(std::memory_order_relaxed)) {
        const auto start = Clock::now();
        if (!log->AppendAndWait(SampleEntry(n++, pseudonyms)).ok()) std::abort();
        timings[w].push_back(
            {start, std::chrono::duration<double, std::milli>(Clock::now() - start).count()});
      }
    });
  }
  // The first commits read the tree and warm the cache; "before" is the
  // second after that.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t cutoff = SampleEntry(size / 2, pseudonyms).time_unix_micros();
  const auto prune_start = Clock::now();
  auto pruned = log->PruneBefore(cutoff, 1'790'000'000'000'000);
  const auto prune_end = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (std::thread& thread : threads) thread.join();
  if (!pruned.ok()) std::abort();
  std::vector<double> before, during;
  for (const std::vector<Timed>& writer : timings) {
    for (const Timed& timed : writer) {
      if (timed.start >= prune_start - std::chrono::seconds(1) && timed.start < prune_start) {
        before.push_back(timed.millis);
      }
      if (timed.start >= prune_start && timed.start < prune_end) during.push_back(timed.millis);
    }
  }
  if (before.empty() || during.empty()) std::abort();
  std::printf(
      "retain  pruned %llu of %llu entries in %.2f s; appends before: p99 %.1f ms; "
      "during: %zu, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      static_cast<unsigned long long>(*pruned), static_cast<unsigned long long>(size),
      std::chrono::duration<double>(prune_end - prune_start).count(), Percentile(before, 0.99),
      during.size(), Percentile(during, 0.5), Percentile(during, 0.99),
      *std::max_element(during.begin(), during.end()));
  log.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

}  // namespace
}  // namespace ketenpoort

int main(int argc, char** argv) {
  uint64_t entries = 10'000'000;
  std::string dir = "build/bench-data";
  double seconds = 5;
  bool append = true;
  bool retention = false;  // copies the large store
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--entries") entries = std::stoull(argv[i + 1]);
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
    if (flag == "--append") append = std::string(argv[i + 1]) != "no";
    if (flag == "--retention") retention = std::string(argv[i + 1]) != "no";
  }
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const ketenpoort::audit::Pseudonymizer pseudonyms(std::string(32, 'k'));
  if (append) {
    for (int writers : {1, 16, 64}) ketenpoort::AppendThroughput(dir, writers, seconds, pseudonyms);
  }
  const std::string store = ketenpoort::BigStore(dir, entries, pseudonyms);
  ketenpoort::Verification(store);
  ketenpoort::InclusionProofs(store, entries);
  ketenpoort::SubjectAccessReports(store, entries, pseudonyms,
                                   fs::path(KETENPOORT_SOURCE_DIR) / "policies" / "messages");
  if (retention) ketenpoort::RetentionUnderLoad(dir, store, entries, pseudonyms);
  return 0;
}
