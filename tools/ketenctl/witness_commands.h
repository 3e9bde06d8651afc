// `ketenctl audit witness ...`: a witness for a gateway's audit log that
// an operator or an independent party runs (see gateway/audit/witness.h).
//
//   witness      fetch the latest checkpoint, check it extends the one this
//                witness last cosigned, cosign it, keep it (--state)
//   witness-key  print the witness's verifier key, for those who check
//   cosigned     check a cosigned checkpoint against both keys
#ifndef KETENPOORT_TOOLS_KETENCTL_WITNESS_COMMANDS_H_
#define KETENPOORT_TOOLS_KETENCTL_WITNESS_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "tools/ketenctl/client.h"

namespace ketenpoort::ketenctl {

class WitnessCommands {
 public:
  void Register(CLI::App& audit, const std::function<void(CLI::App*)>& add_client_options);
  // Exit code of the command that was parsed, or -1 if none of ours was.
  int RunParsed(const ClientOptions& client);

 private:
  int RunWitness(const ClientOptions& client);
  int RunWitnessKey();
  int RunCosigned();

  CLI::App* witness_ = nullptr;
  CLI::App* witness_key_ = nullptr;
  CLI::App* cosigned_ = nullptr;
  std::string log_key_;           // the log's checkpoint verifier key, or @file
  std::string key_file_;          // the witness's Ed25519 signing key (PEM)
  std::string name_;              // the witness's name
  std::string state_file_;        // the last cosigned checkpoint
  std::string witness_key_text_;  // a witness verifier key, or @file
  std::string note_file_;
  std::string actor_id_ = "witness";
  bool init_ = false;  // no state yet: start from the current checkpoint
};

}  // namespace ketenpoort::ketenctl

#endif  // KETENPOORT_TOOLS_KETENCTL_WITNESS_COMMANDS_H_
