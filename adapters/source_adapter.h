// The seam between the gateway and the partners' systems of record.
//
// A SourceAdapter fetches one record of one subject from wherever the
// partner keeps it. Adapters are created from configuration through an
// AdapterRegistry; the built-in kinds are registered explicitly in
// RegisterBuiltinAdapters() (static self-registration silently drops out
// of static libraries). Fetch must be thread-safe.
#ifndef KETENPOORT_ADAPTERS_SOURCE_ADAPTER_H_
#define KETENPOORT_ADAPTERS_SOURCE_ADAPTER_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ketenpoort::adapters {

struct SourceConfig {
  std::string name;                       // e.g. "fixtures"
  std::string owner;                      // partner id of the organisation it speaks for
  std::string kind;                       // e.g. "sqlite_fixture"
  std::string database;                   // path, for file-backed kinds
  std::vector<std::string> record_types;  // what this source serves
};

struct FetchRequest {
  std::string_view subject_id;
  std::string_view record_type;
  const google::protobuf::Descriptor* descriptor = nullptr;  // of the record type
};

class SourceAdapter {
 public:
  virtual ~SourceAdapter() = default;
  virtual std::string_view name() const = 0;
  // NOT_FOUND when the source holds no such record for the subject;
  // UNAVAILABLE (naming the source) when the source cannot answer.
  virtual absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Fetch(
      const FetchRequest& request) = 0;
};

using SourceAdapterPtr = std::unique_ptr<SourceAdapter>;
using AdapterFactory = std::function<absl::StatusOr<SourceAdapterPtr>(const SourceConfig&)>;

class AdapterRegistry {
 public:
  void Register(std::string kind, AdapterFactory factory);
  // INVALID_ARGUMENT for an unknown kind.
  absl::StatusOr<SourceAdapterPtr> Create(const SourceConfig& config) const;

 private:
  std::map<std::string, AdapterFactory, std::less<>> factories_;
};

// Registers every adapter kind compiled into this binary.
void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace ketenpoort::adapters

#endif  // KETENPOORT_ADAPTERS_SOURCE_ADAPTER_H_
