// Parsing and validation of policy files into a PolicySet.
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/yaml_file.h"
#include "gateway/filter/derivations.h"
#include "gateway/policy/policy_set.h"

namespace ketenpoort::policy {

namespace fs = std::filesystem;

constexpr char kAssertionsFile[] = "assertions.yaml";

class PolicyLoader {
 public:
  PolicyLoader(const records::RecordCatalog& catalog, PolicySet& set)
      : catalog_(catalog), set_(set) {}

  absl::Status LoadRulesFile(const YamlFile& file);

 private:
  absl::StatusOr<std::unique_ptr<Rule>> ParseRule(const YamlFile& file, const YAML::Node& node);
  absl::Status ParseRequester(const YamlFile& file, const YAML::Node& node, Rule& rule);
  absl::Status ParseLegalBasis(const YamlFile& file, const YAML::Node& node, Rule& rule);
  absl::Status ParseConditions(const YamlFile& file, const YAML::Node& node, Rule& rule);
  absl::Status ParseRelease(const YamlFile& file, const YAML::Node& node, Rule& rule);
  absl::Status ParseReleaseField(const YamlFile& file, const YAML::Node& item, Rule& rule);
  absl::Status ParseDerive(const YamlFile& file, const YAML::Node& item, Rule& rule);
  absl::Status ParseAllFields(const YamlFile& file, const YAML::Node& item, Rule& rule);
  absl::Status CheckSpecialCategories(const YamlFile& file, const YAML::Node& node,
                                      const Rule& rule);

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
                                       "record_type", "legal_basis", "conditions", "release"}));
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
  RETURN_IF_ERROR(ParseConditions(file, node, *rule));
  RETURN_IF_ERROR(ParseRelease(file, node, *rule));
  RETURN_IF_ERROR(CheckSpecialCategories(file, node, *rule));
  if (rule->purpose == v1::STATISTICS) {
    // Counts over the persons linked to the requester: no per-person
    // condition can be checked for a population.
    const Conditions& conditions = rule->conditions;
    if (!conditions.linked_to_requester_municipality || conditions.window ||
        conditions.registered_with_requesting_gp || conditions.requester_is_subject ||
        conditions.consent || rule->break_glass()) {
      return file.ErrorAt(node,
                          "a STATISTICS rule counts the persons linked to the requester: it needs "
                          "linked_to_requester_municipality, a statutory basis and no other "
                          "condition");
    }
  }
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
    rule.conditions.consent = true;
  } else if (kind == "vital_interest") {
    rule.legal_basis.kind = LegalBasisKind::kVitalInterest;
  } else {
    return file.ErrorAt(basis["kind"], "unknown legal basis '" + kind +
                                           "' (expected consent, statutory or "
                                           "vital_interest)");
  }
  return absl::OkStatus();
}

absl::Status PolicyLoader::ParseConditions(const YamlFile& file, const YAML::Node& node,
                                           Rule& rule) {
  const YAML::Node conditions = node["conditions"];
  if (!conditions) return absl::OkStatus();
  RETURN_IF_ERROR(file.OnlyKeys(
      conditions, {"linked_to_requester_municipality", "registered_with_requesting_gp",
                   "requester_is_subject", "window"}));
  auto flag = [&](std::string_view key, bool* out) -> absl::Status {
    const YAML::Node value = conditions[std::string(key)];
    if (!value) return absl::OkStatus();
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, *out)) {
      return file.ErrorAt(value, "'" + std::string(key) + "' must be true or false");
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(
      flag("linked_to_requester_municipality", &rule.conditions.linked_to_requester_municipality));
  RETURN_IF_ERROR(
      flag("registered_with_requesting_gp", &rule.conditions.registered_with_requesting_gp));
  RETURN_IF_ERROR(flag("requester_is_subject", &rule.conditions.requester_is_subject));
  const bool municipal_requester = rule.partner_type == identity::PartnerType::kGemeente ||
                                   rule.partner_type == identity::PartnerType::kHuisarts ||
                                   rule.partner_type == identity::PartnerType::kJgz ||
                                   rule.partner_type == identity::PartnerType::kGgd;
  if (rule.conditions.linked_to_requester_municipality && !municipal_requester) {
    return file.ErrorAt(conditions["linked_to_requester_municipality"],
                        "linked_to_requester_municipality needs a requester partner_type bound "
                        "to a municipality (gemeente, huisarts or jgz) or a region (ggd)");
  }
  if (rule.conditions.requester_is_subject &&
      rule.partner_type != identity::PartnerType::kSubjectPortal) {
    return file.ErrorAt(conditions["requester_is_subject"],
                        "requester_is_subject needs requester partner_type subject_portal");
  }
  if (rule.conditions.registered_with_requesting_gp &&
      rule.partner_type != identity::PartnerType::kHuisarts) {
    return file.ErrorAt(conditions["registered_with_requesting_gp"],
                        "registered_with_requesting_gp needs requester partner_type huisarts");
  }
  if (const YAML::Node window = conditions["window"]) {
    RETURN_IF_ERROR(file.OnlyKeys(window, {"weeks_before_move", "weeks_after_move"}));
    ASSIGN_OR_RETURN(int64_t before, file.OptionalInt(window, "weeks_before_move", 0));
    ASSIGN_OR_RETURN(int64_t after, file.OptionalInt(window, "weeks_after_move", 0));
    if (before < 0 || after < 0 || before > 520 || after > 520) {
      return file.ErrorAt(window, "window weeks must be between 0 and 520");
    }
    rule.conditions.window = MoveWindow{before * 7, after * 7};
  }
  return absl::OkStatus();
}

absl::Status PolicyLoader::ParseReleaseField(const YamlFile& file, const YAML::Node& item,
                                             Rule& rule) {
  ASSIGN_OR_RETURN(std::string path, file.RequiredString(item, "field"));
  absl::StatusOr<records::FieldPath> resolved =
      records::RecordCatalog::ResolvePath(rule.record_descriptor, path);
  if (!resolved.ok()) return file.ErrorAt(item["field"], StdView(resolved.status().message()));
  ASSIGN_OR_RETURN(std::string transform, file.OptionalString(item, "transform", "keep"));
  ASSIGN_OR_RETURN(std::string to, file.OptionalString(item, "to"));

  filter::FieldTransform compiled;
  compiled.path = *resolved;
  if (transform == "keep") {
    compiled.kind = filter::TransformKind::kKeep;
  } else if (transform == "redact") {
    compiled.kind = filter::TransformKind::kRedact;
  } else if (transform == "pseudonymize") {
    compiled.kind = filter::TransformKind::kPseudonymize;
  } else if (transform == "generalize") {
    if (to == "year") {
      compiled.kind = filter::TransformKind::kGeneralizeYear;
    } else if (to == "age_band") {
      compiled.kind = filter::TransformKind::kGeneralizeAgeBand;
    } else {
      return file.ErrorAt(item["to"] ? item["to"] : item,
                          "generalize needs 'to: year' or 'to: age_band'");
    }
  } else {
    return file.ErrorAt(item["transform"],
                        "unknown transform '" + transform +
                            "' (expected keep, redact, generalize or pseudonymize; "
                            "derivations use 'derive:')");
  }
  if (!to.empty() && transform != "generalize") {
    return file.ErrorAt(item["to"], "'to' belongs to transform generalize");
  }
  if (compiled.kind != filter::TransformKind::kKeep &&
      resolved->fields.back()->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return file.ErrorAt(
        item["transform"],
        "transform '" + transform + "' applies to string fields; '" + path + "' is not one");
  }
  rule.selection.Add(*resolved);
  rule.release.push_back({path, std::string(filter::TransformName(compiled.kind))});
  if (compiled.kind != filter::TransformKind::kKeep) rule.transforms.push_back(std::move(compiled));
  return absl::OkStatus();
}

absl::Status PolicyLoader::ParseDerive(const YamlFile& file, const YAML::Node& item, Rule& rule) {
  ASSIGN_OR_RETURN(std::string name, file.RequiredString(item, "derive"));
  const filter::Derivation* derivation = filter::FindDerivation(name);
  if (derivation == nullptr) {
    std::string known;
    for (std::string_view n : filter::DerivationNames()) {
      known += (known.empty() ? "" : ", ") + std::string(n);
    }
    return file.ErrorAt(item["derive"], "unknown derivation '" + name + "' (known: " + known + ")");
  }
  if (derivation->record_type != rule.record_type) {
    return file.ErrorAt(item["derive"], "derivation '" + name + "' applies to " +
                                            std::string(derivation->record_type) + ", not " +
                                            rule.record_type);
  }
  filter::FieldTransform compiled;
  compiled.kind = filter::TransformKind::kDerive;
  compiled.derivation = derivation;
  for (const auto& [key, value] : derivation->defaults) compiled.params.emplace_back(key, value);
  if (const YAML::Node params = item["params"]) {
    if (!params.IsMap()) return file.ErrorAt(params, "'params' must be a mapping");
    for (const auto& param : params) {
      const std::string key = param.first.Scalar();
      auto it = std::find_if(compiled.params.begin(), compiled.params.end(),
                             [&key](const auto& p) { return p.first == key; });
      if (it == compiled.params.end()) {
        return file.ErrorAt(param.first,
                            "derivation '" + name + "' has no parameter '" + key + "'");
      }
      ASSIGN_OR_RETURN(it->second, file.OptionalInt(params, key, 0));
    }
  }
  rule.release.push_back({std::string(derivation->output_field), "derive:" + name});
  rule.transforms.push_back(std::move(compiled));
  return absl::OkStatus();
}

absl::Status PolicyLoader::ParseAllFields(const YamlFile& file, const YAML::Node& item,
                                          Rule& rule) {
  bool all = false;
  if (!item["all_fields"].IsScalar() || !YAML::convert<bool>::decode(item["all_fields"], all) ||
      !all) {
    return file.ErrorAt(item["all_fields"], "'all_fields' can only be true");
  }
  if (rule.purpose != v1::SUBJECT_ACCESS) {
    // Everything, special categories included, is only ever the person's own.
    return file.ErrorAt(item, "all_fields is only for purpose SUBJECT_ACCESS; name the fields");
  }
  if (item["transform"] || item["to"] || item["params"]) {
    return file.ErrorAt(item, "all_fields are released as they are (keep)");
  }
  const google::protobuf::Descriptor* type = rule.record_descriptor;
  for (int i = 0; i < type->field_count(); ++i) {
    ASSIGN_OR_RETURN(records::FieldPath path,
                     records::RecordCatalog::ResolvePath(type, type->field(i)->name()));
    rule.selection.Add(path);
  }
  rule.release.push_back({"*", "keep"});
  return absl::OkStatus();
}

absl::Status PolicyLoader::ParseRelease(const YamlFile& file, const YAML::Node& node, Rule& rule) {
  const YAML::Node release = node["release"];
  if (!release || !release.IsSequence() || release.size() == 0) {
    return file.ErrorAt(release ? release : node,
                        "'release' must be a non-empty list of fields, categories or derivations");
  }
  std::set<DataCategory> categories;
  for (const YAML::Node& item : release) {
    RETURN_IF_ERROR(file.OnlyKeys(
        item, {"field", "category", "transform", "to", "derive", "params", "all_fields"}));
    const int kinds = (item["field"] ? 1 : 0) + (item["category"] ? 1 : 0) +
                      (item["derive"] ? 1 : 0) + (item["all_fields"] ? 1 : 0);
    if (kinds != 1) {
      return file.ErrorAt(item,
                          "a release item names exactly one of 'field', 'category', 'derive' "
                          "or 'all_fields'");
    }
    if (item["all_fields"]) {
      RETURN_IF_ERROR(ParseAllFields(file, item, rule));
    } else if (item["field"]) {
      RETURN_IF_ERROR(ParseReleaseField(file, item, rule));
    } else if (item["derive"]) {
      RETURN_IF_ERROR(ParseDerive(file, item, rule));
      // A derived value is of its output field's category (the loan band
      // is inburgering, the care signal a signal), as the report says.
      const filter::Derivation* derivation =
          filter::FindDerivation(item["derive"].as<std::string>());
      const google::protobuf::FieldDescriptor* output =
          derivation == nullptr
              ? nullptr
              : rule.record_descriptor->FindFieldByName(std::string(derivation->output_field));
      categories.insert(output == nullptr ? SIGNAL : records::RecordCatalog::CategoryOf(output));
    } else {
      if (item["transform"] || item["to"] || item["params"]) {
        return file.ErrorAt(item,
                            "a category is released as it is (keep); name fields to "
                            "transform them");
      }
      ASSIGN_OR_RETURN(std::string name, file.RequiredString(item, "category"));
      DataCategory category;
      if (!DataCategory_Parse(name, &category) || category == DATA_CATEGORY_UNSPECIFIED) {
        return file.ErrorAt(item["category"], "unknown data category '" + name + "'");
      }
      if (rule.selection.AddCategory(rule.record_descriptor, category) == 0) {
        return file.ErrorAt(item["category"],
                            rule.record_type + " has no field of category " + name);
      }
      rule.release.push_back({"category:" + name, "keep"});
    }
  }
  for (DataCategory category : rule.selection.Categories()) categories.insert(category);
  for (DataCategory category : categories) {
    rule.released_categories.push_back(DataCategory_Name(category));
    rule.category_mask |= 1u << static_cast<int>(category);
  }
  return absl::OkStatus();
}

absl::Status PolicyLoader::CheckSpecialCategories(const YamlFile& file, const YAML::Node& node,
                                                  const Rule& rule) {
  const bool lawful_basis = rule.legal_basis.kind == LegalBasisKind::kConsent ||
                            (rule.legal_basis.kind == LegalBasisKind::kStatutory &&
                             !rule.legal_basis.law_reference.empty());
  if (lawful_basis) return absl::OkStatus();
  for (DataCategory special : {HEALTH, MENTAL_HEALTH, YOUTH_HEALTH}) {
    if (rule.category_mask & (1u << static_cast<int>(special))) {
      return file.ErrorAt(node["release"],
                          "rule '" + rule.id + "' releases special category " +
                              DataCategory_Name(special) + " under basis " +
                              std::string(LegalBasisName(rule.legal_basis.kind)) +
                              "; special categories need consent or a statutory basis with a "
                              "law reference (GDPR art. 9)");
    }
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
        path.filename() != "partners.yaml" && path.filename() != kAssertionsFile) {
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
  // Who may assert which fact; without the file, no one may.
  const fs::path assertions_path = fs::path(dir) / kAssertionsFile;
  if (fs::exists(assertions_path, error)) {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(assertions_path));
    versioned += std::string(kAssertionsFile) + '\0' + text + '\0';
    ASSIGN_OR_RETURN(YamlFile file, YamlFile::Parse(assertions_path.string(), text));
    std::set<std::string> known_roles;
    for (const auto& rule : set->rules_) {
      known_roles.insert(rule->actor_roles.begin(), rule->actor_roles.end());
    }
    ASSIGN_OR_RETURN(set->assertions_, AssertionPolicy::Load(file, known_roles));
  }
  set->version_ = "sha256:" + crypto::ToHex(crypto::Sha256(versioned));
  set->BuildIndex();
  return std::shared_ptr<const PolicySet>(std::move(set));
}

}  // namespace ketenpoort::policy
