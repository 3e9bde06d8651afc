#include "gateway/audit/entry_encoding.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <charconv>

#include "gateway/audit/audit_store.h"

namespace ketenpoort::audit {

EntryColumns ColumnsOf(const v1::AuditEntry& entry) {
  return {entry.time_unix_micros(), entry.partner_id(), entry.source_partner_id(),
          SubjectKey(entry.subject_pseudonym())};
}

namespace {

// The length of the valid UTF-8 sequence at text[at], or 0 if there is
// none (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
size_t ValidSequenceAt(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(at);
  if (lead < 0x80) return 1;
  size_t length;
  uint8_t low = 0x80;
  uint8_t high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

bool RepairUtf8(std::string& text) {
  size_t at = 0;
  while (at < text.size()) {
    const size_t length = ValidSequenceAt(text, at);
    if (length == 0) break;
    at += length;
  }
  if (at == text.size()) return false;  // the usual case: nothing copied
  std::string repaired(text, 0, at);
  while (at < text.size()) {
    if (const size_t length = ValidSequenceAt(text, at); length != 0) {
      repaired.append(text, at, length);
      at += length;
    } else {
      repaired += "\xEF\xBF\xBD";
      ++at;
    }
  }
  text = std::move(repaired);
  return true;
}

namespace {

int MakeMessageDecodable(google::protobuf::Message& message) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  const google::protobuf::Reflection* reflection = message.GetReflection();
  int changed = 0;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    using Type = google::protobuf::FieldDescriptor::Type;
    if (field->type() == Type::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int j = 0; j < reflection->FieldSize(message, field); ++j) {
          std::string text = reflection->GetRepeatedString(message, field, j);
          if (RepairUtf8(text)) {
            reflection->SetRepeatedString(&message, field, j, std::move(text));
            ++changed;
          }
        }
      } else {
        std::string text = reflection->GetString(message, field);
        if (RepairUtf8(text)) {
          reflection->SetString(&message, field, std::move(text));
          ++changed;
        }
      }
    } else if (field->type() == Type::TYPE_MESSAGE && !field->is_repeated() &&
               reflection->HasField(message, field)) {
      changed += MakeMessageDecodable(*reflection->MutableMessage(&message, field));
    }
  }
  return changed;
}

}  // namespace

int MakeDecodable(v1::AuditEntry& entry) { return MakeMessageDecodable(entry); }

std::optional<v1::AuditEntry::Retention> SignedRetention(const v1::AuditEntry& entry) {
  if (entry.kind() != v1::AuditEntry::ADMIN || entry.method() != "retention") return std::nullopt;
  if (entry.has_retention()) return entry.retention();
  // "retention: removing the content of entries A..B; ..." (before the field).
  const std::string_view detail = entry.detail();
  const std::string_view marker = "content of entries ";
  const size_t at = detail.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const char* begin = detail.data() + at + marker.size();
  const char* end = detail.data() + detail.size();
  uint64_t first = 0;
  uint64_t through = 0;
  auto parsed = std::from_chars(begin, end, first);
  if (parsed.ec != std::errc() || end - parsed.ptr < 3 || parsed.ptr[0] != '.' ||
      parsed.ptr[1] != '.') {
    return std::nullopt;
  }
  if (std::from_chars(parsed.ptr + 2, end, through).ec != std::errc()) return std::nullopt;
  v1::AuditEntry::Retention legacy;
  legacy.set_first_index(first);
  legacy.set_through_index(through);
  return legacy;
}

}  // namespace ketenpoort::audit
