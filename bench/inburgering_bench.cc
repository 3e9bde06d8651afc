// Inburgering lists and aggregates at scale (issue 7): ListProgress's first
// page and Aggregate over N persons linked to one municipality, measured
// end to end: the real gateway binary on a loopback port, mutual TLS, the
// policy decisions, the per-person audit entries made durable before the
// answer, the small-cell suppression.
//
//   build/bench/inburgering_bench [--persons 100000] [--iterations 50]
//       [--dir build/bench-inburgering] [--certs certs-dev/out]
//
// Synthetic persons are generated into a fixture database (kept in --dir
// and reused for the same --persons), all linked to Woerden, the worst case
// of one large municipality. Calls are sequential; each is timed on the
// client with steady_clock from request to answer.
#include <grpcpp/create_channel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/relationships/relationship_registry.h"
#include "ketenpoort/v1/inburgering.grpc.pb.h"
#include "tests/support/gateway_process.h"

namespace ketenpoort {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kSeed = 7;

struct Options {
  uint64_t persons = 100'000;
  int iterations = 50;
  std::string dir = "build/bench-inburgering";
  std::string certs = "certs-dev/out";
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool PrepareData(const Options& options) {
  const fs::path dir = options.dir;
  fs::create_directories(dir);
  const std::string marker = (dir / "fixtures.persons").string();
  if (ReadFile(marker) != std::to_string(options.persons)) {
    const auto started = Clock::now();
    if (absl::Status written =
            synthetic::WriteFixtureDatabase((dir / "fixtures.db").string(), kSeed, options.persons);
        !written.ok()) {
      std::fprintf(stderr, "fixtures: %s\n", std::string(written.message()).c_str());
      return false;
    }
    std::ofstream(marker) << options.persons;
    std::printf("generated %llu synthetic persons in %.1f s\n",
                static_cast<unsigned long long>(options.persons),
                std::chrono::duration<double>(Clock::now() - started).count());
  }
  // A fresh state (every person linked to Woerden) and audit log per run.
  for (const char* file : {"state.db", "state.db-wal", "state.db-shm", "audit.db", "audit.db-wal",
                           "audit.db-shm", "audit-head.note"}) {
    fs::remove(dir / file);
  }
  auto registry = relationships::RelationshipRegistry::Open((dir / "state.db").string());
  if (!registry.ok()) return false;
  const synthetic::SyntheticPopulation population(kSeed);
  std::vector<v1::Koppeling> batch;
  for (uint64_t i = 0; i < options.persons; ++i) {
    v1::Koppeling& koppeling = batch.emplace_back();
    koppeling.set_subject_id(population.Person(i).v_number);
    koppeling.set_municipality_code("0632");
    koppeling.set_linked_on("2026-01-15");
    koppeling.set_expected_move_date("2026-03-01");
    if (batch.size() == 10'000 || i + 1 == options.persons) {
      if (!(*registry)->SetKoppelingen(batch).ok()) return false;
      batch.clear();
    }
  }
  const std::string certs = fs::absolute(options.certs).string();
  std::ofstream(dir / "gateway.yaml")
      << "listen: 127.0.0.1:0\n"
      << "tls: {server_cert: " << certs << "/server.crt, server_key: " << certs
      << "/server.key, client_ca: " << certs << "/ca.crt}\n"
      << "policies_dir: " << KETENPOORT_SOURCE_DIR << "/policies\n"
      << "audit: {database: audit.db, pseudonym_key_file: " << certs
      << "/pseudonym.key, checkpoint_key_file: " << certs << "/checkpoint.key,\n"
      << "  head_file: audit-head.note}\n"
      << "state: {database: state.db}\n"
      << "sources:\n"
      << "  - {name: coa-tvs, owner: coa, kind: sqlite_fixture, database: fixtures.db,\n"
      << "     record_types: [coa.Koppeling]}\n"
      << "  - {name: duo-inburgering, owner: duo, kind: sqlite_fixture, database: fixtures.db,\n"
      << "     record_types: [duo.InburgeringStatus]}\n"
      << "inburgering: {refresh_seconds: 86400}\n";
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

template <typename Call>
grpc::Status Timed(Call call, const std::string& role, std::vector<double>* millis) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context.AddMetadata("x-actor-id", "bench");
  context.AddMetadata("x-actor-role", role);
  const auto started = Clock::now();
  const grpc::Status status = call(&context);
  millis->push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
  return status;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[at];
}

long PeakRssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int Run(const Options& options) {
  if (!fs::exists(options.certs + "/server.crt")) {
    std::fprintf(stderr, "no certificates in %s: run certs-dev/make-dev-certs.sh\n",
                 options.certs.c_str());
    return 2;
  }
  if (!PrepareData(options)) return 1;
  std::string error;
  const auto started = Clock::now();
  auto gateway = testing::GatewayProcess::Start(fs::absolute(options.dir + "/gateway.yaml"),
                                                fs::absolute(options.dir), &error);
  if (!gateway) {
    std::fprintf(stderr, "gateway: %s\n", error.c_str());
    return 1;
  }
  auto stub =
      v1::InburgeringService::NewStub(ChannelAs(gateway->address(), options, "gemeente-woerden"));

  // Wait (bounded) until the projection holds everyone.
  std::vector<double> ignored;
  const auto give_up = Clock::now() + std::chrono::minutes(10);
  int64_t total = 0;
  while (total != static_cast<int64_t>(options.persons) && Clock::now() < give_up) {
    v1::AggregateRequest request;
    request.set_dimension(v1::STAGE);
    request.set_purpose(v1::STATISTICS);
    v1::AggregateResponse response;
    if (Timed([&](grpc::ClientContext* c) { return stub->Aggregate(c, request, &response); },
              "beleidsmedewerker", &ignored)
            .ok()) {
      total = response.tables(0).total();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  const double ready_s = std::chrono::duration<double>(Clock::now() - started).count();
  if (total != static_cast<int64_t>(options.persons)) {
    std::fprintf(stderr, "the projection never held all %llu persons\n",
                 static_cast<unsigned long long>(options.persons));
    return 1;
  }

  struct Row {
    std::string name;
    std::vector<double> millis;
    int failures = 0;
    size_t answered = 0;  // persons on the page, or cells
  };
  std::vector<Row> rows;
  auto list = [&](const std::string& name, v1::ListProgressRequest request) {
    request.set_purpose(v1::CIVIC_INTEGRATION);
    request.set_page_size(50);
    Row row{name, {}, 0, 0};
    for (int i = 0; i < options.iterations + 3; ++i) {
      v1::ListProgressResponse response;
      std::vector<double>& into = i < 3 ? ignored : row.millis;  // 3 warm-up calls
      const grpc::Status status =
          Timed([&](grpc::ClientContext* c) { return stub->ListProgress(c, request, &response); },
                "klantmanager-inburgering", &into);
      if (!status.ok()) ++row.failures;
      row.answered = static_cast<size_t>(response.persons_size());
    }
    rows.push_back(std::move(row));
  };
  auto aggregate = [&](v1::AggregateDimension dimension) {
    v1::AggregateRequest request;
    request.set_dimension(dimension);
    request.set_purpose(v1::STATISTICS);
    Row row{"Aggregate " + v1::AggregateDimension_Name(dimension), {}, 0, 0};
    for (int i = 0; i < options.iterations + 3; ++i) {
      v1::AggregateResponse response;
      std::vector<double>& into = i < 3 ? ignored : row.millis;
      const grpc::Status status =
          Timed([&](grpc::ClientContext* c) { return stub->Aggregate(c, request, &response); },
                "beleidsmedewerker", &into);
      if (!status.ok()) ++row.failures;
      row.answered = 0;
      for (const auto& table : response.tables()) row.answered += table.cells_size();
    }
    rows.push_back(std::move(row));
  };

  list("ListProgress first page", {});
  v1::ListProgressRequest stage;
  stage.set_stage("examens");
  list("ListProgress first page, stage examens", stage);
  v1::ListProgressRequest band;
  band.set_deadline_band("verlopen");
  list("ListProgress first page, deadline verlopen", band);
  for (v1::AggregateDimension dimension :
       {v1::STAGE, v1::PROVIDER, v1::EXAM_COMPONENT, v1::DEADLINE_BAND, v1::NATIONALITY}) {
    aggregate(dimension);
  }

  std::printf(
      "\n%llu persons linked to one municipality; gateway ready with its projection "
      "%.1f s after start; %d timed calls each after 3 warm-up calls\n\n",
      static_cast<unsigned long long>(options.persons), ready_s, options.iterations);
  std::printf("| call | persons or cells | median | p90 | p99 | max | errors |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  int failures = 0;
  for (const Row& row : rows) {
    failures += row.failures;
    std::printf("| %s | %zu | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %d |\n", row.name.c_str(),
                row.answered, Percentile(row.millis, 0.5), Percentile(row.millis, 0.9),
                Percentile(row.millis, 0.99), Percentile(row.millis, 1.0), row.failures);
  }
  std::printf("\ngateway peak RSS: %.1f MB\n",
              static_cast<double>(PeakRssKb(gateway->pid())) / 1024);
  gateway->Stop();
  // The projection's own account of its build, from the process log.
  const std::string log = gateway->StderrText();
  const size_t built = log.find("\"event\":\"inburgering_projection_built\"");
  if (built != std::string::npos) {
    const size_t line_start =
        log.rfind('\n', built) == std::string::npos ? 0 : log.rfind('\n', built) + 1;
    std::printf("%s\n", log.substr(line_start, log.find('\n', built) - line_start).c_str());
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ketenpoort

int main(int argc, char** argv) {
  ketenpoort::Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--persons") {
      options.persons = std::stoull(value);
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
    std::fprintf(stderr, "usage: %s [--persons N] [--iterations N] [--dir DIR] [--certs DIR]\n",
                 argv[0]);
    return 2;
  }
  return ketenpoort::Run(options);
}
