// `ketenctl inburgering ...`: a municipality's view of inburgering.
// progress (one person), list (filtered, paged), aggregate (one dimension,
// as JSON) and overview (counts per stage, deadlines within six months,
// providers with pass rates; small cells suppressed by the gateway).
#ifndef KETENPOORT_TOOLS_KETENCTL_INBURGERING_COMMANDS_H_
#define KETENPOORT_TOOLS_KETENCTL_INBURGERING_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "tools/ketenctl/client.h"

namespace ketenpoort::ketenctl {

class InburgeringCommands {
 public:
  void Register(CLI::App& app, const std::function<void(CLI::App*)>& add_client_options);
  // Exit code of the command that was parsed, or -1 if none of ours was.
  int RunParsed(const ClientOptions& client);

 private:
  CLI::App* progress_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* aggregate_ = nullptr;
  CLI::App* overview_ = nullptr;

  std::string actor_id_ = "ketenctl";
  std::string actor_role_;
  std::string purpose_;
  std::string subject_;
  std::string stage_;
  std::string deadline_band_;
  std::string provider_;
  int page_size_ = 0;
  std::string page_token_;
  std::string dimension_;
};

}  // namespace ketenpoort::ketenctl

#endif  // KETENPOORT_TOOLS_KETENCTL_INBURGERING_COMMANDS_H_
