// Audit reads at scale (issue 23, item 11): a privacy officer's scoped
// queries and a person's access report, end to end against the real
// gateway binary over mutual TLS, on an audit log of N entries, with the
// gateway's memory (anonymous and file-backed, as monitoring sees it)
// sampled while the officers query.
//
//   build/bench/audit_read_bench [--entries 10000000] [--subjects 100000]
//       [--iterations 50] [--dir build/bench-audit-read] [--certs build/test-certs]
//
// The log is built once into --dir with the gateway's own keys and reused
// by later runs of the same size. Calls are sequential; each is timed on
// the client from request to answer.
#include <grpcpp/create_channel.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/pseudonymizer.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/crypto.h"
#include "gateway/common/ed25519.h"
#include "ketenpoort/v1/audit.grpc.pb.h"
#include "tests/support/gateway_process.h"

namespace ketenpoort {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kOrigin[] = "ketenpoort.localhost/audit";
constexpr int64_t kYearStart = 1'767'222'000'000'000;  // 2026-01-01 00:00 Amsterdam
constexpr int64_t kYearMicros = 365LL * 24 * 3600 * 1'000'000;

struct Options {
  uint64_t entries = 10'000'000;
  uint64_t subjects = 100'000;
  int iterations = 50;
  std::string dir = "build/bench-audit-read";
  std::string certs = "build/test-certs";
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> SubjectIds(uint64_t subjects) {
  const synthetic::SyntheticPopulation population(7);
  std::vector<std::string> ids;
  ids.reserve(subjects);
  for (uint64_t i = 0; i < subjects; ++i) ids.push_back(population.Person(i).v_number);
  return ids;
}

// Who asks, whose source answers, what was decided: a regional mix.
v1::AuditEntry MakeEntry(uint64_t n, uint64_t entries, const std::string& pseudonym,
                         std::mt19937_64& random) {
  static const std::vector<std::pair<std::string, std::string>> kRequests = {
      {"gemeente-woerden", "coa"},
      {"gemeente-utrecht", "coa"},
      {"gemeente-utrecht", "duo"},
      {"huisartsenpraktijk-woerden", "gca"},
      {"huisartsenpraktijk-utrecht", "gca"},
      {"jgz-woerden", "ggd-regio-utrecht"},
      {"gemeente-woerden", "vwn-midden-nederland"},
      {"ggd-pga", "gca"}};
  const auto& [partner, source] = kRequests[random() % kRequests.size()];
  v1::AuditEntry entry;
  entry.set_kind(v1::AuditEntry::ACCESS);
  entry.set_time_unix_micros(kYearStart +
                             static_cast<int64_t>(static_cast<double>(n) / entries * kYearMicros) +
                             static_cast<int64_t>(random() % 2'000'000));
  entry.set_partner_id(partner);
  entry.set_partner_name(partner);
  entry.set_actor_id("medewerker-" + std::to_string(random() % 97));
  entry.set_actor_role("werkconsulent");
  entry.set_client_cert_sha256(std::string(64, 'c'));
  entry.set_subject_pseudonym(pseudonym);
  entry.set_purpose(v1::WORK_REINTEGRATION);
  entry.set_record_type("coa.NoaAssessment");
  entry.set_source(source + "-fixtures");
  entry.set_source_partner_id(source);
  const uint64_t roll = random() % 100;
  entry.set_decision(roll < 90   ? v1::AuditEntry::PERMIT
                     : roll < 98 ? v1::AuditEntry::DENY
                                 : v1::AuditEntry::INVALID);
  entry.set_reason(roll < 90 ? "PERMIT" : roll < 98 ? "NO_RULE" : "BAD_REQUEST");
  entry.set_rule_id("gemeente-werk-noa");
  entry.set_legal_basis("statutory");
  entry.set_law_reference("Wi2021 art. 16");
  entry.set_policy_version("sha256:0123456789abcdef");
  entry.add_released_categories("LANGUAGE");
  entry.set_payload_sha256(std::string(32, 'p'));
  entry.set_request_id("req-" + std::to_string(n));
  entry.set_method("/ketenpoort.v1.DossierService/GetRecord");
  return entry;
}

bool BuildStore(const Options& options, const std::vector<std::string>& subject_ids) {
  const fs::path dir = options.dir;
  fs::create_directories(dir);
  const std::string marker = (dir / "audit.entries").string();
  // The log is signed and pseudonymised with these keys: new keys, new log.
  const std::string wanted =
      std::to_string(options.entries) + "/" +
      crypto::ToHex(crypto::Sha256({ReadFile(options.certs + "/checkpoint.key"),
                                    ReadFile(options.certs + "/pseudonym.key")}));
  if (ReadFile(marker) == wanted && fs::exists(dir / "audit.db")) return true;
  for (const char* file : {"audit.db", "audit.db-wal", "audit.db-shm", "audit-head.note"}) {
    fs::remove(dir / file);
  }
  auto key = crypto::Ed25519PrivateKey::FromPemFile(options.certs + "/checkpoint.key");
  auto pseudonyms = audit::Pseudonymizer::FromKeyFile(options.certs + "/pseudonym.key");
  if (!key.ok() || !pseudonyms.ok()) return false;
  std::vector<std::string> subject_pseudonyms;
  for (const std::string& id : subject_ids) subject_pseudonyms.push_back(pseudonyms->Pseudonym(id));
  auto store = audit::SqliteAuditStore::Open((dir / "audit.db").string());
  if (!store.ok()) return false;
  auto log =
      audit::AuditLog::Open(std::move(*store), audit::CheckpointSigner(kOrigin, std::move(*key)),
                            {.max_batch = 16'384, .max_queue = 1 << 20, .head_file = ""});
  if (!log.ok()) return false;
  std::printf("building an audit log of %llu entries in %s ...\n",
              static_cast<unsigned long long>(options.entries), options.dir.c_str());
  std::fflush(stdout);
  const auto started = Clock::now();
  std::mt19937_64 random(23);
  for (uint64_t n = 0; n < options.entries;) {
    std::vector<v1::AuditEntry> batch;
    for (; batch.size() < 16'384 && n < options.entries; ++n) {
      batch.push_back(MakeEntry(n, options.entries,
                                subject_pseudonyms[random() % subject_pseudonyms.size()], random));
    }
    std::promise<absl::Status> done;
    (*log)->AppendAll(std::move(batch),
                      [&done](absl::StatusOr<uint64_t> index) { done.set_value(index.status()); });
    if (absl::Status status = done.get_future().get(); !status.ok()) {
      std::fprintf(stderr, "append: %s\n", std::string(status.message()).c_str());
      return false;
    }
  }
  log->reset();
  std::printf("built in %.0f s\n", std::chrono::duration<double>(Clock::now() - started).count());
  std::ofstream(marker) << wanted;
  return true;
}

bool WriteConfig(const Options& options) {
  // The gateway needs a source to start; this bench never asks it.
  const fs::path fixtures = fs::path(options.dir) / "fixtures.db";
  if (!fs::exists(fixtures)) {
    if (!synthetic::WriteFixtureDatabase(fixtures.string(), 7, 10).ok()) return false;
  }
  const std::string certs = fs::absolute(options.certs).string();
  std::ofstream(fs::path(options.dir) / "gateway.yaml")
      << "listen: 127.0.0.1:0\n"
      << "tls: {server_cert: " << certs << "/server.crt, server_key: " << certs
      << "/server.key, client_ca: " << certs << "/ca.crt}\n"
      << "policies_dir: " << KETENPOORT_SOURCE_DIR << "/policies\n"
      << "audit: {database: audit.db, origin: " << kOrigin << ", pseudonym_key_file: " << certs
      << "/pseudonym.key, checkpoint_key_file: " << certs << "/checkpoint.key,\n"
      << "  head_file: audit-head.note, retention_days: 36500}\n"
      << "state: {database: state.db}\n"
      << "sources:\n"
      << "  - {name: coa-tvs, owner: coa, kind: sqlite_fixture, database: fixtures.db,\n"
      << "     record_types: [coa.Koppeling]}\n";
  return true;
}

std::shared_ptr<grpc::Channel> ChannelAs(const std::string& address, const Options& options,
                                         const std::string& partner) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(options.certs + "/ca.crt");
  tls.pem_cert_chain = ReadFile(options.certs + "/" + partner + ".crt");
  tls.pem_private_key = ReadFile(options.certs + "/" + partner + ".key");
  return grpc::CreateChannel(address, grpc::SslCredentials(tls));
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

// The gateway's resident memory, in kB, as /proc reports it.
struct Memory {
  long rss = 0;
  long anonymous = 0;
  long file = 0;
};

Memory ReadMemory(pid_t pid) {
  Memory memory;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    auto value = [&line](size_t at) { return std::stol(line.substr(at)); };
    if (line.rfind("VmRSS:", 0) == 0) memory.rss = value(6);
    if (line.rfind("RssAnon:", 0) == 0) memory.anonymous = value(8);
    if (line.rfind("RssFile:", 0) == 0) memory.file = value(8);
  }
  return memory;
}

int Run(const Options& options) {
  if (!fs::exists(options.certs + "/server.crt")) {
    std::fprintf(stderr, "no certificates in %s\n", options.certs.c_str());
    return 2;
  }
  const std::vector<std::string> subject_ids = SubjectIds(options.subjects);
  if (!BuildStore(options, subject_ids)) {
    std::fprintf(stderr, "could not build the audit log\n");
    return 1;
  }
  if (!WriteConfig(options)) {
    std::fprintf(stderr, "could not write the gateway's configuration\n");
    return 1;
  }
  std::string error;
  const auto starting = Clock::now();
  auto gateway = testing::GatewayProcess::Start(fs::absolute(options.dir + "/gateway.yaml"),
                                                fs::absolute(options.dir), &error);
  if (!gateway) {
    std::fprintf(stderr, "gateway: %s\n", error.c_str());
    return 1;
  }
  const double start_s = std::chrono::duration<double>(Clock::now() - starting).count();
  const Memory at_start = ReadMemory(gateway->pid());

  std::atomic<bool> sampling{true};
  Memory peak;
  std::thread sampler([&] {
    while (sampling.load()) {
      const Memory now = ReadMemory(gateway->pid());
      peak.rss = std::max(peak.rss, now.rss);
      peak.anonymous = std::max(peak.anonymous, now.anonymous);
      peak.file = std::max(peak.file, now.file);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  struct Row {
    std::string name;
    std::vector<double> millis;
    int failures = 0;
    size_t answered = 0;
  };
  std::vector<Row> rows;
  std::mt19937_64 random(5);
  auto timed = [&](Row& row, int i, auto call) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context.AddMetadata("x-actor-id", "bench");
    context.AddMetadata("x-actor-role", "functionaris-gegevensbescherming");
    const auto started = Clock::now();
    const grpc::Status status = call(&context);
    const double millis = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    if (i >= 3) row.millis.push_back(millis);  // 3 warm-up calls
    if (!status.ok()) {
      ++row.failures;
      std::fprintf(stderr, "%s: %s\n", row.name.c_str(), status.error_message().c_str());
    }
  };
  auto query = [&](const std::string& name, const std::string& officer,
                   const std::function<void(v1::AuditQueryRequest&)>& shape) {
    auto stub = v1::AuditService::NewStub(ChannelAs(gateway->address(), options, officer));
    Row row{name, {}, 0, 0};
    for (int i = 0; i < options.iterations + 3; ++i) {
      v1::AuditQueryRequest request;
      request.set_page_size(100);
      shape(request);
      v1::AuditQueryResponse response;
      timed(row, i, [&](grpc::ClientContext* c) { return stub->Query(c, request, &response); });
      row.answered = static_cast<size_t>(response.entries_size());
    }
    rows.push_back(std::move(row));
  };
  auto report = [&](const std::string& name, const std::string& reader) {
    auto stub = v1::AuditService::NewStub(ChannelAs(gateway->address(), options, reader));
    Row row{name, {}, 0, 0};
    for (int i = 0; i < options.iterations + 3; ++i) {
      v1::SubjectAccessReportRequest request;
      request.set_subject_id(subject_ids[random() % subject_ids.size()]);
      request.set_language("nl");
      v1::SubjectAccessReport response;
      timed(row, i, [&](grpc::ClientContext* c) {
        return stub->GetSubjectAccessReport(c, request, &response);
      });
      row.answered = std::max(row.answered, static_cast<size_t>(response.accesses_size()));
    }
    rows.push_back(std::move(row));
  };

  const int64_t mid_year = kYearStart + kYearMicros / 2;
  for (const std::string officer : {"fg-coa", "fg-gemeente-woerden"}) {
    query("Query " + officer + ", own organisation, first page", officer,
          [](v1::AuditQueryRequest&) {});
    query("Query " + officer + ", denied only", officer,
          [](v1::AuditQueryRequest& r) { r.set_decision(v1::AuditEntry::DENY); });
    query("Query " + officer + ", one day mid-year", officer, [&](v1::AuditQueryRequest& r) {
      r.set_from_unix_micros(mid_year);
      r.set_until_unix_micros(mid_year + 24LL * 3600 * 1'000'000);
    });
    query("Query " + officer + ", one person", officer, [&](v1::AuditQueryRequest& r) {
      r.set_subject_id(subject_ids[random() % subject_ids.size()]);
    });
  }
  query("Query supervisor, denied for one reason, one week", "autoriteit-persoonsgegevens",
        [&](v1::AuditQueryRequest& r) {
          r.set_decision(v1::AuditEntry::DENY);
          r.set_reason("NO_RULE");
          r.set_from_unix_micros(mid_year);
          r.set_until_unix_micros(mid_year + 7 * 24LL * 3600 * 1'000'000);
        });
  // The worst case: two long posting lists that never meet (no entry
  // involves both COA and GCA). Each call stops at its read budget and
  // answers with a token, whatever the log's size.
  query("Query fg-coa, partner gca (never together: one budget-bound call)", "fg-coa",
        [](v1::AuditQueryRequest& r) { r.set_partner_id("gca"); });
  report("Report first page, supervisor", "autoriteit-persoonsgegevens");
  report("Report first page, privacy officer fg-coa", "fg-coa");
  sampling = false;
  sampler.join();

  std::printf(
      "\naudit log of %llu entries (%.2f GB on disk), %llu persons; gateway started in %.1f s; "
      "%d timed calls each after 3 warm-up calls\n\n",
      static_cast<unsigned long long>(options.entries),
      static_cast<double>(fs::file_size(fs::path(options.dir) / "audit.db")) / 1e9,
      static_cast<unsigned long long>(options.subjects), start_s, options.iterations);
  std::printf("| call | entries or lines | median | p90 | p99 | max | errors |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  int failures = 0;
  for (const Row& row : rows) {
    failures += row.failures;
    std::printf("| %s | %zu | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %d |\n", row.name.c_str(),
                row.answered, Percentile(row.millis, 0.5), Percentile(row.millis, 0.9),
                Percentile(row.millis, 0.99), Percentile(row.millis, 1.0), row.failures);
  }
  std::printf(
      "\ngateway RSS at start %.1f MB (anonymous %.1f, file %.1f); highest while officers "
      "queried %.1f MB (anonymous %.1f, file %.1f)\n",
      at_start.rss / 1024.0, at_start.anonymous / 1024.0, at_start.file / 1024.0, peak.rss / 1024.0,
      peak.anonymous / 1024.0, peak.file / 1024.0);
  gateway->Stop();
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ketenpoort

int main(int argc, char** argv) {
  ketenpoort::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--entries") {
      options.entries = std::stoull(value);
    } else if (flag == "--subjects") {
      options.subjects = std::stoull(value);
    } else if (flag == "--iterations") {
      options.iterations = std::max(1, std::stoi(value));
    } else if (flag == "--dir") {
      options.dir = value;
    } else if (flag == "--certs") {
      options.certs = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr,
                 "usage: %s [--entries N] [--subjects N] [--iterations N] [--dir DIR] "
                 "[--certs DIR]\n",
                 argv[0]);
    return 2;
  }
  return ketenpoort::Run(options);
}
