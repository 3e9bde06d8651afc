// Who is calling: the organisation from the verified client certificate,
// and the human actor as asserted by that organisation in metadata.
#ifndef KETENPOORT_GATEWAY_SERVER_CALLER_H_
#define KETENPOORT_GATEWAY_SERVER_CALLER_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "gateway/identity/partner_registry.h"
#include "gateway/identity/peer_certificate.h"
#include "gateway/identity/revocation_list.h"
#include "gateway/policy/policy_set.h"
#include "gateway/validate/request_limits.h"

namespace ketenpoort::server {

inline constexpr char kActorIdHeader[] = "x-actor-id";
inline constexpr char kActorRoleHeader[] = "x-actor-role";
inline constexpr char kRequestIdHeader[] = "x-request-id";
// Set by a subject portal: the subject id of the person signed in there.
// Only rules with requester_is_subject read it; it is not recorded (the
// audit entry already holds the subject's pseudonym).
inline constexpr char kAuthenticatedSubjectHeader[] = "x-authenticated-subject";

// One call's identity and the policy snapshot it was identified against.
// `partner` points into `policies`, so the Caller keeps the snapshot alive
// for the whole call: a reload (SIGHUP) during the call changes nothing
// under it.
struct Caller {
  std::shared_ptr<const policy::PolicySet> policies;
  identity::PeerCertificate certificate;
  // From the certificate's OIN only; nullptr when the OIN is unknown.
  const identity::Partner* partner = nullptr;
  std::string actor_id;
  std::string actor_role;
  std::string request_id;
  std::string authenticated_subject;
  // Why the call is refused although the caller is identified, audited
  // with the caller: PERMISSION_DENIED CERTIFICATE_REVOKED when a partner
  // CA revoked the certificate; INVALID_ARGUMENT BAD_METADATA (or
  // INVALID_SUBJECT_ID) when a header was not printable ASCII within its
  // limit (the bad value left out).
  absl::Status identity_error;
};

// UNAUTHENTICATED without a verified certificate. A header that is not
// printable ASCII within its limit, or an x-authenticated-subject that is
// not a subject id, sets `identity_error` (RequireKnownPartner returns it);
// x-authenticated-subject from any partner but a subject portal is dropped. Nothing in metadata can
// set `partner`. Every service identifies its callers here, once per call.
// `revoked` may be null (no revocation lists configured).
absl::StatusOr<Caller> IdentifyCaller(const grpc::ServerContextBase& context,
                                      std::shared_ptr<const policy::PolicySet> policies,
                                      const validate::RequestLimits& limits,
                                      const identity::RevocationList* revoked = nullptr);

// OK when a metadata value the gateway reads and records is printable
// ASCII (0x20-0x7E) within `limit`: proto3 strings in audit entries must be
// UTF-8, and gRPC servers accept any byte. Otherwise INVALID_ARGUMENT
// BAD_METADATA naming the header, never echoing the value.
absl::Status CheckMetadataValue(std::string_view key, std::string_view value, size_t limit);

// A request to assert `fact` about `subject_id` by this caller (who, role,
// the person signed in); the service fills in what it knows of the fact.
policy::AssertionRequest AssertionBy(const Caller& caller, policy::Fact fact,
                                     std::string_view subject_id, const policy::Facts* facts);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_CALLER_H_
