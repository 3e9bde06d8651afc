// Runs the real ketenpoort-gateway binary as a child process on a loopback
// port chosen by the kernel (--listen 127.0.0.1:0), for integration tests.
// Every wait is bounded; the destructor always stops the child.
#ifndef KETENPOORT_TESTS_SUPPORT_GATEWAY_PROCESS_H_
#define KETENPOORT_TESTS_SUPPORT_GATEWAY_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ketenpoort::testing {

struct ExitResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string stderr_text;
};

class GatewayProcess {
 public:
  // Starts the gateway with `config_path`; waits up to `timeout` for it to
  // serve. Returns nullptr (with `error` set) if it did not come up.
  static std::unique_ptr<GatewayProcess> Start(
      const std::string& config_path, const std::string& work_dir, std::string* error,
      std::chrono::seconds timeout = std::chrono::seconds(20));
  // Starts any server binary that takes --ready-file and writes its bound
  // port there once serving (the gateway, the reference source server).
  // `name` keeps the ready and stderr files of several servers apart.
  static std::unique_ptr<GatewayProcess> StartServer(
      const std::string& binary, std::vector<std::string> args, const std::string& work_dir,
      const std::string& name, std::string* error,
      std::chrono::seconds timeout = std::chrono::seconds(20));
  ~GatewayProcess();

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

  // SIGTERM, then wait (bounded); returns the exit code (-1 if it had to
  // be killed).
  int Stop();
  // Sends `signal` (e.g. SIGHUP to reload policies).
  void Signal(int signal) const;
  // SIGKILL, as in a crash.
  void Kill();
  std::string StderrText() const;

 private:
  GatewayProcess(pid_t pid, std::string stderr_path)
      : pid_(pid), stderr_path_(std::move(stderr_path)) {}

  pid_t pid_;
  int port_ = 0;
  std::string stderr_path_;
};

// Runs the gateway (or any binary) with `args` and waits up to `timeout`
// for it to exit by itself.
ExitResult RunToExit(const std::string& binary, const std::vector<std::string>& args,
                     std::chrono::seconds timeout = std::chrono::seconds(20));

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_GATEWAY_PROCESS_H_
