#include "adapters/source_adapter.h"

#include "adapters/fixture/sqlite_fixture_source.h"
#include "adapters/upstream/grpc_upstream_source.h"
#include "gateway/common/error.h"

namespace ketenpoort::adapters {

void SourceAdapter::FetchAnswerAsync(const FetchRequest& request, AnswerDone done) {
  FetchAsync(request, [done = std::move(done)](FetchResult record) {
    if (!record.ok()) return done(record.status());
    done(SourceAnswer{*std::move(record), {}});
  });
}

void AdapterRegistry::Register(std::string kind, AdapterFactory factory) {
  factories_[std::move(kind)] = std::move(factory);
}

absl::StatusOr<SourceAdapterPtr> AdapterRegistry::Create(const SourceConfig& config) const {
  auto it = factories_.find(config.kind);
  if (it == factories_.end()) {
    return MakeError(absl::StatusCode::kInvalidArgument, "UNKNOWN_SOURCE_KIND",
                     "source '" + config.name + "' has unknown kind '" + config.kind + "'");
  }
  return it->second(config);
}

void RegisterBuiltinAdapters(AdapterRegistry& registry) {
  registry.Register("sqlite_fixture",
                    [](const SourceConfig& config) -> absl::StatusOr<SourceAdapterPtr> {
                      auto source = SqliteFixtureSource::Open(config.name, config.database);
                      if (!source.ok()) return source.status();
                      return SourceAdapterPtr(std::move(*source));
                    });
  registry.Register("grpc_upstream",
                    [](const SourceConfig& config) -> absl::StatusOr<SourceAdapterPtr> {
                      auto source = GrpcUpstreamSource::Create(config);
                      if (!source.ok()) return source.status();
                      return SourceAdapterPtr(std::move(*source));
                    });
}

}  // namespace ketenpoort::adapters
