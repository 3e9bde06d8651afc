// Publishing a municipality's inburgering aggregates (issue 25): every
// table of every dimension, counted from the projection and protected as
// one set of linked tables with the integer-programming audit. Target:
// under 1 s for 10,000 linked persons. And serving from the publication
// (an aggregate, a list page): target under 50 ms.
//
//   build/bench/publication_bench [--persons 10000] [benchmark flags]
//
// The persons are the synthetic population (adapters/synthetic), so the
// cells are as uneven as the dev data's: rare nationalities, small exam
// statuses, providers with few persons.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>

#include "adapters/synthetic/synthetic_population.h"
#include "gateway/common/clock.h"
#include "gateway/inburgering/publication.h"

namespace ketenpoort::inburgering {
namespace {

constexpr char kMunicipality[] = "0632";
int persons = 10'000;

// The synthetic population; with `long_tail`, one person in 40 also gets
// a rare nationality and provider (60 of each, a few persons apiece) and
// a rare exam status, so the audit has many small cells to protect.
ProgressProjection* Build(bool long_tail) {
  auto* built = new ProgressProjection("bench-paging-secret");
  const synthetic::SyntheticPopulation population(20261208);
  for (int i = 0; i < persons; ++i) {
    synthetic::SyntheticPerson person = population.Person(static_cast<uint64_t>(i));
    std::string nationality = person.koppeling.nationality();
    if (long_tail && i % 40 == 0) {
      const int rare = (i / 40) % 60;
      nationality = "land-" + std::to_string(rare);
      person.inburgering.set_provider("aanbieder-" + std::to_string(rare));
      const int components = person.inburgering.exam_components_size();
      if (components > 0) {
        person.inburgering.mutable_exam_components(rare % components)
            ->set_status((i / 40) % 3 == 0 ? "vrijgesteld" : "niet behaald");
      }
    }
    built->Upsert(person.v_number, kMunicipality, person.inburgering, nationality);
  }
  built->MarkBuilt(SystemClock().NowUnixMicros());
  return built;
}

const ProgressProjection& Projection(bool long_tail = false) {
  static const ProgressProjection* plain = Build(false);
  static const ProgressProjection* tail = Build(true);
  return *(long_tail ? tail : plain);
}

void BM_PublishMunicipality(benchmark::State& state) {
  const SystemClock clock;
  const bool long_tail = state.range(0) != 0;
  size_t programs = 0, hidden = 0, tables = 0;
  for (auto _ : state) {
    AggregatePublisher publisher(&Projection(long_tail), &clock, 5, PublicationSchedule{});
    auto publication = publisher.Current(kMunicipality);
    if (!publication.ok()) {
      state.SkipWithError(std::string(publication.status().message()).c_str());
      return;
    }
    programs = (*publication)->audit.programs;
    hidden = (*publication)->primary + (*publication)->complementary;
    tables = (*publication)->set.tables.size();
    benchmark::DoNotOptimize(publication);
  }
  state.counters["persons"] = persons;
  state.counters["tables"] = static_cast<double>(tables);
  state.counters["hidden_cells"] = static_cast<double>(hidden);
  state.counters["programs"] = static_cast<double>(programs);
}
// 0: the synthetic population as it is; 1: with a long tail of rare values.
BENCHMARK(BM_PublishMunicipality)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ServeAggregateFromPublication(benchmark::State& state) {
  const SystemClock clock;
  AggregatePublisher publisher(&Projection(), &clock, 5, PublicationSchedule{});
  if (!publisher.Current(kMunicipality).ok()) {
    state.SkipWithError("no publication");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(publisher.Current(kMunicipality));
}
BENCHMARK(BM_ServeAggregateFromPublication)->Unit(benchmark::kMicrosecond);

void BM_ListPageFromProjection(benchmark::State& state) {
  const int64_t today = SystemClock().NowUnixMicros() / 86'400'000'000LL;
  ListFilter filter;
  filter.stage = "in traject";
  for (auto _ : state) {
    auto page = Projection().List(kMunicipality, filter, "", 100, today);
    benchmark::DoNotOptimize(page);
  }
}
BENCHMARK(BM_ListPageFromProjection)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ketenpoort::inburgering

int main(int argc, char** argv) {
  // Our own flag first; the rest is Google Benchmark's.
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--persons") == 0 && i + 1 < argc) {
      ketenpoort::inburgering::persons = std::atoi(argv[++i]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(rest.size());
  benchmark::Initialize(&count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
