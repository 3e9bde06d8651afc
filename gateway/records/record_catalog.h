// The record types the gateway knows, read from the compiled-in schemas.
//
// A record type is a top-level message in proto/records/v1 carrying the
// (ketenpoort.record_type) option. Its fields' data categories come from
// the (ketenpoort.category) option. Immutable after construction and so
// safe to share between threads.
#ifndef KETENPOORT_GATEWAY_RECORDS_RECORD_CATALOG_H_
#define KETENPOORT_GATEWAY_RECORDS_RECORD_CATALOG_H_

#include <google/protobuf/descriptor.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ketenpoort/options.pb.h"

namespace ketenpoort::records {

// A resolved dotted field path, e.g. "language_levels.dutch".
struct FieldPath {
  std::string text;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
};

class RecordCatalog {
 public:
  // Every record type compiled into this binary.
  static const RecordCatalog& Builtin();

  explicit RecordCatalog(std::vector<const google::protobuf::Descriptor*> types);

  // nullptr when unknown.
  const google::protobuf::Descriptor* Find(std::string_view record_type) const;
  std::vector<std::string> RecordTypes() const;

  // Resolves a dotted path inside `type`, stepping through message fields
  // (singular or repeated). INVALID_ARGUMENT names the first unknown part.
  static absl::StatusOr<FieldPath> ResolvePath(const google::protobuf::Descriptor* type,
                                               std::string_view path);

  static DataCategory CategoryOf(const google::protobuf::FieldDescriptor* field);
  // Bit (1 << DataCategory) for every category a field of `type` (or of a
  // message inside it) carries.
  static uint32_t CategoryMask(const google::protobuf::Descriptor* type);
  static std::string_view CategoryName(DataCategory category);

 private:
  std::map<std::string, const google::protobuf::Descriptor*, std::less<>> types_;
};

}  // namespace ketenpoort::records

#endif  // KETENPOORT_GATEWAY_RECORDS_RECORD_CATALOG_H_
