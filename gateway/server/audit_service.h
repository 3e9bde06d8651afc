// gRPC AuditService: checkpoints and proofs for anyone who must be able to
// trust the log; entries, queries and subject access reports for those who
// must read it.
//
// Who may do what:
//   GetCheckpoint, GetInclusionProof,
//   GetConsistencyProof              any known partner (hashes only)
//   GetEntry, Query                  privacy officers: entries in which the
//                                    organisation they oversee is requester
//                                    or source; supervisors: all entries
//   GetSubjectAccessReport           supervisors: complete; privacy
//                                    officers: scoped as their Query is;
//                                    the subject portal: the person signed
//                                    in, complete
// Every query and report is recorded in the log before it is answered, and
// every refused read too (AUDIT_READ_NOT_ENTITLED, NOT_THE_SUBJECT,
// UNKNOWN_PARTNER).
#ifndef KETENPOORT_GATEWAY_SERVER_AUDIT_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_AUDIT_SERVICE_H_

#include "gateway/audit/access_report.h"
#include "gateway/audit/audit_reader.h"
#include "gateway/server/get_record_handler.h"
#include "ketenpoort/v1/audit.grpc.pb.h"

namespace ketenpoort::server {

class AuditService final : public v1::AuditService::CallbackService {
 public:
  AuditService(const GatewayServices& services, audit::AuditReader* reader,
               const audit::AccessReportCatalogues* catalogues)
      : services_(services),
        audit_(services.CallAuditor()),
        reader_(reader),
        catalogues_(catalogues) {
    ServeDecodedRequests();
  }

  grpc::ServerUnaryReactor* GetCheckpoint(grpc::CallbackServerContext* context,
                                          const v1::GetCheckpointRequest* request,
                                          v1::GetCheckpointResponse* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* context,
                                              const v1::GetInclusionProofRequest* request,
                                              v1::GetInclusionProofResponse* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* context,
                                                const v1::GetConsistencyProofRequest* request,
                                                v1::GetConsistencyProofResponse* response) override;
  grpc::ServerUnaryReactor* GetEntry(grpc::CallbackServerContext* context,
                                     const v1::GetEntryRequest* request,
                                     v1::GetEntryResponse* response) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* context,
                                  const v1::AuditQueryRequest* request,
                                  v1::AuditQueryResponse* response) override;
  grpc::ServerUnaryReactor* GetSubjectAccessReport(grpc::CallbackServerContext* context,
                                                   const v1::SubjectAccessReportRequest* request,
                                                   v1::SubjectAccessReport* response) override;
  grpc::ServerUnaryReactor* ReviewBreakGlass(grpc::CallbackServerContext* context,
                                             const v1::ReviewBreakGlassRequest* request,
                                             v1::ReviewBreakGlassResponse* response) override;

  // The pure operations, for tests and the reactors above.
  absl::Status DoGetCheckpoint(const absl::StatusOr<Caller>& caller,
                               v1::GetCheckpointResponse* response);
  absl::Status DoGetInclusionProof(const absl::StatusOr<Caller>& caller,
                                   const v1::GetInclusionProofRequest& request,
                                   v1::GetInclusionProofResponse* response);
  absl::Status DoGetConsistencyProof(const absl::StatusOr<Caller>& caller,
                                     const v1::GetConsistencyProofRequest& request,
                                     v1::GetConsistencyProofResponse* response);
  absl::Status DoGetEntry(const absl::StatusOr<Caller>& caller, const v1::GetEntryRequest& request,
                          v1::GetEntryResponse* response);
  absl::Status DoQuery(const absl::StatusOr<Caller>& caller, const v1::AuditQueryRequest& request,
                       v1::AuditQueryResponse* response);
  absl::Status DoGetSubjectAccessReport(const absl::StatusOr<Caller>& caller,
                                        const v1::SubjectAccessReportRequest& request,
                                        v1::SubjectAccessReport* response);
  absl::Status DoReviewBreakGlass(const absl::StatusOr<Caller>& caller,
                                  const v1::ReviewBreakGlassRequest& request,
                                  v1::ReviewBreakGlassResponse* response);

 private:
  // Registers every unary method as a raw-bytes handler (decoded_call.h).
  void ServeDecodedRequests();
  absl::StatusOr<Caller> Identify(grpc::CallbackServerContext* context) const;
  // Records a read of the log (who, what kind, how many) before answering.
  absl::Status RecordRead(const Caller& caller, const std::string& method,
                          const std::string& subject_pseudonym, v1::Purpose purpose,
                          const std::string& detail) const;
  v1::AuditEntry ReadEntry(const absl::StatusOr<Caller>& caller, const std::string& method,
                           std::string_view subject_id, v1::Purpose purpose) const;
  // Records a refused read, then returns `error` (or AUDIT_UNAVAILABLE).
  absl::Status Refused(const absl::StatusOr<Caller>& caller, const std::string& method,
                       std::string_view subject_id, const absl::Status& error) const;
  // Every call's refusal is recorded here, once, whatever refused it (scope,
  // bad input, a store error): the Do* methods only return their error. An
  // audit failure is passed on as it is: it could not be recorded anyway.
  absl::Status AuditedRefusal(const absl::StatusOr<Caller>& caller, const std::string& method,
                              std::string_view subject_id, absl::Status outcome) const;

  GatewayServices services_;
  CallAudit audit_;
  audit::AuditReader* reader_;
  const audit::AccessReportCatalogues* catalogues_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_AUDIT_SERVICE_H_
