#include "tests/support/slow_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ketenpoort::testing {
namespace {

// Every wait is this short, so the relay notices when it is stopped.
constexpr int kPollMs = 50;

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// Copies what `from` has to `to`; false when `from` closed or either failed.
bool Pass(int from, int to) {
  char buffer[16 * 1024];
  const ssize_t got = read(from, buffer, sizeof buffer);
  if (got <= 0) return false;
  for (ssize_t sent = 0; sent < got;) {
    const ssize_t n = write(to, buffer + sent, static_cast<size_t>(got - sent));
    if (n <= 0) return false;
    sent += n;
  }
  return true;
}

}  // namespace

std::unique_ptr<SlowRelay> SlowRelay::Start(int target_port, std::chrono::milliseconds hold) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) return nullptr;
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener, 16) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(listener);
    return nullptr;
  }
  return std::unique_ptr<SlowRelay>(
      new SlowRelay(listener, ntohs(address.sin_port), target_port, hold));
}

SlowRelay::SlowRelay(int listener, int port, int target_port, std::chrono::milliseconds hold)
    : listener_(listener), port_(port), target_port_(target_port), hold_(hold) {
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

SlowRelay::~SlowRelay() {
  stopping_ = true;
  acceptor_.join();  // it joins the relays before it returns
  close(listener_);
}

void SlowRelay::AcceptLoop() {
  while (!stopping_) {
    pollfd waiting{.fd = listener_, .events = POLLIN, .revents = 0};
    if (poll(&waiting, 1, kPollMs) <= 0) continue;
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    ++connections_;
    relays_.emplace_back([this, client] { Relay(client); });
  }
  for (std::thread& relay : relays_) relay.join();
}

void SlowRelay::Relay(int client) {
  const auto until = std::chrono::steady_clock::now() + hold_;
  while (!stopping_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  const int target = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in address = Loopback(target_port_);
  bool open = !stopping_ && target >= 0 &&
              connect(target, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  while (open && !stopping_) {
    pollfd ends[2] = {{.fd = client, .events = POLLIN, .revents = 0},
                      {.fd = target, .events = POLLIN, .revents = 0}};
    if (poll(ends, 2, kPollMs) <= 0) continue;
    if (ends[0].revents != 0) open = Pass(client, target);
    if (open && ends[1].revents != 0) open = Pass(target, client);
  }
  if (target >= 0) close(target);
  close(client);
}

}  // namespace ketenpoort::testing
