// The request path for DossierService.GetRecord, in the order it runs:
//
//   identity -> validate -> decide -> fetch -> filter -> audit -> respond
//
// Every request that reaches this handler leaves exactly one audit entry,
// whatever its outcome. The response is released only from the audit
// log's callback, after its entry is durable; if the audit write fails the
// caller gets UNAVAILABLE and no data (fail closed).
#ifndef KETENPOORT_GATEWAY_SERVER_GET_RECORD_HANDLER_H_
#define KETENPOORT_GATEWAY_SERVER_GET_RECORD_HANDLER_H_

#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/pseudonymizer.h"
#include "gateway/common/clock.h"
#include "gateway/policy/facts.h"
#include "gateway/records/record_catalog.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/call_workers.h"
#include "gateway/server/caller.h"
#include "gateway/server/policy_holder.h"
#include "gateway/sources/source_router.h"
#include "gateway/validate/request_limits.h"
#include "ketenpoort/v1/dossier.pb.h"

namespace ketenpoort::server {

// Everything a handler needs; owned elsewhere, outlives the handler.
struct GatewayServices {
  const records::RecordCatalog* catalog = nullptr;
  PolicyHolder* policies = nullptr;
  const sources::SourceRouter* sources = nullptr;
  audit::AuditLog* audit = nullptr;
  const audit::Pseudonymizer* pseudonymizer = nullptr;
  const policy::Facts* facts = nullptr;
  // Key for per-recipient pseudonyms in released records (never logged).
  std::string recipient_pseudonym_key;
  const Clock* clock = nullptr;
  validate::RequestLimits limits;
  // Where calls that wait (fsync, sources) run; null: on the gRPC thread.
  CallWorkers* workers = nullptr;
  // Certificates the partner CAs revoked; null: none configured.
  const identity::RevocationHolder* revocations = nullptr;

  // Who is calling, against `policies` (default: the current set) and the
  // current revocation lists. Every service identifies its callers here.
  absl::StatusOr<Caller> Identify(
      const grpc::ServerContextBase& context,
      std::shared_ptr<const policy::PolicySet> against = nullptr) const {
    if (!against) against = policies->Current();
    const std::shared_ptr<const identity::RevocationList> revoked =
        revocations ? revocations->Current() : nullptr;
    return IdentifyCaller(context, std::move(against), limits, revoked.get());
  }

  CallAudit CallAuditor() const { return CallAudit(audit, pseudonymizer, clock, policies); }
};

using Done = std::function<void(absl::Status)>;

inline constexpr char kGetRecordMethod[] = "/ketenpoort.v1.DossierService/GetRecord";

class GetRecordHandler {
 public:
  // `method` is what the audit entries record as the call; other services
  // that answer through this path name themselves.
  explicit GetRecordHandler(const GatewayServices& services, std::string method = kGetRecordMethod)
      : services_(services), method_(std::move(method)) {}

  // `caller` is the outcome of identification against `policies` (the one
  // snapshot used for the whole request): when identification itself
  // failed, pass that status (it is audited and returned). `done` is called
  // exactly once, possibly on another thread. `deadline` is the caller's,
  // passed on to the source. `request`, `response` and this handler must
  // live until then.
  void Handle(const std::shared_ptr<const policy::PolicySet>& policies,
              const absl::StatusOr<Caller>& caller, const v1::GetRecordRequest& request,
              std::chrono::system_clock::time_point deadline, v1::GetRecordResponse* response,
              Done done) const;

 private:
  absl::Status Validate(const v1::GetRecordRequest& request) const;
  // Steps 5 to 7 once the source has answered: filter, audit, respond.
  void Release(const policy::PolicySet& policies, const policy::Rule& rule,
               const identity::Partner& partner, int64_t today,
               const google::protobuf::Message& record, v1::AuditEntry entry,
               v1::GetRecordResponse* response, Done done) const;
  // Audits `entry` and then reports `error`; or, if the audit write fails,
  // reports UNAVAILABLE instead.
  void AuditThenFail(v1::AuditEntry entry, absl::Status error, Done done) const;

  GatewayServices services_;
  std::string method_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_GET_RECORD_HANDLER_H_
