#include "gateway/sources/source_router.h"

#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/sources/subject_checked_source.h"

namespace ketenpoort::sources {

absl::StatusOr<SourceRouter> SourceRouter::Create(
    const std::vector<adapters::SourceConfig>& configs, const adapters::AdapterRegistry& registry,
    const records::RecordCatalog& catalog) {
  SourceRouter router;
  for (const adapters::SourceConfig& config : configs) {
    ASSIGN_OR_RETURN(adapters::SourceAdapterPtr adapter, registry.Create(config));
    std::vector<const google::protobuf::Descriptor*> types;
    for (const std::string& record_type : config.record_types) {
      const google::protobuf::Descriptor* type = catalog.Find(record_type);
      if (type == nullptr) {
        return MakeError(
            absl::StatusCode::kInvalidArgument, "BAD_CONFIG",
            "source '" + config.name + "' lists unknown record type '" + record_type + "'");
      }
      types.push_back(type);
    }
    // Every record passes the subject check on its way out of the source.
    ASSIGN_OR_RETURN(adapters::SourceAdapterPtr source,
                     SubjectCheckedSource::Create(std::move(adapter), types));
    for (const std::string& record_type : config.record_types) {
      if (!router.by_record_type_.emplace(record_type, Route{source.get(), config.owner}).second) {
        return MakeError(absl::StatusCode::kInvalidArgument, "BAD_CONFIG",
                         "record type '" + record_type + "' is served by two sources");
      }
    }
    router.sources_.push_back(std::move(source));
  }
  return router;
}

const SourceRouter::Route* SourceRouter::Find(std::string_view record_type) const {
  auto it = by_record_type_.find(record_type);
  return it == by_record_type_.end() ? nullptr : &it->second;
}

std::vector<std::string> SourceRouter::Owners() const {
  std::vector<std::string> owners;
  for (const auto& [record_type, route] : by_record_type_) owners.push_back(route.owner);
  return owners;
}

}  // namespace ketenpoort::sources
