// `ketenctl handover ...`: the HandoverService, from the sender's side
// (send, status, withdraw, overdue) and the recipient's (watch, pending,
// fetch, ack, refuse).
#ifndef KETENPOORT_TOOLS_KETENCTL_HANDOVER_COMMANDS_H_
#define KETENPOORT_TOOLS_KETENCTL_HANDOVER_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "tools/ketenctl/client.h"

namespace ketenpoort::ketenctl {

class HandoverCommands {
 public:
  void Register(CLI::App& app, const std::function<void(CLI::App*)>& add_client_options);
  // Exit code of the command that was parsed, or -1 if none of ours was.
  int RunParsed(const ClientOptions& client);

 private:
  int RunWatch(const ClientOptions& client);

  CLI::App* send_ = nullptr;
  CLI::App* status_ = nullptr;
  CLI::App* withdraw_ = nullptr;
  CLI::App* overdue_ = nullptr;
  CLI::App* watch_ = nullptr;
  CLI::App* pending_ = nullptr;
  CLI::App* fetch_ = nullptr;
  CLI::App* ack_ = nullptr;
  CLI::App* refuse_ = nullptr;

  std::string actor_id_ = "ketenctl";
  std::string actor_role_;
  std::string subject_;
  std::vector<std::string> record_types_;
  std::string recipient_;
  std::string recipient_role_;
  std::string purpose_;
  std::string note_;
  std::string request_id_;
  std::string handover_id_;
  std::string reason_;
  uint64_t after_cursor_ = 0;
  int count_ = 0;
  int seconds_ = 30;
};

}  // namespace ketenpoort::ketenctl

#endif  // KETENPOORT_TOOLS_KETENCTL_HANDOVER_COMMANDS_H_
