// ketenctl: the command-line client for Ketenpoort.
//
//   ketenctl get --as gemeente-woerden --subject ID --record noa.Assessment
//                --purpose WORK_REINTEGRATION --actor-role werkconsulent
//   ketenctl audit verify --db var/audit.db --signing-key certs-dev/out/checkpoint.key
//   ketenctl audit report --as fg-gemeente-woerden --subject ID --lang en
//   ketenctl inburgering overview --as gemeente-woerden
#include <grpcpp/client_context.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "gateway/common/openssl_lifetime.h"
#include "gateway/records/record_catalog.h"
#include "ketenpoort/v1/dossier.grpc.pb.h"
#include "tools/ketenctl/audit_commands.h"
#include "tools/ketenctl/client.h"
#include "tools/ketenctl/consent_commands.h"
#include "tools/ketenctl/handover_commands.h"
#include "tools/ketenctl/inburgering_commands.h"
#include "tools/ketenctl/policy_commands.h"

namespace {

using ketenpoort::ketenctl::ClientOptions;
using ketenpoort::ketenctl::ConsentCommands;

struct GetOptions {
  std::string subject;
  std::string record_type;
  std::string purpose;
  std::string actor_id = "ketenctl";
  std::string actor_role;
  std::string request_id;
  std::string signed_in_as;
};

int RunGet(const ClientOptions& client, const GetOptions& options) {
  ketenpoort::v1::Purpose purpose = ketenpoort::v1::PURPOSE_UNSPECIFIED;
  if (!ketenpoort::v1::Purpose_Parse(options.purpose, &purpose)) {
    std::fprintf(stderr, "error: unknown purpose '%s'\n", options.purpose.c_str());
    return 2;
  }
  auto channel = ketenpoort::ketenctl::Connect(client);
  if (!channel.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(channel.status().message()).c_str());
    return 2;
  }
  // Make sure the record schemas are linked in, so the Any prints as JSON.
  (void)ketenpoort::records::RecordCatalog::Builtin();
  auto stub = ketenpoort::v1::DossierService::NewStub(*channel);
  ketenpoort::v1::GetRecordRequest request;
  request.set_subject_id(options.subject);
  request.set_record_type(options.record_type);
  request.set_purpose(purpose);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!options.actor_id.empty()) context.AddMetadata("x-actor-id", options.actor_id);
  if (!options.actor_role.empty()) context.AddMetadata("x-actor-role", options.actor_role);
  if (!options.request_id.empty()) context.AddMetadata("x-request-id", options.request_id);
  if (!options.signed_in_as.empty()) {
    context.AddMetadata("x-authenticated-subject", options.signed_in_as);
  }
  ketenpoort::v1::GetRecordResponse response;
  grpc::Status status = stub->GetRecord(&context, request, &response);
  if (!status.ok()) {
    ketenpoort::ketenctl::PrintError(status);
    return 1;
  }
  ketenpoort::ketenctl::PrintJson(response);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (!ketenpoort::KeepOpenSslUntilProcessExit()) {
    std::fprintf(stderr, "ketenctl: cannot initialise OpenSSL\n");
    return 2;
  }
  CLI::App app{"ketenctl: client and tools for the Ketenpoort gateway"};
  app.require_subcommand(1);
  ClientOptions client;
  auto add_client_options = [&client](CLI::App* command) {
    command->add_option("--addr", client.address, "gateway address")->capture_default_str();
    command->add_option("--certs-dir", client.certs_dir, "directory of dev certificates")
        ->capture_default_str();
    command->add_option("--as", client.as, "partner certificate name in --certs-dir");
    command->add_option("--cert", client.cert, "client certificate (PEM)");
    command->add_option("--key", client.key, "client key (PEM)");
    command->add_option("--ca", client.ca, "CA of the gateway's certificate (PEM)");
  };

  GetOptions get;
  CLI::App* get_command = app.add_subcommand("get", "fetch one record through the gateway");
  add_client_options(get_command);
  get_command->add_option("--subject", get.subject, "V-nummer or BSN")->required();
  get_command->add_option("--record", get.record_type, "record type, e.g. noa.Assessment")
      ->required();
  get_command->add_option("--purpose", get.purpose, "purpose, e.g. WORK_REINTEGRATION")->required();
  get_command->add_option("--actor-id", get.actor_id, "user id at the partner")
      ->capture_default_str();
  get_command->add_option("--actor-role", get.actor_role, "role, e.g. werkconsulent");
  get_command->add_option("--request-id", get.request_id, "trace id to record");
  get_command->add_option("--signed-in-as", get.signed_in_as,
                          "as a subject portal: the person signed in (x-authenticated-subject)");

  CLI::App* policy_command = app.add_subcommand("policy", "policy tools (offline)");
  policy_command->require_subcommand(1);
  std::string policies_dir = "policies";
  std::string tests_dir;
  std::string case_file;
  std::string case_name;
  CLI::App* test_command =
      policy_command->add_subcommand("test", "run the policy tests in policies/tests/");
  test_command->add_option("--policies", policies_dir, "policy directory")->capture_default_str();
  test_command->add_option("--tests", tests_dir, "test directory (default: <policies>/tests)");
  CLI::App* explain_command = policy_command->add_subcommand(
      "explain", "show which rules were considered for a request, and why it is decided so");
  explain_command->add_option("--policies", policies_dir, "policy directory")
      ->capture_default_str();
  explain_command
      ->add_option("request", case_file,
                   "a YAML file of cases (policy test format): request and given facts")
      ->required();
  explain_command->add_option("--case", case_name, "explain only the case with this name");

  ConsentCommands consent_commands;
  consent_commands.Register(app, client, add_client_options);
  ketenpoort::ketenctl::HandoverCommands handover_commands;
  handover_commands.Register(app, add_client_options);
  ketenpoort::ketenctl::AuditCommands audit_commands;
  audit_commands.Register(app, client, add_client_options);
  ketenpoort::ketenctl::InburgeringCommands inburgering_commands;
  inburgering_commands.Register(app, add_client_options);

  CLI11_PARSE(app, argc, argv);
  if (get_command->parsed()) return RunGet(client, get);
  if (test_command->parsed()) {
    return ketenpoort::ketenctl::RunPolicyTest(
        policies_dir, tests_dir.empty() ? policies_dir + "/tests" : tests_dir);
  }
  if (explain_command->parsed()) {
    return ketenpoort::ketenctl::RunPolicyExplain(policies_dir, case_file, case_name);
  }
  if (int code = consent_commands.RunParsed(client); code >= 0) return code;
  if (int code = handover_commands.RunParsed(client); code >= 0) return code;
  if (int code = audit_commands.RunParsed(client); code >= 0) return code;
  if (int code = inburgering_commands.RunParsed(client); code >= 0) return code;
  return 2;
}
