#include "gateway/server/caller.h"

#include <atomic>
#include <random>

#include "gateway/common/crypto.h"
#include "gateway/common/error.h"
#include "gateway/common/status_macros.h"
#include "gateway/validate/subject_id.h"

namespace ketenpoort::server {
namespace {

absl::StatusOr<std::string> MetadataValue(const grpc::ServerContextBase& context, const char* key,
                                          size_t limit) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::string();
  if (it->second.size() > limit) {
    return MakeError(absl::StatusCode::kInvalidArgument, "METADATA_TOO_LARGE",
                     std::string(key) + " is longer than " + std::to_string(limit) + " bytes",
                     {{"header", key}});
  }
  return std::string(it->second.data(), it->second.size());
}

std::string NewRequestId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_salt = std::random_device{}();
  const uint64_t value = process_salt ^ (counter.fetch_add(1) * 0x9e3779b97f4a7c15ULL);
  return "kp-" +
         crypto::ToHex(std::string_view(reinterpret_cast<const char*>(&value), sizeof value));
}

}  // namespace

absl::StatusOr<Caller> IdentifyCaller(const grpc::ServerContextBase& context,
                                      std::shared_ptr<const policy::PolicySet> policies,
                                      const validate::RequestLimits& limits) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth) {
    return MakeError(absl::StatusCode::kUnauthenticated, "NO_CLIENT_CERTIFICATE",
                     "connection is not authenticated");
  }
  Caller caller;
  caller.policies = std::move(policies);
  ASSIGN_OR_RETURN(caller.certificate, identity::PeerCertificateFromAuthContext(*auth));
  caller.partner = caller.policies->partners().FindByOin(caller.certificate.oin);
  const size_t limit = limits.max_metadata_value_bytes;
  ASSIGN_OR_RETURN(caller.actor_id, MetadataValue(context, kActorIdHeader, limit));
  ASSIGN_OR_RETURN(caller.actor_role, MetadataValue(context, kActorRoleHeader, limit));
  ASSIGN_OR_RETURN(caller.request_id, MetadataValue(context, kRequestIdHeader, limit));
  if (caller.request_id.empty()) caller.request_id = NewRequestId();
  ASSIGN_OR_RETURN(caller.authenticated_subject,
                   MetadataValue(context, kAuthenticatedSubjectHeader, limit));
  if (!caller.authenticated_subject.empty()) {
    RETURN_IF_ERROR(validate::ValidateSubjectId(caller.authenticated_subject));
  }
  // Only a subject portal can say who is signed in; from anyone else the
  // header is not evidence of anything, so it is not passed on.
  if (caller.partner == nullptr || caller.partner->type != identity::PartnerType::kSubjectPortal) {
    caller.authenticated_subject.clear();
  }
  return caller;
}

policy::AssertionRequest AssertionBy(const Caller& caller, policy::Fact fact,
                                     std::string_view subject_id, const policy::Facts* facts) {
  policy::AssertionRequest request;
  request.fact = fact;
  request.partner = caller.partner;
  request.actor_role = caller.actor_role;
  request.subject_id = subject_id;
  request.authenticated_subject = caller.authenticated_subject;
  request.facts = facts;
  return request;
}

}  // namespace ketenpoort::server
