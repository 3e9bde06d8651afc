// Shared pieces of the integration tests: a gateway config over a temp
// dir, TLS channels presenting a dev partner certificate, and error
// details.
#ifndef KETENPOORT_TESTS_SUPPORT_GATEWAY_ENV_H_
#define KETENPOORT_TESTS_SUPPORT_GATEWAY_ENV_H_

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <fstream>
#include <sstream>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace ketenpoort::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The ErrorInfo reason carried in grpc-status-details-bin, or "".
inline std::string ReasonOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

inline std::string WriteConfig(const TempDir& dir, const std::string& policies_dir) {
  return dir.Write("gateway.yaml",
                   "listen: 127.0.0.1:0\n"
                   "tls:\n"
                   "  server_cert: " +
                       CertsDir() +
                       "/server.crt\n"
                       "  server_key: " +
                       CertsDir() +
                       "/server.key\n"
                       "  client_ca: " +
                       CertsDir() +
                       "/ca.crt\n"
                       "policies_dir: " +
                       policies_dir +
                       "\n"
                       "audit:\n"
                       "  database: audit.db\n"
                       "  pseudonym_key_file: " +
                       CertsDir() +
                       "/pseudonym.key\n"
                       "  checkpoint_key_file: " +
                       CertsDir() +
                       "/checkpoint.key\n"
                       "state:\n"
                       "  database: state.db\n"
                       "sources:\n"
                       "  - name: coa-fixtures\n"
                       "    owner: coa\n"
                       "    kind: sqlite_fixture\n"
                       "    database: fixtures.db\n"
                       "    record_types: [coa.Koppeling, noa.Assessment]\n");
}

// A channel to `address` presenting partner `name`'s dev certificate.
inline std::shared_ptr<grpc::Channel> ChannelAs(const std::string& address,
                                                const std::string& name) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(CertsDir() + "/ca.crt");
  tls.pem_cert_chain = ReadFile(CertsDir() + "/" + name + ".crt");
  tls.pem_private_key = ReadFile(CertsDir() + "/" + name + ".key");
  return grpc::CreateChannel(address, grpc::SslCredentials(tls));
}

}  // namespace ketenpoort::testing

#endif  // KETENPOORT_TESTS_SUPPORT_GATEWAY_ENV_H_
