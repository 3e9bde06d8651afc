#include "gateway/audit/audit_rows.h"

#include <algorithm>
#include <charconv>

namespace ketenpoort::audit {

std::optional<int64_t> SubjectKey(std::string_view pseudonym_hex) {
  if (pseudonym_hex.size() < 16) return std::nullopt;
  uint64_t key = 0;
  auto [end, error] = std::from_chars(pseudonym_hex.data(), pseudonym_hex.data() + 16, key, 16);
  if (error != std::errc() || end != pseudonym_hex.data() + 16) return std::nullopt;
  return static_cast<int64_t>(key);
}

merkle::Hash HashColumn(const store::Statement& statement, int column) {
  merkle::Hash hash{};
  const std::string_view bytes = statement.ColumnBlob(column);
  if (bytes.size() == hash.size()) std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

StoredEntry EntryFromRow(const store::Statement& statement) {
  StoredEntry entry;
  entry.index = static_cast<uint64_t>(statement.ColumnInt64(0));
  entry.leaf_hash = HashColumn(statement, 1);
  entry.pruned = statement.ColumnIsNull(2);
  entry.entry_bytes = std::string(statement.ColumnBlob(2));
  entry.time_unix_micros = statement.ColumnInt64(3);
  entry.partner_id = std::string(statement.ColumnBlob(4));
  entry.source_partner_id = std::string(statement.ColumnBlob(5));
  if (!statement.ColumnIsNull(6)) entry.subject_key = statement.ColumnInt64(6);
  return entry;
}

}  // namespace ketenpoort::audit
