// Decision latency of the policy engine for generated policy sets of 10,
// 100 and 1,000 rules with realistic conditions: koppeling, move window,
// GP registration and consent, answered from the in-memory registries
// (the production Facts), over 10,000 subjects.
//
// Reports per-decision median and p99 (timed one by one) as counters.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gateway/common/civil_date.h"
#include "gateway/consent/consent_registry.h"
#include "gateway/policy/policy_set.h"
#include "gateway/relationships/relationship_registry.h"
#include "gateway/server/registry_facts.h"

namespace ketenpoort {
namespace {

namespace fs = std::filesystem;

constexpr int kSubjects = 10'000;
// Person-scope purposes only: a STATISTICS rule has a shape of its own
// (statutory, linked only), which the loader insists on.
const char* const kPurposes[] = {"CONTINUITY_OF_CARE", "PUBLIC_HEALTH",   "YOUTH_HEALTH_CARE",
                                 "SOCIAL_GUIDANCE",    "RISK_SIGNALLING", "WORK_REINTEGRATION",
                                 "CIVIC_INTEGRATION",  "HOUSING"};
const char* const kTypes[] = {"gemeente", "huisarts", "jgz", "ggd", "coa", "vwn", "duo", "gca"};

std::string SubjectId(int i) { return std::to_string(2'100'000'000 + i); }

// Loads a policy directory, or ends the benchmark saying why: a set the
// loader refuses must not pass for a measurement.
std::shared_ptr<const policy::PolicySet> LoadOrDie(const std::string& dir) {
  auto loaded = policy::PolicySet::LoadDirectory(dir, records::RecordCatalog::Builtin());
  if (!loaded.ok()) {
    std::fprintf(stderr, "policy_decision_bench: %s\n",
                 std::string(loaded.status().message()).c_str());
    std::exit(1);
  }
  return *loaded;
}

int ShippedRules() {
  static const int count =
      static_cast<int>(LoadOrDie(KETENPOORT_SOURCE_DIR "/policies")->rules().size());
  return count;
}

// The shipped policies plus generated rules up to `total`.
std::string WritePolicies(const fs::path& dir, int total) {
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(KETENPOORT_SOURCE_DIR "/policies")) {
    if (entry.is_regular_file()) {
      fs::copy_file(entry.path(), dir / entry.path().filename(),
                    fs::copy_options::overwrite_existing);
    }
  }
  std::ofstream out(dir / "generated.yaml");
  const int generated = std::max(0, total - ShippedRules());
  out << (generated == 0 ? "rules: []\n" : "rules:\n");
  for (int i = 0; i < generated; ++i) {
    const std::string type = kTypes[i % 8];
    const bool municipal = type == "gemeente" || type == "huisarts" || type == "jgz";
    const bool consent = i % 3 == 0;
    out << "  - id: generated-" << i << "\n"
        << "    requester: {partner_type: " << type << "}\n"
        << "    actor_roles: [role-" << i % 5 << "]\n"
        << "    purpose: " << kPurposes[i % 8] << "\n"
        << "    record_type: " << (i % 2 ? "coa.Koppeling" : "noa.Assessment") << "\n"
        << "    legal_basis: "
        << (consent ? "{kind: consent}"
                    : "{kind: statutory, law: \"Wet " + std::to_string(i) + "\"}")
        << "\n";
    if (municipal) {
      out << "    conditions:\n      linked_to_requester_municipality: true\n"
          << "      window: {weeks_before_move: 4, weeks_after_move: " << 8 + i % 8 << "}\n";
    }
    out << "    release:\n"
        << (i % 2 ? "      - field: linked_on\n      - category: HOUSEHOLD\n"
                  : "      - field: language_levels\n      - derive: care_signal\n");
  }
  return dir.string();
}

struct World {
  std::shared_ptr<const policy::PolicySet> policies;
  std::unique_ptr<consent::ConsentRegistry> consents;
  std::unique_ptr<relationships::RelationshipRegistry> relationships;
  std::unique_ptr<server::RegistryFacts> facts;
  std::vector<policy::DecisionRequest> requests;
};

World Build(int rules) {
  const fs::path dir = fs::temp_directory_path() / ("ketenpoort-bench-" + std::to_string(rules));
  fs::remove_all(dir);
  World world;
  world.policies = LoadOrDie(WritePolicies(dir / "policies", rules));
  // In memory: the benchmark measures decisions, not the stores' fsyncs.
  world.relationships = std::move(*relationships::RelationshipRegistry::Open(":memory:"));
  world.consents =
      std::move(*consent::ConsentRegistry::Open(":memory:", world.relationships.get()));
  // Every subject linked to Woerden and registered with its GP; every
  // other one with a consent for the GP (one permission, one objection
  // for another partner, to make the lookup do real work).
  for (int i = 0; i < kSubjects; ++i) {
    v1::Koppeling koppeling;
    koppeling.set_subject_id(SubjectId(i));
    koppeling.set_municipality_code("0632");
    koppeling.set_linked_on("2026-03-01");
    koppeling.set_expected_move_date("2026-05-20");
    (void)world.relationships->SetKoppeling(koppeling);
    v1::GpRegistration registration;
    registration.set_subject_id(SubjectId(i));
    registration.set_practice_partner_id("huisartsenpraktijk-woerden");
    registration.set_registered_on("2026-05-20");
    (void)world.relationships->SetGpRegistration(registration);
    if (i % 2 == 0) {
      for (int c = 0; c < 2; ++c) {
        v1::Consent consent;
        consent.set_consent_id("cns-" + std::to_string(i) + "-" + std::to_string(c));
        consent.set_subject_id(SubjectId(i));
        consent.mutable_recipient()->set_partner_id(c == 0 ? "huisartsenpraktijk-woerden"
                                                           : "vwn-midden-nederland");
        consent.set_purpose(v1::CONTINUITY_OF_CARE);
        consent.add_categories(SIGNAL);
        consent.add_categories(LANGUAGE);
        consent.set_valid_from("2026-01-01");
        consent.set_valid_until("2026-12-31");
        consent.set_effect(c == 0 ? v1::PERMIT : v1::OBJECTION);
        (void)world.consents->Add(consent);
      }
    }
  }
  world.facts =
      std::make_unique<server::RegistryFacts>(world.relationships.get(), world.consents.get());
  const auto& partners = world.policies->partners();
  const int64_t today = *ParseCivilDate("2026-05-01");
  struct Shape {
    const char* partner;
    const char* role;
    v1::Purpose purpose;
    const char* record_type;
  };
  const Shape shapes[] = {
      {"huisartsenpraktijk-woerden", "huisarts", v1::CONTINUITY_OF_CARE, "noa.Assessment"},
      {"gemeente-woerden", "werkconsulent", v1::WORK_REINTEGRATION, "noa.Assessment"},
      {"gemeente-utrecht", "werkconsulent", v1::WORK_REINTEGRATION, "noa.Assessment"},
      {"gemeente-woerden", "woonconsulent", v1::HOUSING, "coa.Koppeling"},
      {"duo", "role-1", v1::CIVIC_INTEGRATION, "coa.Koppeling"},
      {"vwn-midden-nederland", "role-3", v1::SOCIAL_GUIDANCE, "noa.Assessment"},
  };
  static std::vector<std::string> subject_ids;
  if (subject_ids.empty()) {
    for (int i = 0; i < kSubjects; ++i) subject_ids.push_back(SubjectId(i));
  }
  for (int i = 0; i < 4096; ++i) {
    const Shape& shape = shapes[i % 6];
    world.requests.push_back({.partner = partners.FindById(shape.partner),
                              .actor_role = shape.role,
                              .purpose = shape.purpose,
                              .record_type = shape.record_type,
                              .subject_id = subject_ids[(i * 7919) % kSubjects],
                              .authenticated_subject = "",
                              .today = today,
                              .break_glass = false,
                              .facts = world.facts.get()});
  }
  return world;
}

void BM_Decide(benchmark::State& state) {
  World world = Build(static_cast<int>(state.range(0)));
  std::vector<int64_t> nanos;
  nanos.reserve(1 << 20);
  size_t i = 0;
  int permits = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    policy::Decision decision = world.policies->Decide(world.requests[i++ & 4095]);
    const auto stop = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(decision);
    permits += decision.permit ? 1 : 0;
    if (nanos.size() < nanos.capacity()) {
      nanos.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
    }
  }
  std::sort(nanos.begin(), nanos.end());
  state.counters["rules"] = static_cast<double>(world.policies->rules().size());
  state.counters["p50_ns"] = static_cast<double>(nanos[nanos.size() / 2]);
  state.counters["p99_ns"] = static_cast<double>(nanos[nanos.size() * 99 / 100]);
  state.counters["permit_share"] =
      static_cast<double>(permits) / static_cast<double>(state.iterations());
}

// Measure with --benchmark_min_time=2 (docs/performance.md); CI runs a smoke.
BENCHMARK(BM_Decide)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace ketenpoort

BENCHMARK_MAIN();
