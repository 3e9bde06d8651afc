#include "gateway/config/gateway_config.h"

#include <filesystem>

#include "gateway/common/status_macros.h"
#include "gateway/common/yaml_file.h"

namespace ketenpoort::config {

namespace fs = std::filesystem;

namespace {

std::string Resolve(const fs::path& base, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (base / path).lexically_normal().string();
}

absl::StatusOr<std::string> RequiredPath(const YamlFile& file, const YAML::Node& node,
                                         std::string_view key, const fs::path& base) {
  ASSIGN_OR_RETURN(std::string value, file.RequiredString(node, key));
  return Resolve(base, value);
}

}  // namespace

absl::StatusOr<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  ASSIGN_OR_RETURN(YamlFile file, YamlFile::Load(path));
  const fs::path base = fs::absolute(path).parent_path();
  const YAML::Node& root = file.root();
  RETURN_IF_ERROR(file.OnlyKeys(
      root, {"listen", "tls", "policies_dir", "audit", "state", "sources", "limits"}));
  GatewayConfig config;
  ASSIGN_OR_RETURN(config.listen, file.OptionalString(root, "listen", config.listen));

  const YAML::Node tls = root["tls"];
  if (!tls) return file.ErrorAt(root, "missing required key 'tls'");
  RETURN_IF_ERROR(file.OnlyKeys(tls, {"server_cert", "server_key", "client_ca"}));
  ASSIGN_OR_RETURN(config.tls.server_cert, RequiredPath(file, tls, "server_cert", base));
  ASSIGN_OR_RETURN(config.tls.server_key, RequiredPath(file, tls, "server_key", base));
  ASSIGN_OR_RETURN(config.tls.client_ca, RequiredPath(file, tls, "client_ca", base));

  ASSIGN_OR_RETURN(config.policies_dir, RequiredPath(file, root, "policies_dir", base));

  const YAML::Node audit = root["audit"];
  if (!audit) return file.ErrorAt(root, "missing required key 'audit'");
  RETURN_IF_ERROR(file.OnlyKeys(audit, {"database", "pseudonym_key_file", "checkpoint_key_file",
                                        "origin", "retention_days"}));
  ASSIGN_OR_RETURN(config.audit_database, RequiredPath(file, audit, "database", base));
  ASSIGN_OR_RETURN(config.pseudonym_key_file,
                   RequiredPath(file, audit, "pseudonym_key_file", base));
  ASSIGN_OR_RETURN(config.checkpoint_key_file,
                   RequiredPath(file, audit, "checkpoint_key_file", base));
  ASSIGN_OR_RETURN(config.audit_origin, file.OptionalString(audit, "origin", config.audit_origin));
  for (char c : config.audit_origin) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '+') {
      return file.ErrorAt(audit["origin"], "origin must not contain spaces, '+' or controls");
    }
  }
  ASSIGN_OR_RETURN(int64_t retention_days,
                   file.OptionalInt(audit, "retention_days", config.retention_days));
  if (retention_days < 1 || retention_days > 36500) {
    return file.ErrorAt(audit["retention_days"], "must be between 1 and 36500");
  }
  config.retention_days = static_cast<int>(retention_days);

  const YAML::Node state = root["state"];
  if (!state) return file.ErrorAt(root, "missing required key 'state'");
  RETURN_IF_ERROR(file.OnlyKeys(state, {"database"}));
  ASSIGN_OR_RETURN(config.state_database, RequiredPath(file, state, "database", base));

  const YAML::Node sources = root["sources"];
  if (!sources || !sources.IsSequence() || sources.size() == 0) {
    return file.ErrorAt(sources ? sources : root, "'sources' must be a non-empty list");
  }
  for (const YAML::Node& node : sources) {
    RETURN_IF_ERROR(file.OnlyKeys(node, {"name", "owner", "kind", "database", "record_types"}));
    adapters::SourceConfig source;
    ASSIGN_OR_RETURN(source.name, file.RequiredString(node, "name"));
    ASSIGN_OR_RETURN(source.owner, file.RequiredString(node, "owner"));
    ASSIGN_OR_RETURN(source.kind, file.RequiredString(node, "kind"));
    ASSIGN_OR_RETURN(std::string database, file.OptionalString(node, "database"));
    source.database = Resolve(base, database);
    ASSIGN_OR_RETURN(source.record_types, file.StringList(node, "record_types"));
    if (source.record_types.empty()) {
      return file.ErrorAt(node, "source '" + source.name + "' needs 'record_types'");
    }
    config.sources.push_back(std::move(source));
  }

  if (const YAML::Node limits = root["limits"]) {
    RETURN_IF_ERROR(file.OnlyKeys(limits, {"max_request_bytes", "max_metadata_value_bytes"}));
    ASSIGN_OR_RETURN(int64_t request_bytes,
                     file.OptionalInt(limits, "max_request_bytes",
                                      static_cast<int64_t>(config.limits.max_request_bytes)));
    ASSIGN_OR_RETURN(
        int64_t metadata_bytes,
        file.OptionalInt(limits, "max_metadata_value_bytes",
                         static_cast<int64_t>(config.limits.max_metadata_value_bytes)));
    if (request_bytes < 64 || request_bytes > (1 << 20)) {
      return file.ErrorAt(limits["max_request_bytes"], "must be between 64 and 1048576");
    }
    if (metadata_bytes < 16 || metadata_bytes > 4096) {
      return file.ErrorAt(limits["max_metadata_value_bytes"], "must be between 16 and 4096");
    }
    config.limits.max_request_bytes = static_cast<size_t>(request_bytes);
    config.limits.max_metadata_value_bytes = static_cast<size_t>(metadata_bytes);
  }
  return config;
}

}  // namespace ketenpoort::config
