// The assembled gateway: stores, policies, sources and the gRPC server,
// built from a GatewayConfig. main() only parses flags and signals.
#ifndef KETENPOORT_GATEWAY_SERVER_GATEWAY_H_
#define KETENPOORT_GATEWAY_SERVER_GATEWAY_H_

#include <grpcpp/server.h>

#include <chrono>
#include <memory>
#include <stop_token>

#include "absl/status/statusor.h"
#include "gateway/audit/access_report.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/config/gateway_config.h"
#include "gateway/consent/consent_registry.h"
#include "gateway/identity/revocation_list.h"
#include "gateway/inburgering/progress_projection.h"
#include "gateway/inburgering/progress_projector.h"
#include "gateway/inburgering/publication.h"
#include "gateway/relationships/relationship_registry.h"
#include "gateway/server/active_tls_files.h"
#include "gateway/server/audit_service.h"
#include "gateway/server/consent_service.h"
#include "gateway/server/dossier_service.h"
#include "gateway/server/handover_service.h"
#include "gateway/server/inburgering_service.h"
#include "gateway/server/registry_facts.h"
#include "gateway/server/relationship_service.h"
#include "gateway/server/retention_schedule.h"

namespace ketenpoort::server {

class Gateway {
 public:
  // Loads and validates everything; refuses to build on any error.
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(const config::GatewayConfig& config);
  ~Gateway();

  // Binds and starts serving. The chosen port is port() (useful with :0).
  absl::Status Start();
  int port() const { return port_; }

  // Re-reads the policy directory; on error the old set stays active.
  absl::Status ReloadPolicies();
  // Re-reads the server key and certificate, the client CA bundle and the
  // CRL files, and puts them in force together or not at all: a new CA
  // trusted without its revocation lists, or lists held to a bundle no
  // longer in force, would let a revoked certificate in. On error the old
  // set stays active. New handshakes use the new files within a second;
  // the next call of a certificate revoked now is refused, on an open
  // connection too.
  absl::Status ReloadTrust();
  // Removes the content of audit entries past the retention period (their
  // leaf hashes stay), and expires and purges hand-overs. Start() runs it
  // in the background, at once and then hourly; `stop` ends it early.
  absl::Status ApplyRetention(std::stop_token stop = {});

  // Stops accepting calls and waits up to `grace` for calls in flight.
  void Shutdown(std::chrono::milliseconds grace);
  void Wait();

 private:
  Gateway() = default;
  // The CRL files, each held to the client CA bundle `bundle_pem` (see
  // RevocationList::Load for `skip_foreign`).
  absl::StatusOr<std::shared_ptr<const identity::RevocationList>> LoadRevocationLists(
      const std::string& bundle_pem, bool skip_foreign) const;
  // Replaces the lists in force and ends open Watch streams of revoked
  // certificates.
  void PutInForce(std::shared_ptr<const identity::RevocationList> lists);

  config::GatewayConfig config_;
  SystemClock clock_;
  std::unique_ptr<PolicyHolder> policies_;
  std::unique_ptr<identity::RevocationHolder> revocations_;
  std::unique_ptr<ActiveTlsFiles> active_tls_;
  std::unique_ptr<audit::AuditLog> audit_;
  // After the audit log: destroyed first, so a source's answer still in
  // flight (its destructor waits for them) appends to a live log.
  std::unique_ptr<sources::SourceRouter> sources_;
  std::unique_ptr<audit::AuditReader> audit_reader_;
  std::unique_ptr<audit::AccessReportCatalogues> access_reports_;
  // Declared first, destroyed last: the pseudonymizer and the consents
  // ask it which identifiers are one person.
  std::unique_ptr<relationships::RelationshipRegistry> relationships_;
  std::unique_ptr<audit::Pseudonymizer> pseudonymizer_;
  std::unique_ptr<consent::ConsentRegistry> consents_;
  std::unique_ptr<RegistryFacts> facts_;
  // Declared after the registries it reads, so it stops before they go.
  std::unique_ptr<inburgering::ProgressProjection> progress_;
  std::unique_ptr<inburgering::ProgressProjector> projector_;
  std::unique_ptr<inburgering::AggregatePublisher> publisher_;
  // Declared before the services and the server: destroyed after them, so
  // every call it accepted is finished while the server drains.
  std::unique_ptr<CallWorkers> call_workers_;
  std::unique_ptr<DossierService> dossier_service_;
  std::unique_ptr<ConsentService> consent_service_;
  std::unique_ptr<RelationshipService> relationship_service_;
  std::unique_ptr<AuditService> audit_service_;
  std::unique_ptr<HandoverService> handover_service_;  // null when not configured
  std::unique_ptr<InburgeringService> inburgering_service_;
  std::unique_ptr<grpc::Server> server_;
  // After everything its runs use, so it stops before they go.
  std::unique_ptr<RetentionSchedule> retention_;
  int port_ = 0;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_GATEWAY_H_
