#include "tools/ketenctl/inburgering_commands.h"

#include <grpcpp/client_context.h>

#include <cstdio>
#include <ctime>

#include "ketenpoort/v1/inburgering.grpc.pb.h"

namespace ketenpoort::ketenctl {
namespace {

using v1::InburgeringService;

constexpr char kOfficer[] = "klantmanager-inburgering";
constexpr char kPolicyOfficer[] = "beleidsmedewerker";

std::string UtcTime(int64_t unix_micros) {
  const std::time_t seconds = static_cast<std::time_t>(unix_micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

const v1::AggregateCell* CellLabelled(const v1::AggregateTable& table, std::string_view label) {
  for (const v1::AggregateCell& cell : table.cells()) {
    if (cell.label() == label) return &cell;
  }
  return nullptr;
}

std::string Total(const v1::AggregateTable& table) {
  return table.has_total() ? std::to_string(table.total()) : "x";
}

// Counts per stage, deadlines within six months, providers with pass rates.
void PrintOverview(const std::string& municipality, const v1::AggregateResponse& stages,
                   const v1::AggregateResponse& deadlines, const v1::AggregateResponse& providers) {
  const v1::AggregateTable& by_stage = stages.tables(0);
  const v1::AggregatePublication& publication = stages.publication();
  std::printf("Inburgering of the persons linked to %s: %s persons, as of %s\n",
              municipality.c_str(), Total(by_stage).c_str(),
              UtcTime(publication.as_of_unix_micros()).c_str());
  std::printf("Next publication: %s%s\n",
              UtcTime(publication.next_publication_unix_micros()).c_str(),
              publication.carried_forward() ? " (this one carried forward: too few changes)" : "");
  std::printf(
      "Counts below %d are shown as \"<%d\"; \"x\" hides a count that would reveal one.\n"
      "All %d tables were audited together (%d integer programs): no count below %d can be "
      "worked out.\n\n",
      stages.threshold(), stages.threshold(), publication.tables(), publication.programs_solved(),
      stages.threshold());
  std::printf("By stage\n");
  for (const v1::AggregateCell& cell : by_stage.cells()) {
    std::printf("  %-26s %6s\n", cell.label().c_str(), cell.display().c_str());
  }
  const v1::AggregateTable& by_band = deadlines.tables(0);
  std::printf("\nDeadlines\n");
  for (const char* label : {"verlopen", "binnen 6 maanden"}) {
    const v1::AggregateCell* cell = CellLabelled(by_band, label);
    std::printf("  %-26s %6s\n", std::string(label) == "verlopen" ? "passed" : "within 6 months",
                cell == nullptr ? "0" : cell->display().c_str());
  }
  std::printf("\nProviders                      persons  pass rate\n");
  for (const v1::AggregateCell& cell : providers.tables(0).cells()) {
    const std::string rate =
        cell.has_pass_rate_percent() ? std::to_string(cell.pass_rate_percent()) + "%" : "x";
    std::printf("  %-28s %7s  %9s\n", cell.label().c_str(), cell.display().c_str(), rate.c_str());
  }
  std::printf(
      "\nA pass rate is the share of exam results that were passes; it is hidden (x)\n"
      "when its results, passes or failures are fewer than %d, or when it would let a\n"
      "hidden count be worked out.\n",
      providers.threshold());
}

}  // namespace

void InburgeringCommands::Register(CLI::App& app,
                                   const std::function<void(CLI::App*)>& add_client_options) {
  CLI::App* inburgering =
      app.add_subcommand("inburgering", "inburgering progress of the persons linked to you");
  inburgering->require_subcommand(1);
  auto common = [&](CLI::App* command, const char* default_purpose) {
    const std::string help = std::string("purpose (default ") + default_purpose + ")";
    add_client_options(command);
    command->add_option("--actor-id", actor_id_, "user id at the municipality")
        ->capture_default_str();
    command->add_option("--actor-role", actor_role_, "role of the user");
    command->add_option("--purpose", purpose_, help);
  };
  progress_ = inburgering->add_subcommand("progress", "one person's progress");
  common(progress_, "CIVIC_INTEGRATION");
  progress_->add_option("--subject", subject_, "V-nummer or BSN")->required();
  list_ = inburgering->add_subcommand("list", "everyone linked to you, filtered and paged");
  common(list_, "CIVIC_INTEGRATION");
  list_->add_option("--stage", stage_, "intake, in traject, examens, afgerond or ontheffing");
  list_->add_option("--deadline-band", deadline_band_,
                    "verlopen, binnen 6 maanden, 6 tot 12 maanden, 12 tot 24 maanden, "
                    "24 maanden of meer, niet van toepassing");
  list_->add_option("--provider", provider_, "inburgering provider");
  list_->add_option("--page-size", page_size_, "1-500 (default 50)")->check(CLI::Range(1, 500));
  list_->add_option("--page-token", page_token_, "next_page_token of the previous page");
  aggregate_ = inburgering->add_subcommand("aggregate", "counts by one dimension (STATISTICS)");
  common(aggregate_, "STATISTICS");
  aggregate_
      ->add_option("--dimension", dimension_,
                   "STAGE, PROVIDER, EXAM_COMPONENT, DEADLINE_BAND or NATIONALITY")
      ->required();
  overview_ = inburgering->add_subcommand(
      "overview", "counts per stage, deadlines within 6 months, providers with pass rates");
  common(overview_, "STATISTICS");
}

int InburgeringCommands::RunParsed(const ClientOptions& client) {
  if (!progress_->parsed() && !list_->parsed() && !aggregate_->parsed() && !overview_->parsed()) {
    return -1;
  }
  const bool statistics = aggregate_->parsed() || overview_->parsed();
  if (purpose_.empty()) purpose_ = statistics ? "STATISTICS" : "CIVIC_INTEGRATION";
  v1::Purpose purpose;
  if (!v1::Purpose_Parse(purpose_, &purpose)) {
    std::fprintf(stderr, "error: unknown purpose '%s'\n", purpose_.c_str());
    return 2;
  }
  v1::AggregateDimension dimension = v1::DIMENSION_UNSPECIFIED;
  if (aggregate_->parsed() && !v1::AggregateDimension_Parse(dimension_, &dimension)) {
    std::fprintf(stderr, "error: unknown dimension '%s'\n", dimension_.c_str());
    return 2;
  }
  auto channel = Connect(client);
  if (!channel.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  auto stub = InburgeringService::NewStub(*channel);
  const std::string role =
      !actor_role_.empty() ? actor_role_ : (statistics ? kPolicyOfficer : kOfficer);
  auto call = [&](auto&& method, const auto& request, auto* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("x-actor-id", actor_id_);
    context.AddMetadata("x-actor-role", role);
    return ((*stub).*method)(&context, request, response);
  };
  grpc::Status status;
  if (progress_->parsed()) {
    v1::GetProgressRequest request;
    request.set_subject_id(subject_);
    request.set_purpose(purpose);
    v1::Progress response;
    status = call(&InburgeringService::Stub::GetProgress, request, &response);
    if (status.ok()) PrintJson(response);
  } else if (list_->parsed()) {
    v1::ListProgressRequest request;
    request.set_purpose(purpose);
    request.set_stage(stage_);
    request.set_deadline_band(deadline_band_);
    request.set_provider(provider_);
    request.set_page_size(page_size_);
    request.set_page_token(page_token_);
    v1::ListProgressResponse response;
    status = call(&InburgeringService::Stub::ListProgress, request, &response);
    if (status.ok()) PrintJson(response);
  } else if (aggregate_->parsed()) {
    v1::AggregateRequest request;
    request.set_dimension(dimension);
    request.set_purpose(purpose);
    v1::AggregateResponse response;
    status = call(&InburgeringService::Stub::Aggregate, request, &response);
    if (status.ok()) PrintJson(response);
  } else {
    v1::AggregateResponse by[3];
    const v1::AggregateDimension dimensions[3] = {v1::STAGE, v1::DEADLINE_BAND, v1::PROVIDER};
    for (int i = 0; i < 3 && status.ok(); ++i) {
      v1::AggregateRequest request;
      request.set_dimension(dimensions[i]);
      request.set_purpose(purpose);
      status = call(&InburgeringService::Stub::Aggregate, request, &by[i]);
    }
    if (status.ok()) PrintOverview(client.as.empty() ? "you" : client.as, by[0], by[1], by[2]);
  }
  if (!status.ok()) {
    PrintError(status);
    return 1;
  }
  return 0;
}

}  // namespace ketenpoort::ketenctl
