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
#include <vector>

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

// The `sources:` list of a gateway config: one source per partner that
// holds records, as in config/dev.yaml. With `upstream_target` empty they
// read fixtures.db in the config's directory; otherwise they are
// grpc_upstream sources at that address (a reference source server).
inline std::string ChainSources(const std::string& upstream_target = "",
                                const std::string& upstream_extra = "") {
  struct Source {
    const char* name;
    const char* owner;
    const char* record_types;
  };
  static constexpr Source kSources[] = {
      {"coa-tvs", "coa", "[coa.Koppeling, coa.Voorinburgering, coa.RiskSignal, noa.Assessment]"},
      {"gca-his", "gca", "[gca.MedicalDossier]"},
      {"ggd-pga", "ggd-pga", "[ggd.TbcScreening, ggd.Vaccinations, ggd.JgzDossier]"},
      {"duo-inburgering", "duo", "[duo.InburgeringStatus]"},
      {"vwn-dossiers", "vwn-midden-nederland", "[vwn.SocialGuidanceDossier]"},
  };
  std::string yaml = "sources:\n";
  for (const Source& source : kSources) {
    yaml += std::string("  - name: ") + source.name + "\n    owner: " + source.owner + "\n";
    if (upstream_target.empty()) {
      yaml += "    kind: sqlite_fixture\n    database: fixtures.db\n";
    } else {
      yaml += "    kind: grpc_upstream\n    target: " + upstream_target +
              "\n    tls: {ca: " + CertsDir() + "/ca.crt, cert: " + CertsDir() +
              "/ketenpoort-gateway.crt, key: " + CertsDir() +
              "/ketenpoort-gateway.key, server_name: localhost}\n" + upstream_extra;
    }
    yaml += std::string("    record_types: ") + source.record_types + "\n";
  }
  return yaml;
}

inline std::string WriteConfig(const TempDir& dir, const std::string& policies_dir,
                               const std::string& sources_yaml =
                                   "sources:\n"
                                   "  - name: coa-fixtures\n"
                                   "    owner: coa\n"
                                   "    kind: sqlite_fixture\n"
                                   "    database: fixtures.db\n"
                                   "    record_types: [coa.Koppeling, noa.Assessment]\n") {
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
                       // Per test: the shared dev key's default would be shared too.
                       "  head_file: audit-head.note\n"
                       "state:\n"
                       "  database: state.db\n"
                       "handover:\n"
                       "  database: handover.db\n"
                       "  master_key_file: " +
                       CertsDir() + "/handover-master.key\n" + sources_yaml);
}

// A channel to `address` presenting partner `name`'s dev certificate.
// The arguments that start the reference source server on a free loopback
// port, serving `fixtures_db` with the dev certificates.
inline std::vector<std::string> ReferenceSourceArgs(const std::string& fixtures_db) {
  return {"--listen",    "127.0.0.1:0",
          "--db",        fixtures_db,
          "--cert",      CertsDir() + "/source.crt",
          "--key",       CertsDir() + "/source.key",
          "--client-ca", CertsDir() + "/ca.crt"};
}

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
