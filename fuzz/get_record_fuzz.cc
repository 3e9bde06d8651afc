// GetRecordHandler in process, over arbitrary requests, metadata and
// callers (every shipped partner, and none), with the shipped policies,
// a synthetic fixture source and a real audit log in a scratch directory.
// What must hold for every input: the handler answers exactly once; a
// refusal releases nothing; a release carries the audit index of an
// entry that is already in the log.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "adapters/source_adapter.h"
#include "adapters/synthetic/synthetic_population.h"
#include "fuzz/fuzz_support.h"
#include "gateway/audit/checkpoint.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/clock.h"
#include "gateway/common/ed25519.h"
#include "gateway/policy/fixed_facts.h"
#include "gateway/server/caller.h"
#include "gateway/server/get_record_handler.h"

namespace ketenpoort::fuzz {
namespace {

constexpr uint64_t kSeed = 11;
constexpr int kPeople = 10;

struct World {
  World() {
    const auto dir = ScratchDir();
    if (!synthetic::WriteFixtureDatabase((dir / "fixtures.db").string(), kSeed, kPeople).ok()) {
      std::abort();
    }
    policies = std::make_unique<server::PolicyHolder>(ShippedPolicies());
    adapters::AdapterRegistry registry;
    adapters::RegisterBuiltinAdapters(registry);
    std::vector<adapters::SourceConfig> sources;
    for (const std::string& record_type : records::RecordCatalog::Builtin().RecordTypes()) {
      adapters::SourceConfig source;
      source.name = "fixtures-" + record_type;
      source.owner = OwnerOf(record_type);
      source.kind = "sqlite_fixture";
      source.database = (dir / "fixtures.db").string();
      source.record_types = {record_type};
      sources.push_back(source);
    }
    auto routed =
        sources::SourceRouter::Create(sources, registry, records::RecordCatalog::Builtin());
    if (!routed.ok()) std::abort();
    router = std::make_unique<sources::SourceRouter>(std::move(*routed));
    auto store = audit::SqliteAuditStore::Open((dir / "audit.db").string());
    if (!store.ok()) std::abort();
    auto log = audit::AuditLog::Open(
        std::move(*store),
        audit::CheckpointSigner("fuzz.example/audit", crypto::Ed25519PrivateKey::Generate()));
    if (!log.ok()) std::abort();
    audit = std::move(*log);
    services.catalog = &records::RecordCatalog::Builtin();
    services.policies = policies.get();
    services.sources = router.get();
    services.audit = audit.get();
    services.pseudonymizer = &pseudonymizer;
    services.facts = &facts;
    services.recipient_pseudonym_key = std::string(32, 'r');
    services.clock = &clock;
  }

  // The partner whose sources hold `record_type`, as in config/dev.yaml.
  static std::string OwnerOf(const std::string& record_type) {
    const std::string prefix = record_type.substr(0, record_type.find('.'));
    if (prefix == "coa" || prefix == "noa") return "coa";
    if (prefix == "gca") return "gca";
    if (prefix == "ggd") return "ggd-pga";
    if (prefix == "duo") return "duo";
    return "vwn-midden-nederland";
  }

  std::unique_ptr<server::PolicyHolder> policies;
  std::unique_ptr<sources::SourceRouter> router;
  std::unique_ptr<audit::AuditLog> audit;
  audit::Pseudonymizer pseudonymizer{std::string(32, 'k')};
  policy::FixedFacts facts;
  ManualClock clock{1'790'000'000'000'000};
  server::GatewayServices services;
};

}  // namespace
}  // namespace ketenpoort::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ketenpoort;
  static fuzz::World world;
  FuzzedDataProvider input(data, size);
  const auto policies = world.policies->Current();
  const auto& partners = policies->partners().partners();

  // Facts the policy decides on, chosen by the input.
  world.facts.koppeling.reset();
  if (input.ConsumeBool()) {
    world.facts.koppeling =
        policy::KoppelingFact{input.ConsumeBool() ? "0632" : "0344", std::nullopt};
  }
  world.facts.gp_practice = input.ConsumeBool() ? "huisartsenpraktijk-woerden" : "";

  // The caller: a known partner or an unknown OIN, with metadata as
  // IdentifyCaller reads it (each header through the same check).
  server::Caller caller;
  caller.policies = policies;
  const size_t which = input.ConsumeIntegralInRange<size_t>(0, partners.size());
  caller.partner = which < partners.size() ? &partners[which] : nullptr;
  caller.certificate.oin = caller.partner != nullptr ? caller.partner->oin : "00000001999999999000";
  caller.certificate.sha256_hex = std::string(64, 'a');
  const validate::RequestLimits limits;
  for (std::string* header : {&caller.actor_id, &caller.actor_role, &caller.request_id}) {
    *header = input.ConsumeRandomLengthString(160);
    absl::Status checked =
        server::CheckMetadataValue("x-fuzz", *header, limits.max_metadata_value_bytes);
    if (!checked.ok()) {
      header->clear();
      if (caller.identity_error.ok()) caller.identity_error = checked;
    }
  }
  absl::StatusOr<server::Caller> identified = caller;
  if (input.ConsumeIntegralInRange<int>(0, 15) == 0) {
    identified = absl::UnauthenticatedError("no client certificate");
  }

  // The request: either one built from choices (known people and types),
  // or whatever the bytes parse to.
  v1::GetRecordRequest request;
  const std::vector<std::string> types = records::RecordCatalog::Builtin().RecordTypes();
  if (input.ConsumeBool()) {
    const synthetic::SyntheticPopulation population(fuzz::kSeed);
    request.set_subject_id(
        population.Person(input.ConsumeIntegralInRange<uint64_t>(0, fuzz::kPeople - 1)).v_number);
    request.set_record_type(types[input.ConsumeIntegralInRange<size_t>(0, types.size() - 1)]);
    request.set_purpose(static_cast<v1::Purpose>(input.ConsumeIntegralInRange<int>(0, 12)));
  } else if (!request.ParseFromString(input.ConsumeRandomLengthString(512))) {
    return 0;  // gRPC would not deliver it
  }

  const uint64_t logged_before = world.audit->LatestCheckpoint().size;
  v1::GetRecordResponse response;
  std::promise<absl::Status> done;
  int answers = 0;
  const server::GetRecordHandler handler(world.services);
  handler.Handle(policies, identified, request,
                 std::chrono::system_clock::now() + std::chrono::seconds(10), &response,
                 [&](absl::Status status) {
                   if (++answers == 1) done.set_value(std::move(status));
                 });
  const absl::Status status = done.get_future().get();
  if (answers != 1) std::abort();
  if (!status.ok() && response.ByteSizeLong() != 0) std::abort();  // a refusal releases nothing
  if (status.ok() && (response.audit_index() <= logged_before ||
                      response.audit_index() > world.audit->LatestCheckpoint().size)) {
    std::abort();  // released without its own audit entry
  }
  return 0;
}
