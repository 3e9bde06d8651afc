// Which source serves which record type. Built once at start-up from the
// config; immutable afterwards, so lookups need no lock.
#ifndef KETENPOORT_GATEWAY_SOURCES_SOURCE_ROUTER_H_
#define KETENPOORT_GATEWAY_SOURCES_SOURCE_ROUTER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/source_adapter.h"
#include "gateway/records/record_catalog.h"

namespace ketenpoort::sources {

class SourceRouter {
 public:
  // Creates every configured source, each wrapped in a SubjectCheckedSource
  // so that no record about another person than asked gets through.
  // Refuses unknown record types, a record type without a string
  // subject_id field, and a record type served by two sources.
  static absl::StatusOr<SourceRouter> Create(const std::vector<adapters::SourceConfig>& configs,
                                             const adapters::AdapterRegistry& registry,
                                             const records::RecordCatalog& catalog);

  struct Route {
    adapters::SourceAdapter* source = nullptr;
    std::string owner;  // partner id of the source's organisation
  };
  // nullptr when no source serves the record type.
  const Route* Find(std::string_view record_type) const;
  // Every configured source's owner, for start-up checks.
  std::vector<std::string> Owners() const;

 private:
  std::vector<adapters::SourceAdapterPtr> sources_;
  std::map<std::string, Route, std::less<>> by_record_type_;
};

}  // namespace ketenpoort::sources

#endif  // KETENPOORT_GATEWAY_SOURCES_SOURCE_ROUTER_H_
