// ketenpoort-wake-jitter: how late this machine wakes a sleeping thread.
//
//   ketenpoort-wake-jitter [--seconds 3] [--interval-us 1000]
//
// Sleeps until fixed due times and records how late each wake-up is. Every
// hop of a call from one thread to another that was idle pays this, so it
// is the floor under any open-loop tail latency measured here: on this
// project's virtual machine p99 is milliseconds, with nothing else running
// (docs/performance.md). Prints one JSON object, in microseconds.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  CLI::App app{"ketenpoort-wake-jitter: lateness of timed wake-ups on this machine"};
  double seconds = 3;
  int interval_us = 1000;
  app.add_option("--seconds", seconds)->check(CLI::Range(0.1, 60.0))->capture_default_str();
  app.add_option("--interval-us", interval_us)
      ->check(CLI::Range(50, 100'000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::microseconds(interval_us);
  const auto count = static_cast<size_t>(seconds * 1e6 / interval_us);
  std::vector<int64_t> late_us;
  late_us.reserve(count);
  const auto begin = Clock::now();
  for (size_t i = 1; i <= count; ++i) {
    const auto due = begin + i * interval;
    std::this_thread::sleep_until(due);
    late_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - due).count());
  }
  std::sort(late_us.begin(), late_us.end());
  auto at = [&](double p) {
    return late_us[std::min(late_us.size() - 1, static_cast<size_t>(p * late_us.size()))];
  };
  const nlohmann::json result = {{"wakeups", late_us.size()},
                                 {"p50_us", at(0.50)},
                                 {"p99_us", at(0.99)},
                                 {"p999_us", at(0.999)},
                                 {"max_us", late_us.back()}};
  std::printf("%s\n", result.dump().c_str());
  return 0;
}
