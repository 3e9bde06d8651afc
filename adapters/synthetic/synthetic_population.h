// A deterministic population of synthetic status holders.
//
// Person i of seed s is always the same person, computed from (s, i)
// alone, so any slice of a large population can be produced without the
// rest. No real person's data: names are drawn from short lists per
// nationality and combined at random. Thread-safe (stateless).
#ifndef KETENPOORT_ADAPTERS_SYNTHETIC_SYNTHETIC_POPULATION_H_
#define KETENPOORT_ADAPTERS_SYNTHETIC_SYNTHETIC_POPULATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "records/v1/coa.pb.h"
#include "records/v1/noa.pb.h"

namespace ketenpoort::synthetic {

struct Municipality {
  const char* code;  // CBS gemeentecode
  const char* name;
};

struct SyntheticPerson {
  std::string v_number;  // always present
  std::string bsn;       // empty when not (yet) registered in a municipality
  records::v1::coa::Koppeling koppeling;
  records::v1::noa::Assessment assessment;
};

class SyntheticPopulation {
 public:
  explicit SyntheticPopulation(uint64_t seed) : seed_(seed) {}
  SyntheticPerson Person(uint64_t index) const;

 private:
  uint64_t seed_;
};

// Writes persons [0, count) into a fresh fixture database at `path`
// (replacing any file there) in one transaction.
absl::Status WriteFixtureDatabase(const std::string& path, uint64_t seed, uint64_t count);

}  // namespace ketenpoort::synthetic

#endif  // KETENPOORT_ADAPTERS_SYNTHETIC_SYNTHETIC_POPULATION_H_
