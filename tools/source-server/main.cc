// ketenpoort-source: the reference source server. Serves a fixture
// database over mutual TLS as a partner's SourceService, for tests and
// benchmarks of the gateway's grpc_upstream adapter. Loopback only.
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/synchronization/mutex.h"
#include "gateway/common/log.h"
#include "gateway/common/openssl_lifetime.h"
#include "tools/source-server/reference_source_service.h"

namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "ketenpoort-source: %s\n", message.c_str());
  return 2;
}

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("[::1]:", 0) == 0 ||
         address.rfind("localhost:", 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (!ketenpoort::KeepOpenSslUntilProcessExit()) {
    std::fprintf(stderr, "ketenpoort-source: cannot initialise OpenSSL\n");
    return 2;
  }
  // Debian's Abseil checks every Mutex acquisition (gRPC's too) for lock-order
  // cycles; perf shows it on every call. A debugging aid, off here.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"Reference source server: serves fixture records as a partner's SourceService"};
  std::string listen = "127.0.0.1:50061";
  std::string database;
  std::string cert;
  std::string key;
  std::string client_ca;
  std::string ready_file;
  std::vector<std::string> allowed_oins{"00000099000000000001"};
  std::vector<std::string> record_types;
  int delay_ms = 0;
  int fail_first = 0;
  std::string fail_only;
  int fail_batched_fetches = 0;
  bool no_batch = false;
  app.add_option("--listen", listen, "loopback address to listen on; port 0 picks one")
      ->capture_default_str();
  app.add_option("--db", database, "fixture database (ketenpoort-fixtures)")->required();
  app.add_option("--cert", cert, "server certificate")->required();
  app.add_option("--key", key, "server key")->required();
  app.add_option("--client-ca", client_ca, "CA of the gateway's client certificate")->required();
  app.add_option("--allow-oin", allowed_oins, "OIN allowed to fetch (the gateway's)")
      ->capture_default_str();
  app.add_option("--record-types", record_types, "serve only these record types");
  app.add_option("--ready-file", ready_file, "write the bound port here once serving");
  app.add_option("--delay-ms", delay_ms, "answer every call this late (failure tests)")
      ->check(CLI::Range(0, 60000));
  app.add_option("--fail-first", fail_first, "answer the first N calls with UNAVAILABLE")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--fail-only", fail_only,
                 "count and fail only calls for this record type (with --fail-first)");
  app.add_option("--fail-batched-fetches", fail_batched_fetches,
                 "answer the first N fetches inside FetchRecords with UNAVAILABLE")
      ->check(CLI::Range(0, 1000000));
  app.add_flag("--no-batch", no_batch,
               "answer FetchRecords with UNIMPLEMENTED, as a source without it would");
  CLI11_PARSE(app, argc, argv);

  if (!IsLoopback(listen)) return Fail("--listen must be a loopback address, not " + listen);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto fixtures = ketenpoort::adapters::SqliteFixtureSource::Open("reference", database);
  if (!fixtures.ok()) return Fail(std::string(fixtures.status().message()));
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (!ReadFile(client_ca, &tls.pem_root_certs) || !ReadFile(cert, &pair.cert_chain) ||
      !ReadFile(key, &pair.private_key)) {
    return Fail("cannot read the certificate, key or client CA");
  }
  tls.pem_key_cert_pairs.push_back(pair);

  ketenpoort::source_server::ServiceOptions options;
  options.allowed_oins.insert(allowed_oins.begin(), allowed_oins.end());
  options.record_types.insert(record_types.begin(), record_types.end());
  options.delay = std::chrono::milliseconds(delay_ms);
  options.fail_first = fail_first;
  options.fail_only = fail_only;
  options.fail_batched_fetches = fail_batched_fetches;
  options.batch = !no_batch;
  ketenpoort::source_server::ReferenceSourceService service(std::move(*fixtures), options);

  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) return Fail("cannot listen on " + listen);
  ketenpoort::log::Info("source_serving", {{"port", port}});
  if (!ready_file.empty()) {
    const std::string temporary = ready_file + ".tmp";
    std::ofstream(temporary) << port << "\n";
    std::rename(temporary.c_str(), ready_file.c_str());
  }
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  ketenpoort::log::Info("source_stopped", {{"calls", service.calls()}});
  return 0;
}
