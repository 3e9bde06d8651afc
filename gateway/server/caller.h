// Who is calling: the organisation from the verified client certificate,
// and the human actor as asserted by that organisation in metadata.
#ifndef KETENPOORT_GATEWAY_SERVER_CALLER_H_
#define KETENPOORT_GATEWAY_SERVER_CALLER_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "gateway/identity/partner_registry.h"
#include "gateway/identity/peer_certificate.h"
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
};

// UNAUTHENTICATED without a verified certificate. Metadata values over
// the limit, and an x-authenticated-subject that is not a subject id, are
// INVALID_ARGUMENT; x-authenticated-subject from any partner but a subject
// portal is dropped. Nothing in metadata can set `partner`. Every service
// identifies its callers here, once per call.
absl::StatusOr<Caller> IdentifyCaller(const grpc::ServerContextBase& context,
                                      std::shared_ptr<const policy::PolicySet> policies,
                                      const validate::RequestLimits& limits);

// A request to assert `fact` about `subject_id` by this caller (who, role,
// the person signed in); the service fills in what it knows of the fact.
policy::AssertionRequest AssertionBy(const Caller& caller, policy::Fact fact,
                                     std::string_view subject_id, const policy::Facts* facts);

}  // namespace ketenpoort::server

#endif  // KETENPOORT_GATEWAY_SERVER_CALLER_H_
