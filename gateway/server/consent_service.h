// gRPC ConsentService: grant, revoke, list and receipts. Grants and
// revocations are audited before they take effect, refusals too; a
// revocation applies to the very next request.
//
// Who may do what:
//   Grant, Revoke   whoever policies/assertions.yaml entitles (facts
//                   consent, objection, revocation); never a recipient for
//                   itself. A revoke the caller may not make answers the
//                   same CONSENT_NOT_FOUND as an id that does not exist.
//   List, Receipt   consents the caller recorded, permissions naming it;
//                   at the subject portal, every consent of the person
//                   signed in. Each read of a person's consents is audited.
//   WhoMaySee       the person signed in at the subject portal, and a
//                   supervisor; audited as a read of the person's data.
#ifndef KETENPOORT_GATEWAY_SERVER_CONSENT_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_CONSENT_SERVICE_H_

#include "gateway/audit/access_report.h"
#include "gateway/consent/consent_registry.h"
#include "gateway/server/call_audit.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/consent.grpc.pb.h"

namespace ketenpoort::server {

class ConsentService final : public v1::ConsentService::CallbackService {
 public:
  // At most `max_per_subject` consents and objections in force per person.
  ConsentService(const GatewayServices& services, consent::ConsentRegistry* registry,
                 int max_per_subject, const audit::AccessReportCatalogues* catalogues)
      : services_(services),
        audit_(services.CallAuditor()),
        registry_(registry),
        max_per_subject_(max_per_subject),
        catalogues_(catalogues) {
    ServeDecodedRequests();
  }

  using v1::ConsentService::CallbackService::GetReceipt;
  using v1::ConsentService::CallbackService::Grant;
  using v1::ConsentService::CallbackService::List;
  using v1::ConsentService::CallbackService::Revoke;
  using v1::ConsentService::CallbackService::WhoMaySee;

  grpc::ServerUnaryReactor* Grant(grpc::CallbackServerContext* context,
                                  const v1::GrantConsentRequest* request,
                                  v1::Consent* response) override;
  grpc::ServerUnaryReactor* Revoke(grpc::CallbackServerContext* context,
                                   const v1::RevokeConsentRequest* request,
                                   v1::Consent* response) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* context,
                                 const v1::ListConsentsRequest* request,
                                 v1::ListConsentsResponse* response) override;
  grpc::ServerUnaryReactor* GetReceipt(grpc::CallbackServerContext* context,
                                       const v1::GetConsentReceiptRequest* request,
                                       v1::ConsentReceipt* response) override;
  grpc::ServerUnaryReactor* WhoMaySee(grpc::CallbackServerContext* context,
                                      const v1::WhoMaySeeRequest* request,
                                      v1::WhoMaySeeResponse* response) override;

  // The pure operations, for tests and the reactors above.
  absl::Status DoGrant(const absl::StatusOr<Caller>& caller, const v1::GrantConsentRequest& request,
                       v1::Consent* response);
  absl::Status DoRevoke(const absl::StatusOr<Caller>& caller,
                        const v1::RevokeConsentRequest& request, v1::Consent* response);
  absl::Status DoList(const absl::StatusOr<Caller>& caller, const v1::ListConsentsRequest& request,
                      v1::ListConsentsResponse* response);
  absl::Status DoGetReceipt(const absl::StatusOr<Caller>& caller,
                            const v1::GetConsentReceiptRequest& request,
                            v1::ConsentReceipt* response);
  absl::Status DoWhoMaySee(const absl::StatusOr<Caller>& caller,
                           const v1::WhoMaySeeRequest& request, v1::WhoMaySeeResponse* response);

 private:
  // Registers every unary method as a raw-bytes handler (decoded_call.h).
  void ServeDecodedRequests();
  absl::StatusOr<Caller> Identify(grpc::CallbackServerContext* context) const;
  bool Visible(const Caller& caller, const v1::Consent& consent) const;
  // Whether the caller may record `consent` (a permission or objection).
  policy::AssertionDecision MayRecord(const Caller& caller, const v1::Consent& consent) const;
  // Whether the caller's sources hold what `consent` covers: every covered
  // record type for a permission, at least one for an objection.
  bool CallerHoldsScope(const identity::Partner& partner, const v1::Consent& consent) const;

  GatewayServices services_;
  CallAudit audit_;
  consent::ConsentRegistry* registry_;
  const int max_per_subject_;
  const audit::AccessReportCatalogues* catalogues_;
};

// The Kantara-style consent receipt for a consent, as JSON text.
std::string ConsentReceiptJson(const v1::Consent& consent,
                               const identity::PartnerRegistry& partners);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_CONSENT_SERVICE_H_
