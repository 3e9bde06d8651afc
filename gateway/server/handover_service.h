// gRPC HandoverService: the warme overdracht (proto/ketenpoort/v1/handover.proto).
//
// Send runs the request path of GetRecord for the recipient, then stores
// the filtered package sealed (envelope.h):
//   identity -> validate -> owner of the source -> fetch (the sender's own
//   source) -> decide (for the recipient) -> filter -> audit -> seal and
//   store -> notify
// Fetch checks the policy again for the fetching actor, so a consent
// revoked after Send stops delivery; under a policy set reloaded since Send
// it releases only what the current rule releases too; only an actor with
// the recipient role named at Send gets it; the release is audited before
// it leaves. A hand-over is visible only to its sender and its recipient;
// to anyone else it does not exist (NOT_FOUND).
#ifndef KETENPOORT_GATEWAY_SERVER_HANDOVER_SERVICE_H_
#define KETENPOORT_GATEWAY_SERVER_HANDOVER_SERVICE_H_

#include <functional>
#include <memory>

#include "gateway/handover/envelope.h"
#include "gateway/handover/handover_store.h"
#include "gateway/server/get_record_handler.h"
#include "gateway/server/handover_watch.h"
#include "ketenpoort/v1/handover.grpc.pb.h"

namespace ketenpoort::server {

struct HandoverSettings {
  int fetch_within_days = 14;             // later than this and not fetched: overdue
  int expire_after_days = 60;             // later than this and not fetched: expired, purged
  int retention_days_after_ack = 30;      // the package is purged this long after acknowledgement
  int max_watch_streams_per_partner = 8;  // beyond: RESOURCE_EXHAUSTED TOO_MANY_WATCH_STREAMS
};

class HandoverService final : public v1::HandoverService::CallbackService {
 public:
  HandoverService(const GatewayServices& services, std::unique_ptr<handover::HandoverStore> store,
                  handover::MasterKey master_key, HandoverSettings settings);

  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext* context,
                                 const v1::SendHandoverRequest* request,
                                 v1::Handover* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetHandoverRequest* request,
                                      v1::Handover* response) override;
  grpc::ServerUnaryReactor* Withdraw(grpc::CallbackServerContext* context,
                                     const v1::GetHandoverRequest* request,
                                     v1::Handover* response) override;
  grpc::ServerUnaryReactor* ListOverdue(grpc::CallbackServerContext* context,
                                        const v1::ListOverdueRequest* request,
                                        v1::ListHandoversResponse* response) override;
  // Registered raw (decision 0024): decodes the request itself.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchRaw(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request_bytes);
  grpc::ServerUnaryReactor* ListPending(grpc::CallbackServerContext* context,
                                        const v1::ListPendingRequest* request,
                                        v1::ListHandoversResponse* response) override;
  grpc::ServerUnaryReactor* Fetch(grpc::CallbackServerContext* context,
                                  const v1::GetHandoverRequest* request,
                                  v1::FetchHandoverResponse* response) override;
  grpc::ServerUnaryReactor* Acknowledge(grpc::CallbackServerContext* context,
                                        const v1::GetHandoverRequest* request,
                                        v1::Handover* response) override;
  grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context,
                                   const v1::RefuseHandoverRequest* request,
                                   v1::Handover* response) override;

  // Expires hand-overs not fetched in time and purges packages past their
  // retention; each is audited. Runs in the background (decision 0018);
  // every look at one hand-over also applies its dates (ApplyDueRetention).
  absl::Status ApplyRetention();
  // Ends every Watch stream, before the server drains.
  void CloseStreams() { hub_.CloseAll(); }
  // Has every open Watch stream check its certificate again (after a
  // revocation list reload).
  void RecheckStreams() { hub_.WakeAll(); }

  absl::Status DoSend(const absl::StatusOr<Caller>& caller, const v1::SendHandoverRequest& request,
                      std::chrono::system_clock::time_point deadline, v1::Handover* response);
  absl::Status DoFetch(const absl::StatusOr<Caller>& caller, const v1::GetHandoverRequest& request,
                       v1::FetchHandoverResponse* response);
  absl::Status DoGetStatus(const absl::StatusOr<Caller>& caller,
                           const v1::GetHandoverRequest& request, v1::Handover* response);
  absl::Status DoAcknowledge(const absl::StatusOr<Caller>& caller,
                             const v1::GetHandoverRequest& request, v1::Handover* response);
  absl::Status DoWithdraw(const absl::StatusOr<Caller>& caller,
                          const v1::GetHandoverRequest& request, v1::Handover* response);
  // Pending hand-overs for the caller to fetch; those it sent that are overdue.
  absl::Status DoListPending(const absl::StatusOr<Caller>& caller,
                             v1::ListHandoversResponse* response);
  absl::Status DoListOverdue(const absl::StatusOr<Caller>& caller,
                             v1::ListHandoversResponse* response);

 private:
  // Registers every unary method as a raw-bytes handler (decoded_call.h).
  void ServeDecodedRequests();
  absl::StatusOr<Caller> Identify(grpc::CallbackServerContext* context) const;
  // RequireKnownPartner, with a refusal audited.
  absl::Status RequirePartner(const absl::StatusOr<Caller>& caller,
                              const std::string& method) const;
  // Runs a change of one hand-over; a refusal it returns (not found, wrong
  // state, bad input) is audited, with the subject when `change` knows it.
  absl::Status AuditRefusal(
      const absl::StatusOr<Caller>& caller, const std::string& method,
      const std::function<absl::Status(std::string& subject_key)>& change) const;
  // PERMISSION_DENIED RECIPIENT_ROLE unless the caller's actor role is the
  // one named at Send (for Fetch, Acknowledge and Refuse).
  static absl::Status RequireRecipientRole(const Caller& caller, const v1::Handover& handover);
  absl::Status ValidateSend(const policy::PolicySet& policies,
                            const v1::SendHandoverRequest& request) const;
  // The hand-over if the caller is its sender (or recipient, when allowed);
  // NOT_FOUND otherwise, so others cannot even tell that it exists. Its
  // retention dates are applied first.
  absl::StatusOr<handover::StoredHandover> Visible(const Caller& caller, const std::string& id,
                                                   bool sender, bool recipient);
  // What retention owes a hand-over at `now`: nothing, its expiry (never
  // fetched in time) or the purge of its package (acknowledged long ago).
  enum class RetentionDue { kNothing, kExpiry, kPurge };
  RetentionDue DueAt(const handover::StoredHandover& stored, int64_t now) const;
  // Carries out what is due, audited as the gateway's own act: the dates
  // hold from the moment they pass, not from the next retention run.
  // Returns what was due (and is now done).
  absl::StatusOr<RetentionDue> ApplyDueRetention(handover::StoredHandover& stored);
  // Moves a hand-over to `to` (compare-and-set from its current status),
  // audits it, optionally purging the package.
  absl::Status Transition(const Caller* caller, handover::StoredHandover& stored,
                          v1::HandoverStatus to, bool purge, const std::string& what);
  // A HANDOVER audit entry; AppendAndWait. Without a caller it is the gateway's own.
  absl::StatusOr<uint64_t> Audit(const Caller* caller, const std::string& method,
                                 const std::string& subject_pseudonym, v1::Purpose purpose,
                                 v1::AuditEntry::Decision decision, const std::string& reason,
                                 const std::string& detail);
  void MarkOverdue(v1::Handover& handover) const;
  // A hand-over as a caller sees it: overdue marked, the move date left out.
  void Present(v1::Handover& handover) const;
  // Adds the hand-overs of `pending` that have not expired (and, if
  // `only_overdue`, are overdue), marked overdue where they are.
  void AddStillPending(std::vector<handover::StoredHandover>& pending, bool only_overdue,
                       v1::ListHandoversResponse* response) const;

  GatewayServices services_;
  CallAudit audit_;
  std::unique_ptr<handover::HandoverStore> store_;
  handover::MasterKey master_key_;
  HandoverSettings settings_;
  WatchHub hub_;
};

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_HANDOVER_SERVICE_H_
