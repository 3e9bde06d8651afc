#include "gateway/server/release.h"

#include <algorithm>

#include "gateway/common/crypto.h"

namespace ketenpoort::server {

bool ReleasesUnchanged(const policy::Rule& rule,
                       std::initializer_list<const google::protobuf::FieldDescriptor*> path) {
  if (!rule.selection.Covers(path)) return false;
  for (const filter::FieldTransform& transform : rule.transforms) {
    if (transform.kind == filter::TransformKind::kKeep ||
        transform.kind == filter::TransformKind::kDerive) {
      continue;  // a derivation writes a field of its own
    }
    // A transform on the field, above it or beneath it changes what goes out.
    const auto& fields = transform.path.fields;
    const size_t common = std::min(fields.size(), path.size());
    if (std::equal(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(common),
                   path.begin())) {
      return false;
    }
  }
  return true;
}

std::unique_ptr<google::protobuf::Message> FilterRecord(const policy::Rule& rule,
                                                        const google::protobuf::Message& record,
                                                        const filter::TransformContext& context) {
  std::unique_ptr<google::protobuf::Message> released(record.New());
  rule.selection.CopySelected(record, released.get());
  filter::ApplyTransforms(rule.transforms, record, released.get(), context);
  return released;
}

std::unique_ptr<google::protobuf::Message> NarrowToRule(
    const policy::Rule& rule, const google::protobuf::Message& released_before,
    const google::protobuf::RepeatedPtrField<v1::ReleasedField>& sent) {
  const auto sent_as = [&sent](std::string_view path, std::string_view transform) {
    return std::any_of(sent.begin(), sent.end(), [&](const v1::ReleasedField& field) {
      return field.path() == path && field.transform() == transform;
    });
  };
  // What the current rule selects, of what was released before: values
  // that were kept, or transformed then (which is less).
  std::unique_ptr<google::protobuf::Message> narrowed(released_before.New());
  rule.selection.CopySelected(released_before, narrowed.get());
  const google::protobuf::Reflection* reflection = narrowed->GetReflection();
  for (const filter::FieldTransform& transform : rule.transforms) {
    if (transform.kind == filter::TransformKind::kDerive) {
      // A derived value cannot be computed again from a release; it goes
      // only if it was derived the same way then.
      const std::string_view output = transform.derivation->output_field;
      const google::protobuf::FieldDescriptor* field =
          released_before.GetDescriptor()->FindFieldByName(std::string(output));
      if (field == nullptr) continue;
      if (sent_as(output, "derive:" + std::string(transform.derivation->name))) {
        std::unique_ptr<google::protobuf::Message> copy(released_before.New());
        copy->CopyFrom(released_before);
        reflection->SwapFields(copy.get(), narrowed.get(), {field});
      } else {
        reflection->ClearField(narrowed.get(), field);
      }
      continue;
    }
    // Transformed the same way then: the value is already what the rule
    // releases. Otherwise it cannot be transformed again: absent.
    if (!sent_as(transform.path.text, filter::TransformName(transform.kind))) {
      filter::DropStrings(narrowed.get(), transform.path);
    }
  }
  return narrowed;
}

void ListReleasedFields(const policy::Rule& rule,
                        google::protobuf::RepeatedPtrField<v1::ReleasedField>* fields) {
  for (const policy::ReleasedFieldSpec& spec : rule.release) {
    v1::ReleasedField* field = fields->Add();
    field->set_path(spec.path);
    field->set_transform(spec.transform);
  }
}

void RecordRelease(const policy::Rule& rule, const std::string& packed, v1::AuditEntry* entry) {
  for (const policy::ReleasedFieldSpec& spec : rule.release) {
    entry->add_released_fields(spec.path +
                               (spec.transform == "keep" ? "" : " (" + spec.transform + ")"));
  }
  for (const std::string& category : rule.released_categories) {
    entry->add_released_categories(category);
  }
  entry->set_rule_id(rule.id);
  entry->set_legal_basis(std::string(policy::LegalBasisName(rule.legal_basis.kind)));
  entry->set_law_reference(rule.legal_basis.law_reference);
  const crypto::Sha256Digest digest = crypto::Sha256(packed);
  entry->set_payload_sha256(std::string(crypto::AsBytes(digest)));
}

}  // namespace ketenpoort::server
