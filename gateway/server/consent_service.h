// gRPC ConsentService: grant, revoke, list and receipts. Grants and
// revocations are audited before they take effect; a revocation applies
// to the very next request.
//
// Who may do what:
//   Grant, Revoke   subject-facing partners (coa, gca, ggd, vwn, gemeente,
//                   huisarts, jgz) record on the person's behalf.
//   List, Receipt   only consents the caller recorded or receives.
#ifndef KETENPOORT_GATEWAY_SERVER_CONSENT_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_CONSENT_SERVICE_H_

#include "gateway/consent/consent_registry.h"
#include "gateway/server/change_audit.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/consent.grpc.pb.h"

namespace ketenpoort::server {

class ConsentService final : public v1::ConsentService::CallbackService {
 public:
  ConsentService(const GatewayServices& services, consent::ConsentRegistry* registry)
      : services_(services), registry_(registry) {}

  using v1::ConsentService::CallbackService::GetReceipt;
  using v1::ConsentService::CallbackService::Grant;
  using v1::ConsentService::CallbackService::List;
  using v1::ConsentService::CallbackService::Revoke;

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

 private:
  absl::StatusOr<Caller> Identify(grpc::CallbackServerContext* context) const;
  ChangeAuditor Auditor() const;
  bool Visible(const Caller& caller, const v1::Consent& consent) const;

  GatewayServices services_;
  consent::ConsentRegistry* registry_;
};

// The Kantara-style consent receipt for a consent, as JSON text.
std::string ConsentReceiptJson(const v1::Consent& consent,
                               const identity::PartnerRegistry& partners);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_CONSENT_SERVICE_H_
