// A loopback TCP relay that accepts at once but passes nothing on for a
// while: to a client, the server behind it looks slow to complete its TLS
// handshake. Each accepted connection is held for `hold`, then relayed both
// ways to `target_port` until either side closes or the relay stops.
#ifndef KETENPOORT_TESTS_SUPPORT_SLOW_RELAY_H_
#define KETENPOORT_TESTS_SUPPORT_SLOW_RELAY_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ketenpoort::testing {

class SlowRelay {
 public:
  // Listens on 127.0.0.1 (port chosen by the kernel); null when it cannot.
  static std::unique_ptr<SlowRelay> Start(int target_port, std::chrono::milliseconds hold);
  ~SlowRelay();  // stops accepting, ends every relayed connection, joins
  SlowRelay(const SlowRelay&) = delete;
  SlowRelay& operator=(const SlowRelay&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }

 private:
  SlowRelay(int listener, int port, int target_port, std::chrono::milliseconds hold);
  void AcceptLoop();
  void Relay(int client);

  const int listener_;
  const int port_;
  const int target_port_;
  const std::chrono::milliseconds hold_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::vector<std::thread> relays_;  // touched by the acceptor thread only
};

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_SLOW_RELAY_H_
