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
  const std::string_view value(it->second.data(), it->second.size());
  RETURN_IF_ERROR(CheckMetadataValue(key, value, limit));
  return std::string(value);
}

// Reads one header into `out`; a bad value leaves `out` empty and becomes
// the caller's metadata error (the first one found).
void ReadMetadata(const grpc::ServerContextBase& context, const char* key, size_t limit,
                  std::string& out, absl::Status& error) {
  absl::StatusOr<std::string> value = MetadataValue(context, key, limit);
  if (value.ok()) {
    out = *std::move(value);
  } else if (error.ok()) {
    error = value.status();
  }
}

std::string NewRequestId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_salt = std::random_device{}();
  const uint64_t value = process_salt ^ (counter.fetch_add(1) * 0x9e3779b97f4a7c15ULL);
  return "kp-" +
         crypto::ToHex(std::string_view(reinterpret_cast<const char*>(&value), sizeof value));
}

}  // namespace

absl::Status CheckMetadataValue(std::string_view key, std::string_view value, size_t limit) {
  if (value.size() > limit) {
    return MakeError(absl::StatusCode::kInvalidArgument, "BAD_METADATA",
                     std::string(key) + " is longer than " + std::to_string(limit) + " bytes",
                     {{"header", std::string(key)}});
  }
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return MakeError(absl::StatusCode::kInvalidArgument, "BAD_METADATA",
                       std::string(key) + " must be printable ASCII",
                       {{"header", std::string(key)}});
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Caller> IdentifyCaller(const grpc::ServerContextBase& context,
                                      std::shared_ptr<const policy::PolicySet> policies,
                                      const validate::RequestLimits& limits,
                                      const identity::RevocationList* revoked) {
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
  absl::Status& error = caller.identity_error;
  if (revoked != nullptr && revoked->IsRevoked(caller.certificate)) {
    error = MakeError(absl::StatusCode::kPermissionDenied, "CERTIFICATE_REVOKED",
                      "the client certificate has been revoked by its CA");
  } else if (caller.partner != nullptr &&
             !caller.partner->AcceptsCertificate(caller.certificate.sha256_hex)) {
    error = MakeError(absl::StatusCode::kPermissionDenied, "CERTIFICATE_NOT_PINNED",
                      "this certificate is not one pinned for the partner it names");
  }
  ReadMetadata(context, kActorIdHeader, limit, caller.actor_id, error);
  ReadMetadata(context, kActorRoleHeader, limit, caller.actor_role, error);
  ReadMetadata(context, kRequestIdHeader, limit, caller.request_id, error);
  if (caller.request_id.empty()) caller.request_id = NewRequestId();
  ReadMetadata(context, kAuthenticatedSubjectHeader, limit, caller.authenticated_subject, error);
  if (!caller.authenticated_subject.empty()) {
    if (absl::Status invalid = validate::ValidateSubjectId(caller.authenticated_subject);
        !invalid.ok()) {
      caller.authenticated_subject.clear();
      if (error.ok()) error = invalid;
    }
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
