#include "gateway/audit/entry_facets.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>

#include "gateway/common/crypto.h"

namespace ketenpoort::audit {
namespace {

std::string_view NameOf(Facet facet) {
  switch (facet) {
    case Facet::kInvolves:
      return "involves";
    case Facet::kPurpose:
      return "purpose";
    case Facet::kDecision:
      return "decision";
    case Facet::kReason:
      return "reason";
    case Facet::kRecordType:
      return "record_type";
    case Facet::kReviewRequired:
      return "review_required";
  }
  return "unknown";
}

}  // namespace

int64_t FacetKey(Facet facet, std::string_view value) {
  // Few values recur in every entry: the writer and the verifier hash each
  // once per thread, not once per entry.
  thread_local std::unordered_map<std::string, int64_t> known;
  // No name holds ':', so "name:" cannot be read as another name's prefix.
  std::string name = std::string(NameOf(facet)) + ":";
  name.append(value);
  if (auto found = known.find(name); found != known.end()) return found->second;
  const crypto::Sha256Digest digest = crypto::Sha256({"ketenpoort audit facet:", name});
  int64_t key = 0;
  std::memcpy(&key, digest.data(), sizeof key);
  if (known.size() >= 4096) known.clear();
  known.emplace(std::move(name), key);
  return key;
}

int64_t FacetKey(Facet facet, int64_t value) { return FacetKey(facet, std::to_string(value)); }

std::vector<int64_t> FacetsOf(const v1::AuditEntry& entry) {
  std::vector<int64_t> keys;
  keys.reserve(7);
  if (!entry.partner_id().empty()) keys.push_back(FacetKey(Facet::kInvolves, entry.partner_id()));
  if (!entry.source_partner_id().empty()) {
    keys.push_back(FacetKey(Facet::kInvolves, entry.source_partner_id()));
  }
  keys.push_back(FacetKey(Facet::kPurpose, entry.purpose()));
  keys.push_back(FacetKey(Facet::kDecision, entry.decision()));
  if (!entry.reason().empty()) keys.push_back(FacetKey(Facet::kReason, entry.reason()));
  if (!entry.record_type().empty()) {
    keys.push_back(FacetKey(Facet::kRecordType, entry.record_type()));
  }
  if (entry.review_required()) keys.push_back(FacetKey(Facet::kReviewRequired, 1));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace ketenpoort::audit
