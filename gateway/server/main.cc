// ketenpoort-gateway: loads the config, starts the gateway, and turns
// signals into actions (SIGTERM/SIGINT: drain and stop; SIGHUP: reload
// policies).
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "absl/synchronization/mutex.h"
#include "gateway/common/log.h"
#include "gateway/common/openssl_lifetime.h"
#include "gateway/config/gateway_config.h"
#include "gateway/server/gateway.h"

namespace {

int Fail(std::string_view what, const absl::Status& status) {
  // Configuration errors carry file and line; show them as-is.
  std::fprintf(stderr, "ketenpoort-gateway: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(status.message().size()), status.message().data());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (!ketenpoort::KeepOpenSslUntilProcessExit()) {
    std::fprintf(stderr, "ketenpoort-gateway: cannot initialise OpenSSL\n");
    return 2;
  }
  // Debian's Abseil checks every Mutex acquisition (gRPC's too) for lock-order
  // cycles; perf shows it on every call. A debugging aid, off here.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"Ketenpoort gateway: privacy-preserving data exchange for chain partners"};
  std::string config_path;
  std::string listen;
  std::string ready_file;
  app.add_option("-c,--config", config_path, "gateway config file (YAML)")->required();
  app.add_option("--listen", listen, "override the listen address, e.g. 127.0.0.1:0");
  app.add_option("--ready-file", ready_file, "write the bound port to this file once serving");
  CLI11_PARSE(app, argc, argv);

  // Block the signals we handle before any thread starts, so only the
  // sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto config = ketenpoort::config::LoadGatewayConfig(config_path);
  if (!config.ok()) return Fail("invalid configuration", config.status());
  if (!listen.empty()) config->listen = listen;

  auto gateway = ketenpoort::server::Gateway::Create(*config);
  if (!gateway.ok()) return Fail("cannot start", gateway.status());
  if (absl::Status started = (*gateway)->Start(); !started.ok()) {
    return Fail("cannot start", started);
  }
  if (!ready_file.empty()) {
    // Write-then-rename, so a watcher never reads a half-written port.
    const std::string temporary = ready_file + ".tmp";
    std::ofstream(temporary) << (*gateway)->port() << "\n";
    std::rename(temporary.c_str(), ready_file.c_str());
  }

  // Retention runs in the gateway's own thread (decision 0018); this one
  // only turns signals into actions.
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      // Each is logged; on failure the old set stays active.
      (*gateway)->ReloadPolicies().IgnoreError();
      (*gateway)->ReloadTrust().IgnoreError();
      continue;
    }
    ketenpoort::log::Info("draining", {{"signal", signal}});
    (*gateway)->Shutdown(std::chrono::seconds(5));
    (*gateway)->Wait();
    ketenpoort::log::Info("stopped");
    return 0;
  }
}
