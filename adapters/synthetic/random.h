// The generator's source of randomness: SplitMix64, tiny, fast and
// identical on every platform (unlike the standard distributions, whose
// output is implementation-defined). Internal to adapters/synthetic.
#ifndef KETENPOORT_ADAPTERS_SYNTHETIC_RANDOM_H_
#define KETENPOORT_ADAPTERS_SYNTHETIC_RANDOM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ketenpoort::synthetic {

class Random {
 public:
  explicit Random(uint64_t state) : state_(state) {}
  // An independent stream for one record of one person, so adding a
  // record type never changes the records generated before it.
  static Random For(uint64_t seed, uint64_t index, uint64_t stream) {
    return Random(seed * 0x100000001b3ULL ^ (index + 1) * 0xff51afd7ed558ccdULL ^
                  stream * 0xc4ceb9fe1a85ec53ULL);
  }

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Between(1, 100) <= percent; }
  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Next() % items.size()];
  }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return Pick(std::span<const T>(items));
  }

 private:
  uint64_t state_;
};

// Stream numbers for Random::For; never renumber (it would change data).
enum Stream : uint64_t {
  kStreamPerson = 0,  // identity, koppeling and NOA assessment
  kStreamMedical = 1,
  kStreamTbc = 2,
  kStreamVaccinations = 3,
  kStreamJgz = 4,
  kStreamVoorinburgering = 5,
  kStreamInburgering = 6,
  kStreamSocialGuidance = 7,
  kStreamRiskSignals = 8,
  kStreamArrival = 9,
};

}  // namespace ketenpoort::synthetic

#endif  // KETENPOORT_ADAPTERS_SYNTHETIC_RANDOM_H_
