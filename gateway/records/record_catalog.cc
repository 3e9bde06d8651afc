#include "gateway/records/record_catalog.h"

#include "gateway/common/error.h"
#include "records/v1/coa.pb.h"
#include "records/v1/duo.pb.h"
#include "records/v1/gca.pb.h"
#include "records/v1/ggd.pb.h"
#include "records/v1/noa.pb.h"
#include "records/v1/vwn.pb.h"

namespace ketenpoort::records {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const RecordCatalog& RecordCatalog::Builtin() {
  // Listed explicitly so the linker keeps every schema (no static
  // self-registration that a static library could silently drop).
  static const RecordCatalog* catalog = new RecordCatalog({
      records::v1::coa::Koppeling::descriptor(),
      records::v1::coa::Voorinburgering::descriptor(),
      records::v1::coa::RiskSignal::descriptor(),
      records::v1::noa::Assessment::descriptor(),
      records::v1::gca::MedicalDossier::descriptor(),
      records::v1::ggd::TbcScreening::descriptor(),
      records::v1::ggd::Vaccinations::descriptor(),
      records::v1::ggd::JgzDossier::descriptor(),
      records::v1::duo::InburgeringStatus::descriptor(),
      records::v1::vwn::SocialGuidanceDossier::descriptor(),
  });
  return *catalog;
}

RecordCatalog::RecordCatalog(std::vector<const Descriptor*> types) {
  for (const Descriptor* type : types) {
    types_.emplace(type->options().GetExtension(ketenpoort::record_type), type);
  }
}

const Descriptor* RecordCatalog::Find(std::string_view record_type) const {
  auto it = types_.find(record_type);
  return it == types_.end() ? nullptr : it->second;
}

std::vector<std::string> RecordCatalog::RecordTypes() const {
  std::vector<std::string> names;
  for (const auto& [name, type] : types_) names.push_back(name);
  return names;
}

absl::StatusOr<FieldPath> RecordCatalog::ResolvePath(const Descriptor* type,
                                                     std::string_view path) {
  FieldPath resolved{std::string(path), {}};
  const Descriptor* current = type;
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  for (std::string_view part : parts) {
    if (current == nullptr) {
      return MakeError(absl::StatusCode::kInvalidArgument, "UNKNOWN_FIELD_PATH",
                       "field path '" + std::string(path) + "' steps into '" + std::string(part) +
                           "', but its parent is not a message");
    }
    const FieldDescriptor* field = current->FindFieldByName(std::string(part));
    if (field == nullptr) {
      return MakeError(absl::StatusCode::kInvalidArgument, "UNKNOWN_FIELD_PATH",
                       "'" + std::string(part) + "' is not a field of " + current->full_name() +
                           " (in path '" + std::string(path) + "')");
    }
    resolved.fields.push_back(field);
    current = field->message_type();
  }
  return resolved;
}

namespace {

uint32_t MaskOf(const google::protobuf::Descriptor* type, int depth) {
  uint32_t mask = 0;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const DataCategory category = RecordCatalog::CategoryOf(field);
    if (category != DATA_CATEGORY_UNSPECIFIED) mask |= 1u << category;
    if (field->message_type() != nullptr && depth < 8) {
      mask |= MaskOf(field->message_type(), depth + 1);
    }
  }
  return mask;
}

}  // namespace

uint32_t RecordCatalog::CategoryMask(const google::protobuf::Descriptor* type) {
  return MaskOf(type, 0);
}

DataCategory RecordCatalog::CategoryOf(const FieldDescriptor* field) {
  return field->options().GetExtension(ketenpoort::category);
}

std::string_view RecordCatalog::CategoryName(DataCategory category) {
  const std::string& name = DataCategory_Name(category);
  return name;
}

}  // namespace ketenpoort::records
