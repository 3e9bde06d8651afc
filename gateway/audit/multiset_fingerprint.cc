#include "gateway/audit/multiset_fingerprint.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace ketenpoort::audit {
namespace {

constexpr uint64_t kPrime = (uint64_t{1} << 61) - 1;

__extension__ typedef unsigned __int128 Wide;

uint64_t Reduce(Wide value) {
  // 2^61 = 1 (mod p): fold the high bits onto the low ones.
  uint64_t folded = static_cast<uint64_t>(value & kPrime) + static_cast<uint64_t>(value >> 61);
  folded = (folded & kPrime) + (folded >> 61);
  return folded >= kPrime ? folded - kPrime : folded;
}

uint64_t MulMod(uint64_t a, uint64_t b) { return Reduce(static_cast<Wide>(a) * b); }

}  // namespace

MultisetFingerprint::Point MultisetFingerprint::Point::Random() {
  auto draw = [] {
    uint64_t value = kPrime;
    while (value >= kPrime) {
      if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) std::abort();
      value &= kPrime;
    }
    return value;
  };
  Point point;
  const uint64_t z = draw();
  point.values = {draw(), z, MulMod(z, z), MulMod(MulMod(z, z), z)};
  return point;
}

void MultisetFingerprint::Add(int64_t key, uint64_t index) {
  const auto k = static_cast<uint64_t>(key);
  const auto& [r, z1, z2, z3] = point_.values;
  // Each term is below 2^93, so the sum fits and Reduce's fold is exact.
  Wide sum = static_cast<Wide>(k & 0xffffffff) + static_cast<Wide>(z1) * (k >> 32) +
             static_cast<Wide>(z2) * (index & 0xffffffff) + static_cast<Wide>(z3) * (index >> 32);
  const uint64_t v = Reduce(sum);
  product_ = MulMod(product_, r >= v ? r - v : r + kPrime - v);
  ++count_;
}

}  // namespace ketenpoort::audit
