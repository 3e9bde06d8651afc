#include "gateway/server/gateway.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_builder.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "adapters/source_adapter.h"
#include "gateway/audit/sqlite_audit_store.h"
#include "gateway/common/crypto.h"
#include "gateway/common/ed25519.h"
#include "gateway/common/error.h"
#include "gateway/common/key_file.h"
#include "gateway/common/log.h"
#include "gateway/common/status_macros.h"

namespace ketenpoort::server {
namespace {

constexpr std::chrono::hours kRetentionInterval{1};

// Beside the audit store: state of this gateway, private to its user.
std::string ActiveTlsDirectory(const config::GatewayConfig& config) {
  return (std::filesystem::path(config.audit_database).parent_path() / "tls-active").string();
}

absl::StatusOr<std::string> ReadPem(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) {
    return MakeError(absl::StatusCode::kFailedPrecondition, "TLS_FILE_UNREADABLE",
                     "cannot read " + std::string(what) + " " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status AuditAdmin(audit::AuditLog& log, const Clock& clock, std::string detail,
                        const std::string& policy_version) {
  v1::AuditEntry entry;
  entry.set_kind(v1::AuditEntry::ADMIN);
  entry.set_time_unix_micros(clock.NowUnixMicros());
  entry.set_detail(std::move(detail));
  entry.set_policy_version(policy_version);
  return log.AppendAndWait(std::move(entry)).status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(const config::GatewayConfig& config) {
  std::unique_ptr<Gateway> gateway(new Gateway());
  gateway->config_ = config;
  const records::RecordCatalog& catalog = records::RecordCatalog::Builtin();

  ASSIGN_OR_RETURN(auto policies, policy::PolicySet::LoadDirectory(config.policies_dir, catalog));
  gateway->policies_ = std::make_unique<PolicyHolder>(std::move(policies));
  ASSIGN_OR_RETURN(gateway->active_tls_,
                   ActiveTlsFiles::Create(config.tls, ActiveTlsDirectory(config)));
  ASSIGN_OR_RETURN(const std::string bundle, ReadPem(gateway->active_tls_->ca_path(), "client CA"));
  ASSIGN_OR_RETURN(auto revoked, gateway->LoadRevocationLists(bundle, /*skip_foreign=*/false));
  gateway->revocations_ = std::make_unique<identity::RevocationHolder>(std::move(revoked));

  adapters::AdapterRegistry registry;
  adapters::RegisterBuiltinAdapters(registry);
  ASSIGN_OR_RETURN(auto router, sources::SourceRouter::Create(config.sources, registry, catalog));
  gateway->sources_ = std::make_unique<sources::SourceRouter>(std::move(router));

  // Every secret the gateway reads is private to its user, or it does not start.
  RETURN_IF_ERROR(RequirePrivateKeyFile(config.pseudonym_key_file, "pseudonym key"));
  RETURN_IF_ERROR(RequirePrivateKeyFile(config.checkpoint_key_file, "checkpoint signing key"));
  RETURN_IF_ERROR(RequirePrivateKeyFile(config.tls.server_key, "TLS server key"));
  if (!config.handover.database.empty()) {
    RETURN_IF_ERROR(RequirePrivateKeyFile(config.handover.master_key_file, "hand-over master key"));
  }
  ASSIGN_OR_RETURN(std::string key, crypto::ReadKeyFile(config.pseudonym_key_file));
  // The relationship registry knows which identifiers are one person
  // (decision 0028): consents and pseudonyms answer per person through it.
  ASSIGN_OR_RETURN(gateway->relationships_,
                   relationships::RelationshipRegistry::Open(config.state_database));
  gateway->pseudonymizer_ =
      std::make_unique<audit::Pseudonymizer>(key, gateway->relationships_.get());
  ASSIGN_OR_RETURN(gateway->consents_, consent::ConsentRegistry::Open(
                                           config.state_database, gateway->relationships_.get()));
  gateway->facts_ =
      std::make_unique<RegistryFacts>(gateway->relationships_.get(), gateway->consents_.get());

  for (const std::string& owner : gateway->sources_->Owners()) {
    if (gateway->policies_->Current()->partners().FindById(owner) == nullptr) {
      return MakeError(absl::StatusCode::kInvalidArgument, "BAD_CONFIG",
                       "source owner '" + owner + "' is not a partner in partners.yaml");
    }
  }

  ASSIGN_OR_RETURN(auto signing_key,
                   crypto::Ed25519PrivateKey::FromPemFile(config.checkpoint_key_file));
  ASSIGN_OR_RETURN(auto store, audit::SqliteAuditStore::Open(config.audit_database));
  ASSIGN_OR_RETURN(
      gateway->audit_,
      audit::AuditLog::Open(std::move(store),
                            audit::CheckpointSigner(config.audit_origin, std::move(signing_key)),
                            {.max_queue = static_cast<size_t>(config.resources.max_audit_queue),
                             .head_file = config.audit_head_file}));
  ASSIGN_OR_RETURN(gateway->audit_reader_, audit::AuditReader::Open(config.audit_database));
  ASSIGN_OR_RETURN(gateway->access_reports_,
                   audit::AccessReportCatalogues::LoadDirectory(config.policies_dir + "/messages"));

  GatewayServices services;
  services.catalog = &catalog;
  services.policies = gateway->policies_.get();
  services.revocations = gateway->revocations_.get();
  services.sources = gateway->sources_.get();
  services.audit = gateway->audit_.get();
  services.pseudonymizer = gateway->pseudonymizer_.get();
  services.facts = gateway->facts_.get();
  // A separate key per use: recipient pseudonyms must not be linkable to
  // the audit log's subject pseudonyms.
  const crypto::Sha256Digest recipient_key = crypto::HmacSha256(key, "recipient-pseudonyms");
  services.recipient_pseudonym_key = std::string(crypto::AsBytes(recipient_key));
  services.clock = &gateway->clock_;
  services.limits = config.limits;
  gateway->call_workers_ =
      std::make_unique<CallWorkers>(static_cast<size_t>(config.resources.call_workers),
                                    static_cast<size_t>(config.resources.max_queued_calls));
  services.workers = gateway->call_workers_.get();
  gateway->dossier_service_ = std::make_unique<DossierService>(services);
  gateway->consent_service_ = std::make_unique<ConsentService>(
      services, gateway->consents_.get(), config.resources.max_consents_per_subject,
      gateway->access_reports_.get());
  gateway->relationship_service_ =
      std::make_unique<RelationshipService>(services, gateway->relationships_.get());
  gateway->audit_service_ = std::make_unique<AuditService>(services, gateway->audit_reader_.get(),
                                                           gateway->access_reports_.get());
  // The inburgering projection: keyed paging order under its own key, kept
  // current from the sources, and refreshed per person on a koppeling change.
  const crypto::Sha256Digest paging_key = crypto::HmacSha256(key, "inburgering-paging");
  gateway->progress_ =
      std::make_unique<inburgering::ProgressProjection>(std::string(crypto::AsBytes(paging_key)));
  gateway->projector_ = std::make_unique<inburgering::ProgressProjector>(
      gateway->progress_.get(), gateway->relationships_.get(), gateway->sources_.get(),
      &gateway->clock_,
      inburgering::ProjectorSettings{.interval =
                                         std::chrono::seconds(config.inburgering.refresh_seconds)});
  gateway->relationships_->OnKoppelingChanged(
      [projector = gateway->projector_.get()](const std::string& subject_id) {
        projector->Refresh(subject_id);
      });
  gateway->publisher_ = std::make_unique<inburgering::AggregatePublisher>(
      gateway->progress_.get(), &gateway->clock_, config.inburgering.small_cell_threshold,
      inburgering::PublicationSchedule{
          .every = std::chrono::seconds(config.inburgering.publish_every_seconds),
          .at_minutes = config.inburgering.publish_at_minutes});
  gateway->inburgering_service_ = std::make_unique<InburgeringService>(
      services, gateway->progress_.get(), gateway->publisher_.get());
  if (!config.handover.database.empty()) {
    ASSIGN_OR_RETURN(auto master_key, handover::MasterKey::Load(config.handover.master_key_file));
    ASSIGN_OR_RETURN(auto handovers, handover::HandoverStore::Open(config.handover.database));
    gateway->handover_service_ = std::make_unique<HandoverService>(
        services, std::move(handovers), std::move(master_key),
        HandoverSettings{
            .fetch_within_days = config.handover.fetch_within_days,
            .expire_after_days = config.handover.expire_after_days,
            .retention_days_after_ack = config.handover.retention_days_after_ack,
            .max_watch_streams_per_partner = config.resources.max_watch_streams_per_partner});
  }
  return gateway;
}

Gateway::~Gateway() {
  if (server_) Shutdown(std::chrono::milliseconds(0));
}

absl::Status Gateway::Start() {
  // The server reads its key, certificate and client CA bundle from the
  // checked copies, every second, so that a reload reaches new handshakes.
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      active_tls_->key_path(), active_tls_->cert_path(), active_tls_->ca_path(),
      /*refresh_interval_sec=*/1);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);

  // The audit log records when the gateway starts, and with which policy.
  RETURN_IF_ERROR(AuditAdmin(*audit_, clock_, "gateway started", policies_->Current()->version()));
  // Builds in the background; lists answer PROJECTION_NOT_READY until then.
  projector_->Start();
  publisher_->Start();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, grpc::experimental::TlsServerCredentials(tls), &port_);
  builder.RegisterService(dossier_service_.get());
  builder.RegisterService(consent_service_.get());
  builder.RegisterService(relationship_service_.get());
  builder.RegisterService(audit_service_.get());
  builder.RegisterService(inburgering_service_.get());
  if (handover_service_) builder.RegisterService(handover_service_.get());
  // A hard cap well above any valid request; the handler's own limit gives
  // the precise INVALID_ARGUMENT below it.
  builder.SetMaxReceiveMessageSize(64 * 1024);
  // Bounds per connection: streams open at once, and a lifetime, after
  // which the client reconnects and its certificate is checked afresh.
  const config::GatewayConfig::Resources& resources = config_.resources;
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, resources.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             resources.max_connection_age_seconds * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             resources.max_connection_age_grace_seconds * 1000);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return MakeError(absl::StatusCode::kUnavailable, "LISTEN_FAILED",
                     "cannot listen on " + config_.listen);
  }
  log::Info("listening", {{"address", config_.listen},
                          {"port", port_},
                          {"policy_version", policies_->Current()->version()}});
  // Once serving: a backlog to prune (a first start with retention, a
  // long downtime) must not keep the gateway from answering.
  retention_ = std::make_unique<RetentionSchedule>(
      [this](std::stop_token stop) { return ApplyRetention(std::move(stop)); }, kRetentionInterval);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const identity::RevocationList>> Gateway::LoadRevocationLists(
    const std::string& bundle_pem, bool skip_foreign) const {
  const std::shared_ptr<const identity::RevocationList> in_force =
      revocations_ ? revocations_->Current() : nullptr;
  ASSIGN_OR_RETURN(auto revoked, identity::RevocationList::Load(config_.tls.crl_files, bundle_pem,
                                                                in_force.get(), skip_foreign));
  for (const std::string& stale : revoked->stale_files()) {
    log::Error("crl_stale", {{"file", stale}, {"reason", "past its nextUpdate; still applied"}});
  }
  for (const std::string& skipped : revoked->skipped_files()) {
    log::Error("crl_skipped",
               {{"file", skipped}, {"reason", "its CA is not in the client CA bundle in force"}});
  }
  return revoked;
}

void Gateway::PutInForce(std::shared_ptr<const identity::RevocationList> lists) {
  const size_t revoked = lists->size();
  revocations_->Replace(std::move(lists));
  if (handover_service_) handover_service_->RecheckStreams();
  log::Info("crl_reloaded", {{"revoked_certificates", revoked}});
}

absl::Status Gateway::ReloadTrust() {
  // A new bundle comes into force only with lists that hold for it, checked
  // against the very bytes put in force and swapped in with them (the file
  // watcher picks the bundle up within a second; the lists are in force at
  // once): a CA trusted without its revocation lists would let revoked
  // certificates in. Lists that hold for the bundle in force apply whatever
  // happens to the TLS files: a revocation must not wait for a server key.
  std::shared_ptr<const identity::RevocationList> accepted;
  const absl::Status tls = active_tls_->Reload([&](const std::string& bundle) -> absl::Status {
    absl::StatusOr<std::shared_ptr<const identity::RevocationList>> lists =
        LoadRevocationLists(bundle, /*skip_foreign=*/false);
    if (!lists.ok()) {
      return MakeError(absl::StatusCode::kFailedPrecondition, "BAD_CRL",
                       "the revocation lists do not load for the new client CA bundle: " +
                           std::string(lists.status().message()));
    }
    accepted = *std::move(lists);
    return absl::OkStatus();
  });
  if (tls.ok()) {
    PutInForce(std::move(accepted));
    log::Info("tls_reloaded");
    return AuditAdmin(*audit_, clock_,
                      "server certificate, client CA bundle and revocation lists reloaded: " +
                          std::to_string(revocations_->Current()->size()) +
                          " revoked certificate(s)",
                      policies_->Current()->version());
  }
  log::Error("tls_reload_rejected", {{"reason", std::string(tls.message())}});
  absl::StatusOr<std::string> in_force = ReadPem(active_tls_->ca_path(), "client CA");
  absl::StatusOr<std::shared_ptr<const identity::RevocationList>> lists =
      in_force.ok()
          ? LoadRevocationLists(*in_force, /*skip_foreign=*/true)
          : absl::StatusOr<std::shared_ptr<const identity::RevocationList>>(in_force.status());
  if (!lists.ok()) {
    log::Error("crl_reload_rejected", {{"reason", std::string(lists.status().message())}});
    return tls;
  }
  PutInForce(*std::move(lists));
  AuditAdmin(*audit_, clock_,
             "revocation lists reloaded (TLS files refused): " +
                 std::to_string(revocations_->Current()->size()) + " revoked certificate(s)",
             policies_->Current()->version())
      .IgnoreError();
  return tls;
}

absl::Status Gateway::ReloadPolicies() {
  auto next =
      policy::PolicySet::LoadDirectory(config_.policies_dir, records::RecordCatalog::Builtin());
  if (!next.ok()) {
    log::Error("policy_reload_rejected", {{"reason", std::string(next.status().message())}});
    return next.status();
  }
  const std::string version = (*next)->version();
  policies_->Replace(std::move(*next));
  log::Info("policy_reloaded", {{"policy_version", version}});
  return AuditAdmin(*audit_, clock_, "policy reloaded", version);
}

absl::Status Gateway::ApplyRetention(std::stop_token stop) {
  const int64_t now = clock_.NowUnixMicros();
  const int64_t cutoff = now - int64_t{config_.retention_days} * 86'400LL * 1'000'000LL;
  ASSIGN_OR_RETURN(const uint64_t pruned, audit_->PruneBefore(cutoff, now, stop));
  if (pruned > 0) log::Info("audit_retention_applied", {{"entries", pruned}});
  if (stop.stop_requested()) return absl::OkStatus();
  if (handover_service_) RETURN_IF_ERROR(handover_service_->ApplyRetention());
  return absl::OkStatus();
}

void Gateway::Shutdown(std::chrono::milliseconds grace) {
  // A prune in progress ends after its current step (decision 0018).
  retention_.reset();
  if (!server_) return;
  // Watch streams never end by themselves; end them so the drain can finish.
  if (handover_service_) handover_service_->CloseStreams();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
}

void Gateway::Wait() {
  if (server_) server_->Wait();
}

}  // namespace ketenpoort::server
