// `ketenctl consent ...` and `ketenctl relationship ...`: calls to the
// gateway's ConsentService and RelationshipService.
#ifndef KETENPOORT_TOOLS_KETENCTL_CONSENT_COMMANDS_H_
#define KETENPOORT_TOOLS_KETENCTL_CONSENT_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "tools/ketenctl/client.h"

namespace ketenpoort::ketenctl {

class ConsentCommands {
 public:
  void Register(CLI::App& app, ClientOptions& client,
                const std::function<void(CLI::App*)>& add_client_options);
  // Exit code of the command that was parsed, or -1 if none of ours was.
  int RunParsed(const ClientOptions& client);

 private:
  CLI::App* grant_ = nullptr;
  CLI::App* revoke_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* receipt_ = nullptr;
  CLI::App* koppeling_ = nullptr;
  CLI::App* gp_ = nullptr;
  CLI::App* link_ = nullptr;

  std::string actor_id_ = "ketenctl";
  std::string actor_role_;
  std::string subject_;
  std::string recipient_;
  std::string recipient_type_;
  std::string municipality_;
  std::string purpose_;
  std::vector<std::string> categories_;
  std::vector<std::string> record_types_;
  std::string valid_from_;
  std::string valid_until_;
  bool objection_ = false;
  std::string language_;
  bool interpreter_ = false;
  std::string interpreter_reference_;
  std::string evidence_;
  std::string signed_in_as_;  // as a subject portal
  std::string consent_id_;
  std::string reason_;
  std::string linked_on_;
  std::string move_date_;
  std::string practice_;
  std::string registered_on_;
  bool ended_ = false;
  std::string v_number_;
  std::string bsn_;
};

}  // namespace ketenpoort::ketenctl

#endif  // KETENPOORT_TOOLS_KETENCTL_CONSENT_COMMANDS_H_
