// What the gateway reads from a verified client certificate.
//
// TLS has already verified the chain against the partner CA before a
// handler runs; this only extracts the OIN (subject serialNumber) and a
// fingerprint for the audit log. Nothing from request metadata can
// change the result.
#ifndef KETENPOORT_GATEWAY_IDENTITY_PEER_CERTIFICATE_H_
#define KETENPOORT_GATEWAY_IDENTITY_PEER_CERTIFICATE_H_

#include <grpcpp/security/auth_context.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ketenpoort::identity {

struct PeerCertificate {
  std::string oin;         // subject serialNumber; may be unknown to us
  std::string sha256_hex;  // fingerprint of the DER encoding
  // What a revocation list names it by: its issuer and serial number,
  // in the forms NameKey and SerialKey give; then the same for each CA
  // certificate the peer sent with it (a revoked intermediate revokes
  // what it issued).
  std::string issuer_key;
  std::string serial_key;
  std::vector<std::pair<std::string, std::string>> chain_keys;
};

// `chain_pem`: the certificates the peer sent after its own, if any.
absl::StatusOr<PeerCertificate> ParsePeerCertificate(std::string_view pem,
                                                     std::string_view chain_pem = "");

// The forms PeerCertificate keeps, shared with the revocation list.
std::string NameKey(const X509_NAME* name);
std::string SerialKey(const ASN1_INTEGER* serial);

// UNAUTHENTICATED when the connection carries no verified certificate.
absl::StatusOr<PeerCertificate> PeerCertificateFromAuthContext(const grpc::AuthContext& auth);

}  // namespace ketenpoort::identity

#endif  // KETENPOORT_GATEWAY_IDENTITY_PEER_CERTIFICATE_H_
