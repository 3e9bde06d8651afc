#include "gateway/filter/transforms.h"

#include <functional>

#include "gateway/common/civil_date.h"
#include "gateway/common/crypto.h"

namespace ketenpoort::filter {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string_view TransformName(TransformKind kind) {
  switch (kind) {
    case TransformKind::kKeep:
      return "keep";
    case TransformKind::kRedact:
      return "redact";
    case TransformKind::kGeneralizeYear:
      return "generalize:year";
    case TransformKind::kGeneralizeAgeBand:
      return "generalize:age_band";
    case TransformKind::kPseudonymize:
      return "pseudonymize";
    case TransformKind::kDerive:
      return "derive";
  }
  return "keep";
}

namespace {

// Calls `edit` on every string value at `path` (through repeated
// messages); `edit` returns false to remove the value.
void EditStrings(Message* message, const std::vector<const FieldDescriptor*>& path, size_t depth,
                 const std::function<bool(std::string&)>& edit) {
  const FieldDescriptor* field = path[depth];
  const auto* reflection = message->GetReflection();
  if (depth + 1 < path.size()) {
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        EditStrings(reflection->MutableRepeatedMessage(message, field, i), path, depth + 1, edit);
      }
    } else if (reflection->HasField(*message, field)) {
      EditStrings(reflection->MutableMessage(message, field), path, depth + 1, edit);
    }
    return;
  }
  if (field->is_repeated()) {
    std::vector<std::string> kept;
    for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
      std::string value = reflection->GetRepeatedString(*message, field, i);
      if (edit(value)) kept.push_back(std::move(value));
    }
    reflection->ClearField(message, field);
    for (std::string& value : kept) reflection->AddString(message, field, std::move(value));
    return;
  }
  if (!reflection->HasField(*message, field)) return;
  std::string value = reflection->GetString(*message, field);
  if (edit(value)) {
    reflection->SetString(message, field, std::move(value));
  } else {
    reflection->ClearField(message, field);
  }
}

}  // namespace

std::string AgeBand(int64_t birth_day, int64_t today) {
  const std::string born = FormatCivilDate(birth_day);
  const std::string now = FormatCivilDate(today);
  int age = std::stoi(now.substr(0, 4)) - std::stoi(born.substr(0, 4));
  if (now.substr(5) < born.substr(5)) --age;  // birthday not yet reached this year
  if (age < 18) return "0-17";
  if (age < 30) return "18-29";
  if (age >= 70) return "70+";
  const int decade = age / 10 * 10;
  return std::to_string(decade) + "-" + std::to_string(decade + 9);
}

void DropStrings(Message* message, const records::FieldPath& path) {
  EditStrings(message, path.fields, 0, [](std::string&) { return false; });
}

void ApplyTransforms(const std::vector<FieldTransform>& transforms, const Message& source,
                     Message* released, const TransformContext& context) {
  for (const FieldTransform& transform : transforms) {
    switch (transform.kind) {
      case TransformKind::kKeep:
        break;
      case TransformKind::kRedact:
        EditStrings(released, transform.path.fields, 0, [](std::string& value) {
          value = "[REDACTED]";
          return true;
        });
        break;
      case TransformKind::kGeneralizeYear:
        EditStrings(released, transform.path.fields, 0, [](std::string& value) {
          if (!ParseCivilDate(value)) return false;
          value.resize(4);
          return true;
        });
        break;
      case TransformKind::kGeneralizeAgeBand:
        EditStrings(released, transform.path.fields, 0, [&context](std::string& value) {
          const auto born = ParseCivilDate(value);
          if (!born) return false;
          value = AgeBand(*born, context.today);
          return true;
        });
        break;
      case TransformKind::kPseudonymize:
        EditStrings(released, transform.path.fields, 0, [&context](std::string& value) {
          // Keyed per recipient: the same person gets a different pseudonym
          // at every recipient.
          const std::string input = std::string(context.recipient_partner_id) + '\0' + value;
          value = "psn-" +
                  crypto::ToHex(crypto::HmacSha256(context.pseudonym_key, input)).substr(0, 32);
          return true;
        });
        break;
      case TransformKind::kDerive:
        transform.derivation->apply(source, released, transform.params);
        break;
    }
  }
}

}  // namespace ketenpoort::filter
