// `ketenctl audit ...`: verify the raw store offline; read checkpoints,
// proofs, entries and reports from a running gateway.
#ifndef KETENPOORT_TOOLS_KETENCTL_AUDIT_COMMANDS_H_
#define KETENPOORT_TOOLS_KETENCTL_AUDIT_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "tools/ketenctl/client.h"
#include "tools/ketenctl/witness_commands.h"

namespace ketenpoort::ketenctl {

class AuditCommands {
 public:
  void Register(CLI::App& app, ClientOptions& client,
                const std::function<void(CLI::App*)>& add_client_options);
  // Exit code of the command that was parsed, or -1 if none of ours was.
  int RunParsed(const ClientOptions& client);

 private:
  int RunVerify();
  int RunVerifierKey();
  int RunCheckpoint(const ClientOptions& client);
  int RunProve(const ClientOptions& client);
  int RunQuery(const ClientOptions& client);
  int RunReport(const ClientOptions& client);
  int RunVerifyReport();

  WitnessCommands witness_;
  CLI::App* verify_ = nullptr;
  CLI::App* verifier_key_ = nullptr;
  CLI::App* checkpoint_ = nullptr;
  CLI::App* prove_ = nullptr;
  CLI::App* query_ = nullptr;
  CLI::App* report_ = nullptr;
  CLI::App* verify_report_ = nullptr;
  bool with_proofs_ = false;  // report: keep entries and proofs, as JSON
  std::string report_file_;   // verify-report: the saved report
  // verify-report: the catalogues the lines were rendered with.
  std::string messages_dir_ = "policies/messages";

  std::string db_;
  std::string verifier_key_text_;
  std::string signing_key_;
  std::string origin_ = "ketenpoort.localhost/audit";
  std::string trusted_checkpoint_;
  std::string out_;
  uint64_t index_ = 0;
  uint64_t tree_size_ = 0;
  std::string actor_id_ = "ketenctl";
  std::string actor_role_;
  std::string signed_in_as_;  // report through a subject portal
  // Query filters.
  std::string from_;
  std::string until_;
  std::string partner_;
  std::string purpose_;
  std::string decision_;
  std::string reason_;
  std::string record_type_;
  bool break_glass_only_ = false;
  std::string subject_;
  std::string format_ = "jsonl";
  uint32_t page_size_ = 100;
  uint64_t limit_ = 10'000;
  std::string language_ = "nl";
};

}  // namespace ketenpoort::ketenctl

#endif  // KETENPOORT_TOOLS_KETENCTL_AUDIT_COMMANDS_H_
