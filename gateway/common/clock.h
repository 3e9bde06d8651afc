// Clock seam: production code asks a Clock for the time, so tests can
// fix it. Implementations must be thread-safe.
#ifndef KETENPOORT_GATEWAY_COMMON_CLOCK_H_
#define KETENPOORT_GATEWAY_COMMON_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ketenpoort {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowUnixMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowUnixMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_unix_micros) : now_(now_unix_micros) {}
  int64_t NowUnixMicros() const override { return now_.load(); }
  void Set(int64_t now_unix_micros) { now_.store(now_unix_micros); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace ketenpoort

#endif  // KETENPOORT_GATEWAY_COMMON_CLOCK_H_
