// Parsing and validation of policy files into a PolicySet.
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/yaml_file.h"
#include "gateway/policy/policy_set.h"

namespace ketenpoort::policy {

namespace fs = std::filesystem;

class PolicyLoader {
 public:
  PolicyLoader(const records::RecordCatalog& catalog, PolicySet& set)
      : catalog_(catalog), set_(set) {}

  absl::Status LoadRulesFile(const YamlFile& file);

 private:
  absl::StatusOr<std::unique_ptr<Rule>> ParseRule(const YamlFile& file, const YAML::Node& node);
  absl::Status ParseRequester(const YamlFile& file, const YAML::Node& node, Rule& rule);
  absl::Status ParseLegalBasis(const YamlFile& file, const YAML::Node& node, Rule& rule);
  absl::Status ParseRelease(const YamlFile& file, const YAML::Node& node, Rule& rule);

  const records::RecordCatalog& catalog_;
  PolicySet& set_;
};

absl::Status PolicyLoader::LoadRulesFile(const YamlFile& file) {
  const YAML::Node& root = file.root();
  if (!root.IsMap()) return file.ErrorAt(root, "expected a mapping with key 'rules'");
  RETURN_IF_ERROR(file.OnlyKeys(root, {"rules"}));
  const YAML::Node rules = root["rules"];
  if (!rules || !rules.IsSequence()) return file.ErrorAt(root, "'rules' must be a list");
  for (const YAML::Node& node : rules) {
    ASSIGN_OR_RETURN(std::unique_ptr<Rule> rule, ParseRule(file, node));
    for (const auto& existing : set_.rules_) {
      if (existing->id == rule->id) {
        return file.ErrorAt(node["id"],
                            "rule id '" + rule->id + "' is already used at " + existing->location);
      }
    }
    set_.rules_.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Rule>> PolicyLoader::ParseRule(const YamlFile& file,
                                                              const YAML::Node& node) {
  RETURN_IF_ERROR(file.OnlyKeys(node, {"id", "description", "requester", "actor_roles", "purpose",
                                       "record_type", "legal_basis", "release"}));
  auto rule = std::make_unique<Rule>();
  rule->location = file.Where(node);
  ASSIGN_OR_RETURN(rule->id, file.RequiredString(node, "id"));
  ASSIGN_OR_RETURN(rule->description, file.OptionalString(node, "description"));
  ASSIGN_OR_RETURN(rule->actor_roles, file.StringList(node, "actor_roles"));

  ASSIGN_OR_RETURN(std::string purpose, file.RequiredString(node, "purpose"));
  if (!v1::Purpose_Parse(purpose, &rule->purpose) || rule->purpose == v1::PURPOSE_UNSPECIFIED) {
    return file.ErrorAt(node["purpose"], "unknown purpose '" + purpose + "'");
  }
  ASSIGN_OR_RETURN(rule->record_type, file.RequiredString(node, "record_type"));
  rule->record_descriptor = catalog_.Find(rule->record_type);
  if (rule->record_descriptor == nullptr) {
    return file.ErrorAt(node["record_type"], "unknown record type '" + rule->record_type + "'");
  }
  RETURN_IF_ERROR(ParseRequester(file, node, *rule));
  RETURN_IF_ERROR(ParseLegalBasis(file, node, *rule));
  RETURN_IF_ERROR(ParseRelease(file, node, *rule));
  return rule;
}

absl::Status PolicyLoader::ParseRequester(const YamlFile& file, const YAML::Node& node,
                                          Rule& rule) {
  const YAML::Node requester = node["requester"];
  if (!requester) return file.ErrorAt(node, "missing required key 'requester'");
  RETURN_IF_ERROR(file.OnlyKeys(requester, {"partner_type", "partner_ids"}));
  ASSIGN_OR_RETURN(std::string type_name, file.OptionalString(requester, "partner_type"));
  if (!type_name.empty()) {
    rule.partner_type = identity::ParsePartnerType(type_name);
    if (!rule.partner_type) {
      return file.ErrorAt(requester["partner_type"], "unknown partner type '" + type_name + "'");
    }
  }
  ASSIGN_OR_RETURN(rule.partner_ids, file.StringList(requester, "partner_ids"));
  for (size_t i = 0; i < rule.partner_ids.size(); ++i) {
    const identity::Partner* partner = set_.partners_.FindById(rule.partner_ids[i]);
    const YAML::Node at = requester["partner_ids"].IsSequence() ? requester["partner_ids"][i]
                                                                : requester["partner_ids"];
    if (partner == nullptr) {
      return file.ErrorAt(at, "unknown partner '" + rule.partner_ids[i] + "'");
    }
    if (rule.partner_type && partner->type != *rule.partner_type) {
      return file.ErrorAt(at, "partner '" + rule.partner_ids[i] + "' is not of type " + type_name);
    }
  }
  if (!rule.partner_type && rule.partner_ids.empty()) {
    return file.ErrorAt(requester, "requester needs a partner_type or partner_ids");
  }
  return absl::OkStatus();
}

absl::Status PolicyLoader::ParseLegalBasis(const YamlFile& file, const YAML::Node& node,
                                           Rule& rule) {
  const YAML::Node basis = node["legal_basis"];
  if (!basis) return file.ErrorAt(node, "missing required key 'legal_basis'");
  RETURN_IF_ERROR(file.OnlyKeys(basis, {"kind", "law"}));
  ASSIGN_OR_RETURN(std::string kind, file.RequiredString(basis, "kind"));
  ASSIGN_OR_RETURN(rule.legal_basis.law_reference, file.OptionalString(basis, "law"));
  if (kind == "statutory") {
    rule.legal_basis.kind = LegalBasisKind::kStatutory;
    if (rule.legal_basis.law_reference.empty()) {
      return file.ErrorAt(basis, "a statutory basis needs 'law', e.g. \"Wpg art. 6\"");
    }
  } else if (kind == "consent") {
    rule.legal_basis.kind = LegalBasisKind::kConsent;
  } else if (kind == "vital_interest") {
    rule.legal_basis.kind = LegalBasisKind::kVitalInterest;
  } else {
    return file.ErrorAt(basis["kind"], "unknown legal basis '" + kind +
                                           "' (expected consent, statutory or "
                                           "vital_interest)");
  }
  return absl::OkStatus();
}

absl::Status PolicyLoader::ParseRelease(const YamlFile& file, const YAML::Node& node, Rule& rule) {
  const YAML::Node release = node["release"];
  if (!release || !release.IsSequence() || release.size() == 0) {
    return file.ErrorAt(release ? release : node,
                        "'release' must be a non-empty list of fields or categories");
  }
  for (const YAML::Node& item : release) {
    RETURN_IF_ERROR(file.OnlyKeys(item, {"field", "category", "transform"}));
    ASSIGN_OR_RETURN(std::string transform, file.OptionalString(item, "transform", "keep"));
    if (transform != "keep") {
      return file.ErrorAt(item["transform"], "unknown transform '" + transform + "'");
    }
    const bool has_field = static_cast<bool>(item["field"]);
    if (has_field == static_cast<bool>(item["category"])) {
      return file.ErrorAt(item, "a release item names exactly one of 'field' or 'category'");
    }
    if (has_field) {
      ASSIGN_OR_RETURN(std::string path, file.RequiredString(item, "field"));
      absl::StatusOr<records::FieldPath> resolved =
          records::RecordCatalog::ResolvePath(rule.record_descriptor, path);
      if (!resolved.ok()) {
        return file.ErrorAt(item["field"], StdView(resolved.status().message()));
      }
      rule.selection.Add(*resolved);
      rule.release.push_back({path, transform});
    } else {
      ASSIGN_OR_RETURN(std::string name, file.RequiredString(item, "category"));
      DataCategory category;
      if (!DataCategory_Parse(name, &category) || category == DATA_CATEGORY_UNSPECIFIED) {
        return file.ErrorAt(item["category"], "unknown data category '" + name + "'");
      }
      if (rule.selection.AddCategory(rule.record_descriptor, category) == 0) {
        return file.ErrorAt(item["category"],
                            rule.record_type + " has no field of category " + name);
      }
      rule.release.push_back({"category:" + name, transform});
    }
  }
  for (DataCategory category : rule.selection.Categories()) {
    rule.released_categories.push_back(DataCategory_Name(category));
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "POLICY_UNREADABLE",
                     "cannot read " + path.string());
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const PolicySet>> PolicySet::LoadDirectory(
    const std::string& dir, const records::RecordCatalog& catalog) {
  std::error_code error;
  std::vector<fs::path> rule_files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const fs::path& path = entry.path();
    if (entry.is_regular_file() && path.extension() == ".yaml" &&
        path.filename() != "partners.yaml") {
      rule_files.push_back(path);
    }
  }
  if (error) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "POLICY_UNREADABLE",
                     "cannot list policy directory " + dir + ": " + error.message());
  }
  std::sort(rule_files.begin(), rule_files.end());

  std::shared_ptr<PolicySet> set(new PolicySet());
  const fs::path partners_path = fs::path(dir) / "partners.yaml";
  ASSIGN_OR_RETURN(set->partners_, identity::PartnerRegistry::LoadFile(partners_path));

  // The version covers every file that shapes decisions.
  std::string versioned;
  std::vector<fs::path> all_files = rule_files;
  all_files.insert(all_files.begin(), partners_path);
  PolicyLoader loader(catalog, *set);
  for (const fs::path& path : all_files) {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
    versioned += path.filename().string() + '\0' + text + '\0';
    if (path == partners_path) continue;
    ASSIGN_OR_RETURN(YamlFile file, YamlFile::Parse(path.string(), text));
    RETURN_IF_ERROR(loader.LoadRulesFile(file));
  }
  set->version_ = "sha256:" + crypto::ToHex(crypto::Sha256(versioned));
  set->BuildIndex();
  return std::shared_ptr<const PolicySet>(std::move(set));
}

}  // namespace ketenpoort::policy
