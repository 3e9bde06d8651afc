// The generators of the records that follow from a person's identity,
// koppeling and assessment. Internal to adapters/synthetic; each takes
// the person as generated so far and its own random stream.
#ifndef KETENPOORT_ADAPTERS_SYNTHETIC_RECORD_GENERATORS_H_
#define KETENPOORT_ADAPTERS_SYNTHETIC_RECORD_GENERATORS_H_

#include <cstdint>

#include "adapters/synthetic/random.h"
#include "adapters/synthetic/synthetic_population.h"

namespace ketenpoort::synthetic {

// Days since the epoch of an ISO date written by the generator itself.
int64_t Day(const std::string& iso_date);
int64_t AsOfDay();

// health_records.cc
void GenerateMedicalDossier(Random random, SyntheticPerson& person);
void GenerateTbcScreening(Random random, SyntheticPerson& person);
void GenerateVaccinations(Random random, SyntheticPerson& person);
void GenerateJgzDossier(Random random, SyntheticPerson& person);

// integration_records.cc
void GenerateVoorinburgering(Random random, SyntheticPerson& person);
void GenerateInburgeringStatus(Random random, SyntheticPerson& person);
void GenerateSocialGuidance(Random random, SyntheticPerson& person);
void GenerateRiskSignals(Random random, SyntheticPerson& person);

}  // namespace ketenpoort::synthetic

#endif  // KETENPOORT_ADAPTERS_SYNTHETIC_RECORD_GENERATORS_H_
