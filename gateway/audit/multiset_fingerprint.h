// Tells whether two multisets of (key, entry number) pairs are equal
// without sorting either: the verifier holds the facet index, read in its
// own key order, to the rows the entries imply, computed in entry order.
//
// Each pair becomes v(z) = k0 + k1*z + i0*z^2 + i1*z^3 over GF(p), p =
// 2^61 - 1, with 32-bit limbs k0, k1 of the key and i0, i1 of the number,
// and a multiset the product of (r - v(z)). Distinct pairs give distinct
// polynomials, so distinct multisets give distinct products (unique
// factorisation). With r and z drawn at random for each verification, two
// different multisets of n pairs therefore agree with probability at most
// 3n/p (Schwartz-Zippel): below 1e-10 for 60 million rows, whatever a
// tamperer chose beforehand.
#ifndef KETENPOORT_GATEWAY_AUDIT_MULTISET_FINGERPRINT_H_
#define KETENPOORT_GATEWAY_AUDIT_MULTISET_FINGERPRINT_H_

#include <array>
#include <cstdint>

namespace ketenpoort::audit {

class MultisetFingerprint {
 public:
  // The random point both fingerprints must share: one per verification.
  struct Point {
    std::array<uint64_t, 4> values{};  // r, z, z^2, z^3, each < p
    static Point Random();
  };

  explicit MultisetFingerprint(const Point& point) : point_(point) {}

  void Add(int64_t key, uint64_t index);
  uint64_t count() const { return count_; }
  bool operator==(const MultisetFingerprint& other) const {
    return count_ == other.count_ && product_ == other.product_;
  }

 private:
  Point point_;
  uint64_t product_ = 1;
  uint64_t count_ = 0;
};

}  // namespace ketenpoort::audit

#endif  // KETENPOORT_GATEWAY_AUDIT_MULTISET_FINGERPRINT_H_
