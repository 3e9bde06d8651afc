#include "tests/support/gateway_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/support/test_paths.h"

namespace ketenpoort::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& stderr_path) {
  // Everything the child needs is prepared before fork: after it, a child
  // of a multi-threaded process may only make async-signal-safe calls.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
  }
  execv(binary.c_str(), argv.data());
  _exit(127);
}

// Waits up to `timeout` for the child; returns its exit code, -1 for a
// signal, or nullopt while it is still running.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (done < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

std::unique_ptr<GatewayProcess> GatewayProcess::Start(const std::string& config_path,
                                                      const std::string& work_dir,
                                                      std::string* error,
                                                      std::chrono::seconds timeout) {
  return StartServer(GatewayBinary(), {"--config", config_path, "--listen", "127.0.0.1:0"},
                     work_dir, "gateway", error, timeout);
}

std::unique_ptr<GatewayProcess> GatewayProcess::StartServer(
    const std::string& binary, std::vector<std::string> args, const std::string& work_dir,
    const std::string& name, std::string* error, std::chrono::seconds timeout) {
  const std::string ready = work_dir + "/" + name + ".ready";
  const std::string stderr_path = work_dir + "/" + name + ".stderr";
  std::filesystem::remove(ready);
  args.push_back("--ready-file");
  args.push_back(ready);
  const pid_t pid = Spawn(binary, args, stderr_path);
  std::unique_ptr<GatewayProcess> process(new GatewayProcess(pid, stderr_path));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(ready)) {
      process->port_ = std::stoi(ReadFile(ready));
      return process;
    }
    if (auto exited = WaitFor(pid, std::chrono::milliseconds(20))) {
      *error = name + " exited with " + std::to_string(*exited) + ": " + ReadFile(stderr_path);
      process->pid_ = 0;
      return nullptr;
    }
  }
  *error = name + " did not become ready: " + ReadFile(stderr_path);
  return nullptr;
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0) Stop();
}

int GatewayProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  std::optional<int> code = WaitFor(pid_, std::chrono::seconds(15));
  if (!code) {
    kill(pid_, SIGKILL);
    WaitFor(pid_, std::chrono::seconds(5));
    code = -1;
  }
  pid_ = 0;
  return *code;
}

void GatewayProcess::Signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

void GatewayProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  WaitFor(pid_, std::chrono::seconds(5));
  pid_ = 0;
}

std::string GatewayProcess::StderrText() const { return ReadFile(stderr_path_); }

ExitResult RunToExit(const std::string& binary, const std::vector<std::string>& args,
                     std::chrono::seconds timeout) {
  char pattern[] = "/tmp/ketenpoort-run-XXXXXX";
  const int fd = mkstemp(pattern);
  if (fd >= 0) close(fd);
  const std::string output = pattern;
  const pid_t pid = Spawn(binary, args, output);
  ExitResult result;
  std::optional<int> code = WaitFor(pid, timeout);
  if (!code) {
    kill(pid, SIGKILL);
    WaitFor(pid, std::chrono::seconds(5));
  }
  result.exit_code = code.value_or(-1);
  result.stderr_text = ReadFile(output);
  std::filesystem::remove(output);
  return result;
}

}  // namespace ketenpoort::testing
