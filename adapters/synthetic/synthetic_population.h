// A deterministic population of synthetic status holders with every
// dossier the chain holds about them.
//
// Person i of seed s is always the same person, computed from (s, i)
// alone, so any slice of a large population can be produced without the
// rest. Each record type draws from its own random stream (random.h).
// No real person's data: names are drawn from short lists per nationality
// and combined at random. The dossiers agree with each other: a child in
// the household has a JGZ dossier, TBC follow-up is scheduled for people
// from high-incidence countries, a high PTSD score often comes with GGZ
// treatment, the koppeling precedes the move and the inburgering term
// starts after it. Progress is as of kFixtureAsOf, never the wall clock.
// Thread-safe (stateless).
#ifndef KETENPOORT_ADAPTERS_SYNTHETIC_SYNTHETIC_POPULATION_H_
#define KETENPOORT_ADAPTERS_SYNTHETIC_SYNTHETIC_POPULATION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "records/v1/coa.pb.h"
#include "records/v1/duo.pb.h"
#include "records/v1/gca.pb.h"
#include "records/v1/ggd.pb.h"
#include "records/v1/noa.pb.h"
#include "records/v1/vwn.pb.h"

namespace ketenpoort::synthetic {

// The day the synthetic dossiers describe (2026-11-01).
inline constexpr char kFixtureAsOf[] = "2026-11-01";

struct SyntheticPerson {
  std::string v_number;    // always present
  std::string bsn;         // empty when not (yet) registered in a municipality
  std::string arrived_on;  // in the Netherlands (Ter Apel), before the koppeling
  records::v1::coa::Koppeling koppeling;
  records::v1::noa::Assessment assessment;
  records::v1::coa::Voorinburgering voorinburgering;
  records::v1::gca::MedicalDossier medical;
  records::v1::ggd::TbcScreening tbc;
  records::v1::ggd::Vaccinations vaccinations;
  records::v1::duo::InburgeringStatus inburgering;
  // Only some people have these.
  std::optional<records::v1::coa::RiskSignal> risk_signals;
  std::optional<records::v1::ggd::JgzDossier> jgz;  // children in the AZC
  std::optional<records::v1::vwn::SocialGuidanceDossier> social_guidance;
};

class SyntheticPopulation {
 public:
  explicit SyntheticPopulation(uint64_t seed) : seed_(seed) {}
  SyntheticPerson Person(uint64_t index) const;

 private:
  uint64_t seed_;
};

// Writes persons [0, count) into a fresh fixture database at `path`
// (replacing any file there). Every record of every person is written;
// both the V-nummer and the BSN (when there is one) find the person.
absl::Status WriteFixtureDatabase(const std::string& path, uint64_t seed, uint64_t count);

}  // namespace ketenpoort::synthetic

#endif  // KETENPOORT_ADAPTERS_SYNTHETIC_SYNTHETIC_POPULATION_H_
