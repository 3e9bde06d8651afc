// The gateway's configuration file (YAML). Relative paths are resolved
// against the directory of the config file, so a config and its
// certificates can move together.
#ifndef KETENPOORT_GATEWAY_CONFIG_GATEWAY_CONFIG_H_
#define KETENPOORT_GATEWAY_CONFIG_GATEWAY_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/source_adapter.h"
#include "gateway/validate/request_limits.h"

namespace ketenpoort::config {

struct TlsConfig {
  std::string server_cert;
  std::string server_key;
  std::string client_ca;  // only partners whose certificates chain to this CA get in
  // Certificate revocation lists (PEM or DER, one or more per file, of any
  // CA in client_ca), read at start and on SIGHUP: a revoked certificate
  // gets no answer but PERMISSION_DENIED CERTIFICATE_REVOKED.
  std::vector<std::string> crl_files;
};

struct GatewayConfig {
  std::string listen = "127.0.0.1:50051";
  TlsConfig tls;
  std::string policies_dir;
  std::string audit_database;
  std::string pseudonym_key_file;
  // Ed25519 key (PEM) that signs checkpoints, and the log's origin line,
  // which is also the key's name.
  std::string checkpoint_key_file;
  // The last signed checkpoint, kept outside the store so a restored older
  // store is refused. Default: beside the signing key, "<key>.head".
  std::string audit_head_file;
  std::string audit_origin = "ketenpoort.localhost/audit";
  // Entries older than this lose their content (NEN 7513: 5 years).
  int retention_days = 1826;
  // Consents and relationships (SQLite).
  std::string state_database;
  std::vector<adapters::SourceConfig> sources;
  validate::RequestLimits limits;
  // Bounds on what partners may hold open or pile up (limits: in the file).
  // Each one reached is answered RESOURCE_EXHAUSTED with an ErrorInfo.
  struct Resources {
    int max_concurrent_streams = 100;       // per connection (HTTP/2 setting)
    int max_watch_streams_per_partner = 8;  // open HandoverService.Watch streams
    int max_consents_per_subject = 200;     // consents and objections in force
    int max_audit_queue = 65536;            // entries waiting for a commit
    // Threads for calls that wait (commits, sources, the state database),
    // and how many calls may wait for one of them (then SERVER_BUSY).
    int call_workers = 32;
    int max_queued_calls = 4096;
    // A connection is closed after this long (then `grace` for calls in
    // flight), so an expired or replaced certificate loses it too.
    int max_connection_age_seconds = 900;
    int max_connection_age_grace_seconds = 30;
  } resources;
  // Hand-overs; without a database the HandoverService is not offered.
  struct Handover {
    std::string database;
    std::string master_key_file;  // 64 hex digits; wraps every package's data key
    int fetch_within_days = 14;
    int expire_after_days = 60;
    int retention_days_after_ack = 30;
  } handover;
  // Lists and aggregates of inburgering progress (the projection).
  struct Inburgering {
    int small_cell_threshold = 5;  // counts 1 .. threshold-1 are never shown
    int refresh_seconds = 900;     // full rebuild from the sources
    // Aggregates are published at fixed moments: every this many seconds
    // (dividing a day) from `publish_at` local time (Europe/Amsterdam).
    int publish_every_seconds = 86'400;
    int publish_at_minutes = 0;  // "00:00"
  } inburgering;
};

// Errors name file and line.
absl::StatusOr<GatewayConfig> LoadGatewayConfig(const std::string& path);

}  // namespace ketenpoort::config

#endif  // KETENPOORT_GATEWAY_CONFIG_GATEWAY_CONFIG_H_
