#include "gateway/config/gateway_config.h"

#include <cctype>
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

// The settings of a grpc_upstream source: where it is and how to reach it.
absl::Status ParseUpstream(const YamlFile& file, const YAML::Node& node, const fs::path& base,
                           adapters::UpstreamConfig& upstream) {
  ASSIGN_OR_RETURN(upstream.target, file.RequiredString(node, "target"));
  const YAML::Node tls = node["tls"];
  if (!tls) return file.ErrorAt(node, "a grpc_upstream source needs 'tls' (ca, cert, key)");
  RETURN_IF_ERROR(file.OnlyKeys(tls, {"ca", "cert", "key", "server_name"}));
  ASSIGN_OR_RETURN(upstream.ca_file, RequiredPath(file, tls, "ca", base));
  ASSIGN_OR_RETURN(upstream.cert_file, RequiredPath(file, tls, "cert", base));
  ASSIGN_OR_RETURN(upstream.key_file, RequiredPath(file, tls, "key", base));
  ASSIGN_OR_RETURN(upstream.server_name, file.OptionalString(tls, "server_name"));
  ASSIGN_OR_RETURN(int64_t timeout, file.OptionalInt(node, "timeout_ms", upstream.timeout_ms));
  if (timeout < 10 || timeout > 60000) {
    return file.ErrorAt(node["timeout_ms"], "timeout_ms must be between 10 and 60000");
  }
  ASSIGN_OR_RETURN(int64_t attempts, file.OptionalInt(node, "max_attempts", upstream.max_attempts));
  if (attempts < 1 || attempts > 5) {
    return file.ErrorAt(node["max_attempts"], "max_attempts must be between 1 and 5");
  }
  ASSIGN_OR_RETURN(int64_t batch, file.OptionalInt(node, "max_batch", upstream.max_batch));
  if (batch < 1 || batch > adapters::kMaxUpstreamBatch) {
    return file.ErrorAt(node["max_batch"], "max_batch must be between 1 and " +
                                               std::to_string(adapters::kMaxUpstreamBatch));
  }
  ASSIGN_OR_RETURN(int64_t in_flight,
                   file.OptionalInt(node, "max_calls_in_flight", upstream.max_calls_in_flight));
  if (in_flight < 1 || in_flight > adapters::kMaxUpstreamCallsInFlight) {
    return file.ErrorAt(node["max_calls_in_flight"],
                        "max_calls_in_flight must be between 1 and " +
                            std::to_string(adapters::kMaxUpstreamCallsInFlight));
  }
  upstream.timeout_ms = static_cast<int>(timeout);
  upstream.max_attempts = static_cast<int>(attempts);
  upstream.max_batch = static_cast<int>(batch);
  upstream.max_calls_in_flight = static_cast<int>(in_flight);
  return absl::OkStatus();
}

absl::StatusOr<adapters::SourceConfig> ParseSource(const YamlFile& file, const YAML::Node& node,
                                                   const fs::path& base) {
  RETURN_IF_ERROR(
      file.OnlyKeys(node, {"name", "owner", "kind", "database", "target", "tls", "timeout_ms",
                           "max_attempts", "max_batch", "max_calls_in_flight", "record_types"}));
  adapters::SourceConfig source;
  ASSIGN_OR_RETURN(source.name, file.RequiredString(node, "name"));
  ASSIGN_OR_RETURN(source.owner, file.RequiredString(node, "owner"));
  ASSIGN_OR_RETURN(source.kind, file.RequiredString(node, "kind"));
  if (source.kind == "grpc_upstream") {
    RETURN_IF_ERROR(ParseUpstream(file, node, base, source.upstream));
  } else {
    for (const char* key :
         {"target", "tls", "timeout_ms", "max_attempts", "max_batch", "max_calls_in_flight"}) {
      if (node[key]) {
        return file.ErrorAt(node[key], "'" + std::string(key) +
                                           "' belongs to kind grpc_upstream, not " + source.kind);
      }
    }
  }
  if (source.kind == "sqlite_fixture") {
    ASSIGN_OR_RETURN(source.database, RequiredPath(file, node, "database", base));
  } else if (node["database"]) {
    return file.ErrorAt(node["database"], "'database' belongs to kind sqlite_fixture");
  }
  ASSIGN_OR_RETURN(source.record_types, file.StringList(node, "record_types"));
  if (source.record_types.empty()) {
    return file.ErrorAt(node, "source '" + source.name + "' needs 'record_types'");
  }
  return source;
}

}  // namespace

absl::StatusOr<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  ASSIGN_OR_RETURN(YamlFile file, YamlFile::Load(path));
  const fs::path base = fs::absolute(path).parent_path();
  const YAML::Node& root = file.root();
  RETURN_IF_ERROR(file.OnlyKeys(root, {"listen", "tls", "policies_dir", "audit", "state", "sources",
                                       "handover", "inburgering", "limits"}));
  GatewayConfig config;
  ASSIGN_OR_RETURN(config.listen, file.OptionalString(root, "listen", config.listen));

  const YAML::Node tls = root["tls"];
  if (!tls) return file.ErrorAt(root, "missing required key 'tls'");
  RETURN_IF_ERROR(file.OnlyKeys(tls, {"server_cert", "server_key", "client_ca", "crl_files"}));
  ASSIGN_OR_RETURN(config.tls.server_cert, RequiredPath(file, tls, "server_cert", base));
  ASSIGN_OR_RETURN(config.tls.server_key, RequiredPath(file, tls, "server_key", base));
  ASSIGN_OR_RETURN(config.tls.client_ca, RequiredPath(file, tls, "client_ca", base));
  ASSIGN_OR_RETURN(const std::vector<std::string> crl_files, file.StringList(tls, "crl_files"));
  for (const std::string& crl : crl_files) {
    config.tls.crl_files.push_back(Resolve(base, crl));
  }

  ASSIGN_OR_RETURN(config.policies_dir, RequiredPath(file, root, "policies_dir", base));

  const YAML::Node audit = root["audit"];
  if (!audit) return file.ErrorAt(root, "missing required key 'audit'");
  RETURN_IF_ERROR(file.OnlyKeys(audit, {"database", "pseudonym_key_file", "checkpoint_key_file",
                                        "head_file", "origin", "retention_days"}));
  ASSIGN_OR_RETURN(config.audit_database, RequiredPath(file, audit, "database", base));
  ASSIGN_OR_RETURN(config.pseudonym_key_file,
                   RequiredPath(file, audit, "pseudonym_key_file", base));
  ASSIGN_OR_RETURN(config.checkpoint_key_file,
                   RequiredPath(file, audit, "checkpoint_key_file", base));
  if (audit["head_file"]) {
    ASSIGN_OR_RETURN(config.audit_head_file, RequiredPath(file, audit, "head_file", base));
  } else {
    config.audit_head_file = config.checkpoint_key_file + ".head";
  }
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
    ASSIGN_OR_RETURN(adapters::SourceConfig source, ParseSource(file, node, base));
    config.sources.push_back(std::move(source));
  }

  if (const YAML::Node handover = root["handover"]) {
    RETURN_IF_ERROR(file.OnlyKeys(handover, {"database", "master_key_file", "fetch_within_days",
                                             "expire_after_days", "retention_days_after_ack"}));
    auto& settings = config.handover;
    ASSIGN_OR_RETURN(settings.database, RequiredPath(file, handover, "database", base));
    ASSIGN_OR_RETURN(settings.master_key_file,
                     RequiredPath(file, handover, "master_key_file", base));
    for (auto [key, out] :
         {std::pair{"fetch_within_days", &settings.fetch_within_days},
          std::pair{"expire_after_days", &settings.expire_after_days},
          std::pair{"retention_days_after_ack", &settings.retention_days_after_ack}}) {
      ASSIGN_OR_RETURN(int64_t days, file.OptionalInt(handover, key, *out));
      if (days < 1 || days > 3650) {
        return file.ErrorAt(handover[key], std::string(key) + " must be between 1 and 3650");
      }
      *out = static_cast<int>(days);
    }
    if (settings.fetch_within_days > settings.expire_after_days) {
      return file.ErrorAt(handover, "fetch_within_days must not exceed expire_after_days");
    }
  }

  if (const YAML::Node inburgering = root["inburgering"]) {
    RETURN_IF_ERROR(file.OnlyKeys(inburgering, {"small_cell_threshold", "refresh_seconds",
                                                "publish_every_seconds", "publish_at"}));
    auto& settings = config.inburgering;
    ASSIGN_OR_RETURN(int64_t threshold, file.OptionalInt(inburgering, "small_cell_threshold",
                                                         settings.small_cell_threshold));
    if (threshold < 2 || threshold > 100) {
      return file.ErrorAt(inburgering["small_cell_threshold"], "must be between 2 and 100");
    }
    ASSIGN_OR_RETURN(int64_t refresh,
                     file.OptionalInt(inburgering, "refresh_seconds", settings.refresh_seconds));
    if (refresh < 10 || refresh > 86'400) {
      return file.ErrorAt(inburgering["refresh_seconds"], "must be between 10 and 86400");
    }
    ASSIGN_OR_RETURN(int64_t every, file.OptionalInt(inburgering, "publish_every_seconds",
                                                     settings.publish_every_seconds));
    if (every < 1 || every > 86'400 || 86'400 % every != 0) {
      return file.ErrorAt(inburgering["publish_every_seconds"],
                          "must divide a day (86400 seconds): 86400, 3600, 60, ...");
    }
    ASSIGN_OR_RETURN(std::string at, file.OptionalString(inburgering, "publish_at", "00:00"));
    const bool clock_time = at.size() == 5 && at[2] == ':' && std::isdigit(at[0]) &&
                            std::isdigit(at[1]) && std::isdigit(at[3]) && std::isdigit(at[4]);
    const int minutes =
        clock_time ? ((at[0] - '0') * 10 + (at[1] - '0')) * 60 + (at[3] - '0') * 10 + (at[4] - '0')
                   : -1;
    if (!clock_time || minutes >= 24 * 60 || at[3] > '5') {
      return file.ErrorAt(inburgering["publish_at"], "must be a time of day, HH:MM");
    }
    settings.small_cell_threshold = static_cast<int>(threshold);
    settings.refresh_seconds = static_cast<int>(refresh);
    settings.publish_every_seconds = static_cast<int>(every);
    settings.publish_at_minutes = minutes;
  }

  if (const YAML::Node limits = root["limits"]) {
    RETURN_IF_ERROR(file.OnlyKeys(
        limits, {"max_request_bytes", "max_metadata_value_bytes", "max_concurrent_streams",
                 "max_watch_streams_per_partner", "max_consents_per_subject", "max_audit_queue",
                 "call_workers", "max_queued_calls", "max_connection_age_seconds",
                 "max_connection_age_grace_seconds"}));
    GatewayConfig::Resources& resources = config.resources;
    struct Bound {
      const char* key;
      int* value;
      int64_t low;
      int64_t high;
    };
    for (const Bound& bound :
         {Bound{"max_concurrent_streams", &resources.max_concurrent_streams, 1, 10'000},
          Bound{"max_watch_streams_per_partner", &resources.max_watch_streams_per_partner, 1,
                10'000},
          Bound{"max_consents_per_subject", &resources.max_consents_per_subject, 1, 100'000},
          Bound{"max_audit_queue", &resources.max_audit_queue, 16, 10'000'000},
          Bound{"call_workers", &resources.call_workers, 1, 1'024},
          Bound{"max_queued_calls", &resources.max_queued_calls, 1, 1'000'000},
          Bound{"max_connection_age_seconds", &resources.max_connection_age_seconds, 1,
                30 * 86'400},
          Bound{"max_connection_age_grace_seconds", &resources.max_connection_age_grace_seconds, 0,
                3'600}}) {
      ASSIGN_OR_RETURN(const int64_t value, file.OptionalInt(limits, bound.key, *bound.value));
      if (value < bound.low || value > bound.high) {
        return file.ErrorAt(limits[bound.key], std::string("must be between ") +
                                                   std::to_string(bound.low) + " and " +
                                                   std::to_string(bound.high));
      }
      *bound.value = static_cast<int>(value);
    }
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
